/**
 * Generic webhook channel: JSON signed per the Standard Webhooks spec.
 */
import { formatDuration, reveal, type ConfigEnv, type WebhookChannel } from "../config";
import type { WebhookEvent } from "./message";
import { classifyHttp, redactUrls, type DeliveryOutcome } from "./outcome";
import { signStandardWebhook } from "./standard-webhooks";

/** Builds the exact request (pure apart from signing); `timestamp` is unix seconds. */
export async function buildWebhookRequest(
  channel: WebhookChannel,
  env: ConfigEnv,
  id: string,
  event: WebhookEvent,
  timestamp: number,
): Promise<{ url: string; init: RequestInit }> {
  const body = JSON.stringify(event);
  const signature = await signStandardWebhook(reveal(channel.secret, env), id, timestamp, body);
  return {
    url: reveal(channel.url, env),
    init: {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": "Vigil/0.1",
        "webhook-id": id,
        "webhook-timestamp": String(timestamp),
        "webhook-signature": signature,
      },
      body,
    },
  };
}

export async function sendWebhook(channel: WebhookChannel, env: ConfigEnv, id: string, event: WebhookEvent, now: number): Promise<DeliveryOutcome> {
  let request;
  try {
    request = await buildWebhookRequest(channel, env, id, event, Math.floor(now / 1000));
  } catch (err) {
    return { kind: "permanent", error: (err as Error).message };
  }
  try {
    const res = await fetch(request.url, { ...request.init, signal: AbortSignal.timeout(channel.timeout) });
    await res.body?.cancel();
    return classifyHttp(res);
  } catch (err) {
    const e = err as Error;
    const why = e.name === "TimeoutError" ? `no answer within ${formatDuration(channel.timeout)}` : redactUrls(`${e.name}: ${e.message}`);
    return { kind: "retryable", error: why };
  }
}
