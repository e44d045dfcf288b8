/**
 * Standard Webhooks (https://www.standardwebhooks.com/) with the `standardwebhooks` package,
 * the spec authors' own library (pure JS: it runs in workerd and in Node alike):
 * `webhook-signature: v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>`, where the key
 * is the base64 after the `whsec_` prefix of the secret. The worker's webhook channel and the
 * agent's dead-man sign with this module; the local receiver (scripts/local-receiver.mjs) and
 * the tests' sinks verify with the same package.
 */
import { Webhook } from "standardwebhooks";
import { fromBase64 } from "./encoding";

/** Decodes a `whsec_…` secret; throws a clear error (without the secret) when it is malformed or under 16 bytes. */
export function webhookKey(secret: string): Uint8Array<ArrayBuffer> {
  const b64 = secret.startsWith("whsec_") ? secret.slice("whsec_".length) : secret;
  const key = /^[A-Za-z0-9+/]+={0,2}$/.test(b64) ? fromBase64(b64) : null;
  if (!key || key.length < 16) throw new Error("webhook secret must be 'whsec_' followed by at least 16 base64-encoded bytes");
  return key;
}

/** The `webhook-signature` value (`v1,<base64>`) for `body` sent as message `id` at `unixSeconds`. */
export function signStandardWebhook(secret: string, id: string, unixSeconds: number, body: string): string {
  return new Webhook(webhookKey(secret), { format: "raw" }).sign(id, new Date(unixSeconds * 1000), body);
}

/** The three Standard Webhooks headers for `body`. */
export function standardWebhookHeaders(secret: string, id: string, unixSeconds: number, body: string): Record<string, string> {
  return {
    "webhook-id": id,
    "webhook-timestamp": String(unixSeconds),
    "webhook-signature": signStandardWebhook(secret, id, unixSeconds, body),
  };
}
