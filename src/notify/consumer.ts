/**
 * Queue consumers for notifications: retry, backoff, `Retry-After`, ordering and the dead
 * letter are decided here, once, for every channel.
 *
 * Per message:
 * 1. A key already delivered (or given up on) is acknowledged without sending.
 * 2. In order per (incident, channel): while an earlier notification of the same incident on the
 *    same channel is still on its way, this one is put back on the queue as a fresh message
 *    (`HOLD_SECONDS` later) — a fresh copy, so waiting does not spend its own retry budget —
 *    for at most `HOLD_LIMIT_MS`.
 * 3. A short lease on the key: two copies of one message (queues deliver at least once) never
 *    both send.
 * 4. The channel sends; every attempt is logged in `deliveries` (attempt, outcome, HTTP status,
 *    latency, redacted error).
 * 5. ok → ack; permanent → ack, failed; retryable → retry after the receiver's `Retry-After`
 *    or exponential backoff with jitter, until `DELIVERY.maxAttempts`, then dead: logged, put on
 *    the incident timeline, visible at `GET /v1/deliveries?status=dead`.
 * The dead-letter queue consumer covers what the runtime itself gives up on (the queue's
 * `max_retries`, a backstop above `DELIVERY.maxAttempts`).
 */
import type { VigilConfig } from "../config";
import type { Env } from "../env";
import { logEvent } from "../log";
import { claimDelivery, isFinal, pendingPredecessors, recordAttempt, releaseDelivery } from "../store/deliveries";
import { addEvent } from "../store/incidents";
import { send, type SendContext } from "./channels";
import { INCIDENT_EVENT_TYPES, type NotifyMessage } from "./message";
import { DELIVERY, backoffSeconds, retryDelaySeconds, type DeliveryOutcome } from "./outcome";

/** How long a notification waits before looking again at an earlier one still on its way. */
export const HOLD_SECONDS = 10;
/**
 * Longest wait behind an earlier notification: longer than its whole retry budget (~40–90 min),
 * so only a message lost outside Vigil (never delivered, failed or dead) lets a later one pass.
 */
export const HOLD_LIMIT_MS = 3 * 3_600_000;
/** Delivery lease: longer than any channel's timeout (30 s max) plus D1 writes. */
const LEASE_MS = 90_000;

/** Order of incident events within one batch of the outbox. */
export function eventRank(type: string, level: number): number {
  const i = (INCIDENT_EVENT_TYPES as readonly string[]).indexOf(type);
  return (i < 0 ? INCIDENT_EVENT_TYPES.length : i) * 100 + level;
}

async function checkStatuses(db: D1Database, ids: readonly string[]): Promise<Record<string, string>> {
  if (ids.length === 0) return {};
  const { results } = await db
    .prepare("SELECT check_id, status FROM check_state WHERE check_id IN (SELECT value FROM json_each(?))")
    .bind(JSON.stringify(ids))
    .all<{ check_id: string; status: string }>();
  return Object.fromEntries(results.map((r) => [r.check_id, r.status]));
}

/**
 * Delivers a batch: messages of one (incident, channel) one after another, earliest first (so
 * the order check in step 2 finds its predecessor done instead of holding the later one), and
 * the groups side by side, so one slow or timing-out receiver does not delay the pages of
 * every other channel in the batch. A message without an incident is its own group.
 */
export async function deliverBatch(batch: MessageBatch<NotifyMessage>, env: Env, config: VigilConfig): Promise<void> {
  const groups = new Map<string, Message<NotifyMessage>[]>();
  for (const msg of batch.messages) {
    const m = msg.body;
    const group = m.incidentId === null ? `key:${m.key}` : `incident:${m.incidentId}\u0000${m.channelId}`;
    const list = groups.get(group);
    if (list) list.push(msg);
    else groups.set(group, [msg]);
  }
  const order = (msg: Message<NotifyMessage>) =>
    [Date.parse(msg.body.event.timestamp) || 0, eventRank(msg.body.event.type, msg.body.level)] as const;
  await Promise.all(
    [...groups.values()].map(async (list) => {
      // Stable sort: queue order breaks ties.
      list.sort((a, b) => {
        const [ta, ra] = order(a);
        const [tb, rb] = order(b);
        return ta - tb || ra - rb;
      });
      for (const msg of list) await deliverOne(msg, env, config);
    }),
  );
}

async function deliverOne(msg: Message<NotifyMessage>, env: Env, config: VigilConfig): Promise<void> {
  const m = msg.body;
  const base = { key: m.key, incidentId: m.incidentId, channelId: m.channelId, eventType: m.event.type, attempt: msg.attempts };
  const timeline = (at: number, type: string, detail: Record<string, unknown>) =>
    m.incidentId ? [addEvent(env.DB, m.incidentId, at, type, detail)] : [];
  try {
    // 1. Already done.
    if (await isFinal(env.DB, m.key)) return msg.ack();

    // 2. In order per (incident, channel) — but never wait forever behind a message that was lost.
    const heldSince = m.heldSince ?? Date.now();
    if (m.incidentId && Date.now() - heldSince < HOLD_LIMIT_MS) {
      const waiting = await pendingPredecessors(env.DB, { key: m.key, incidentId: m.incidentId, channelId: m.channelId }, eventRank);
      if (waiting.length > 0) {
        await env.NOTIFY.send({ ...m, heldSince }, { contentType: "json", delaySeconds: HOLD_SECONDS });
        return msg.ack();
      }
    }

    // 3. One sender per key at a time.
    const started = Date.now();
    if (!(await claimDelivery(env.DB, m.key, started, started + LEASE_MS))) return msg.retry({ delaySeconds: HOLD_SECONDS });

    // 4. Send.
    const channel = config.channels.find((c) => c.id === m.channelId);
    const ctx: SendContext = {
      env,
      message: m,
      now: started,
      render: { timezone: config.timezone },
      checkStatuses: (ids) => checkStatuses(env.DB, ids),
    };
    const outcome: DeliveryOutcome = channel
      ? await send(channel, ctx)
      : { kind: "permanent", error: `channel "${m.channelId}" is no longer in the config` };
    const latencyMs = Date.now() - started;
    const at = Date.now();
    const httpStatus = outcome.httpStatus;
    const log = (result: string, retryInSeconds?: number) =>
      logEvent("delivery", {
        outcome: result,
        retryInSeconds,
        channel: m.channelId,
        event: m.event.type,
        incident: m.incidentId,
        level: m.level,
        attempt: msg.attempts,
        httpStatus,
        latencyMs,
        error: "error" in outcome ? outcome.error : undefined,
      });

    // 5. Log, and decide.
    if (outcome.kind === "ok") {
      await env.DB.batch([
        recordAttempt(env.DB, { ...base, outcome: "delivered", httpStatus, latencyMs, at }),
        releaseDelivery(env.DB, m.key),
        ...timeline(at, "notification.sent", { channel: m.channelId, event: m.event.type, level: m.level, attempt: msg.attempts }),
      ]);
      log("delivered");
      msg.ack();
    } else if (outcome.kind === "permanent" || msg.attempts >= DELIVERY.maxAttempts) {
      const dead = outcome.kind === "retryable";
      await env.DB.batch([
        recordAttempt(env.DB, { ...base, outcome: dead ? "dead" : "failed", httpStatus, latencyMs, error: outcome.error, at }),
        releaseDelivery(env.DB, m.key),
        ...timeline(at, dead ? "notification.dead_lettered" : "notification.failed", {
          channel: m.channelId,
          event: m.event.type,
          attempts: msg.attempts,
          error: outcome.error,
        }),
      ]);
      log(dead ? "dead" : "failed");
      msg.ack();
    } else {
      await env.DB.batch([
        recordAttempt(env.DB, { ...base, outcome: "retry", httpStatus, latencyMs, error: outcome.error, at }),
        releaseDelivery(env.DB, m.key),
      ]);
      const delaySeconds = retryDelaySeconds(outcome, msg.attempts);
      log("retry", delaySeconds);
      msg.retry({ delaySeconds });
    }
  } catch (err) {
    // Our own failure (D1 unavailable, …): try again later; nothing is lost.
    console.error(JSON.stringify({ msg: "notification delivery error", key: m.key, error: (err as Error).message }));
    msg.retry({ delaySeconds: backoffSeconds(msg.attempts) });
  }
}

/** Dead-letter consumer: the runtime gave up on a message; make that visible (once). */
export async function deadLetterBatch(batch: MessageBatch<NotifyMessage>, env: Env): Promise<void> {
  for (const msg of batch.messages) {
    const m = msg.body;
    if (await isFinal(env.DB, m.key)) {
      msg.ack();
      continue;
    }
    const at = Date.now();
    await env.DB.batch([
      recordAttempt(env.DB, {
        key: m.key,
        incidentId: m.incidentId,
        channelId: m.channelId,
        eventType: m.event.type,
        attempt: msg.attempts,
        outcome: "dead",
        at,
        error: "retries exhausted",
      }),
      ...(m.incidentId
        ? [addEvent(env.DB, m.incidentId, at, "notification.dead_lettered", { channel: m.channelId, event: m.event.type })]
        : []),
    ]);
    msg.ack();
  }
}
