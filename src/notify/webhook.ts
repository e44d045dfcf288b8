/**
 * Generic webhook channel: the event JSON as is, signed per the Standard Webhooks spec
 * (`webhook-id` = the delivery's idempotency key, so a receiver can de-duplicate too).
 */
import { z } from "zod";
import { httpUrl, id, reveal, revealAll, secretRef, type ConfigEnv } from "../config/common";
import { timeout } from "../config/channels";
import { channelKind, type SendContext } from "./kind";
import { deliverHttp, type HttpRequest } from "./http";
import type { WebhookEvent } from "./message";
import type { DeliveryOutcome } from "./outcome";
import { signStandardWebhook } from "../../lib/standard-webhooks";

export const webhookChannel = z.strictObject({
  id,
  type: z.literal("webhook"),
  /** Receiver URL; may itself be a secret. */
  url: z.union([httpUrl, secretRef]),
  /** Standard Webhooks signing secret (`whsec_…`), named by environment variable. */
  secret: secretRef,
  /** Also receive `monitor.state_changed` for every check (status-page consumers). Default false. */
  stateChanges: z.boolean().default(false),
  timeout: timeout(),
});
export type WebhookChannel = z.infer<typeof webhookChannel>;

/** Builds the exact request (pure apart from signing); `timestamp` is unix seconds. */
export async function buildWebhookRequest(
  channel: WebhookChannel,
  env: ConfigEnv,
  id: string,
  event: WebhookEvent,
  timestamp: number,
): Promise<HttpRequest> {
  const body = JSON.stringify(event);
  // One signature per secret, space-separated as the spec allows: while <NAME>_NEXT is set a
  // receiver that knows either secret verifies the message (rotation without downtime).
  const signature = revealAll(channel.secret, env)
    .map((secret) => signStandardWebhook(secret, id, timestamp, body))
    .join(" ");
  return {
    method: "POST",
    url: reveal(channel.url, env),
    headers: {
      "content-type": "application/json",
      "user-agent": "Vigil/0.1",
      "webhook-id": id,
      "webhook-timestamp": String(timestamp),
      "webhook-signature": signature,
    },
    body,
  };
}

export async function sendWebhook(channel: WebhookChannel, ctx: SendContext): Promise<DeliveryOutcome> {
  let request: HttpRequest;
  try {
    request = await buildWebhookRequest(channel, ctx.env, ctx.message.key, ctx.message.event, Math.floor(ctx.now / 1000));
  } catch (err) {
    return { kind: "permanent", error: (err as Error).message };
  }
  const secrets = [...revealAll(channel.secret, ctx.env), ...(typeof channel.url === "string" ? [] : [request.url])];
  return deliverHttp(request, { timeout: channel.timeout, secrets });
}

export const webhook = channelKind({
  type: "webhook",
  schema: webhookChannel,
  send: sendWebhook,
  incidents: true,
  digest: true,
  followsState: (channel) => channel.stateChanges,
});
