/**
 * Queue consumers for notifications.
 *
 * 1. A message already delivered (by idempotency key) is acknowledged without sending.
 * 2. Otherwise the channel sends; every attempt is logged in `deliveries`.
 * 3. ok → ack; permanent → ack and mark failed; retryable → retry after `Retry-After` or
 *    exponential backoff with jitter. After the queue's `max_retries` the message lands in the
 *    dead-letter queue, whose consumer records it as dead on the incident timeline.
 */
import type { VigilConfig } from "../config";
import type { Env } from "../env";
import { recordAttempt, wasDelivered } from "../store/deliveries";
import { addEvent } from "../store/incidents";
import { send } from "./channels";
import type { NotifyMessage } from "./message";
import { backoffSeconds, type DeliveryOutcome } from "./outcome";

export async function deliverBatch(batch: MessageBatch<NotifyMessage>, env: Env, config: VigilConfig): Promise<void> {
  for (const msg of batch.messages) {
    const m = msg.body;
    const base = { key: m.key, incidentId: m.incidentId, channelId: m.channelId, eventType: m.event.type, attempt: msg.attempts };
    try {
      if (await wasDelivered(env.DB, m.key)) {
        msg.ack();
        continue;
      }
      const channel = config.channels.find((c) => c.id === m.channelId);
      const started = Date.now();
      const outcome: DeliveryOutcome = channel
        ? await send(channel, env, m.key, m.event, started)
        : { kind: "permanent", error: `channel "${m.channelId}" is no longer in the config` };
      const latencyMs = Date.now() - started;
      const at = Date.now();
      const httpStatus = outcome.httpStatus;
      if (outcome.kind === "ok") {
        await env.DB.batch([
          recordAttempt(env.DB, { ...base, outcome: "delivered", httpStatus, latencyMs, at }),
          addEvent(env.DB, m.incidentId, at, "notification.sent", { channel: m.channelId, event: m.event.type, level: m.level, attempt: msg.attempts }),
        ]);
        msg.ack();
      } else if (outcome.kind === "permanent") {
        await env.DB.batch([
          recordAttempt(env.DB, { ...base, outcome: "failed", httpStatus, latencyMs, error: outcome.error, at }),
          addEvent(env.DB, m.incidentId, at, "notification.failed", { channel: m.channelId, event: m.event.type, error: outcome.error }),
        ]);
        msg.ack();
      } else {
        await recordAttempt(env.DB, { ...base, outcome: "retry", httpStatus, latencyMs, error: outcome.error, at }).run();
        msg.retry({ delaySeconds: outcome.retryAfterSeconds ?? backoffSeconds(msg.attempts) });
      }
    } catch (err) {
      // Our own failure (D1 unavailable, …): try again later; nothing is lost.
      console.error(JSON.stringify({ msg: "notification delivery error", key: m.key, error: (err as Error).message }));
      msg.retry({ delaySeconds: backoffSeconds(msg.attempts) });
    }
  }
}

/** Dead-letter consumer: the message exhausted its retries; make that visible. */
export async function deadLetterBatch(batch: MessageBatch<NotifyMessage>, env: Env): Promise<void> {
  for (const msg of batch.messages) {
    const m = msg.body;
    const at = Date.now();
    await env.DB.batch([
      recordAttempt(env.DB, { key: m.key, incidentId: m.incidentId, channelId: m.channelId, eventType: m.event.type, attempt: msg.attempts, outcome: "dead", at, error: "retries exhausted" }),
      addEvent(env.DB, m.incidentId, at, "notification.dead_lettered", { channel: m.channelId, event: m.event.type }),
    ]);
    msg.ack();
  }
}
