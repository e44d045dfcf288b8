/**
 * One cron tick: claim → plan → run (inline, or fan out through the PROBE queue) → housekeeping → notify.
 *
 * 1. Claim the tick's minute in D1: a cron delivered twice for the same minute runs once.
 * 2. Plan the minute's runs at their stable offsets (sub-minute monitors get several), coalesce
 *    runs the tick is already too late for, and split them into batches within budgets.
 * 3. A small minute runs here, each run at its planned time; a larger one goes to the PROBE
 *    queue, one message per batch, each consumed by its own invocation.
 * 4. Roll up the previous hour, with each monitor's planned runs, and prune (cheap no-op most
 *    minutes); record monitors whose planned runs stopped as unknown (src/scheduler/overdue.ts); queue the daily digest once its local time has come; read the upstream status
 *    pages that are due (src/upstreams/poll.ts).
 * 5. Hand the outbox (status-page state changes, the digest) to the notification queue.
 */
import type { VigilConfig } from "../config";
import { planTick } from "../engine/plan";
import type { Job } from "../engine/schedule";
import type { Env } from "../env";
import { queueDailyDigest } from "../notify/digest-source";
import { flushOutbox } from "../store/outbox";
import { pollUpstreams } from "../upstreams/poll";
import { housekeeping } from "./housekeeping";
import { recordOverdue } from "./overdue";
import { runBatch, type BatchSummary, type Defer, type ProbeBatchMessage } from "./run";

export interface TickSummary {
  duplicate: boolean;
  planned: number;
  coalesced: number;
  batches: number;
  inline: boolean;
  run: BatchSummary | null;
  notificationsQueued: number;
}

/** Messages per `sendBatch` call: the platform allows 100 messages and 256 KB per call; a
 *  batch names at most `LIMITS.jobsPerBatch` monitors (≈ 10 KB of ids). */
const SEND_CHUNK = 20;

/** `defer` keeps the inline batch's span export going after the tick (`ctx.waitUntil`). */
export async function runTick(env: Env, config: VigilConfig, tickTime: number, defer?: Defer): Promise<TickSummary> {
  // 1. Claim.
  const minute = Math.floor(tickTime / 60_000) * 60_000;
  const claim = await env.DB.prepare("INSERT OR IGNORE INTO ticks (minute, claimed_at) VALUES (?, ?)").bind(minute, Date.now()).run();
  if (claim.meta.changes === 0)
    return { duplicate: true, planned: 0, coalesced: 0, batches: 0, inline: true, run: null, notificationsQueued: 0 };

  // 2. Plan.
  const plan = planTick(
    config.monitors.filter((m) => m.enabled),
    minute,
    Date.now(),
  );
  const planned = plan.batches.reduce((n, b) => n + b.length, 0);
  await env.DB.prepare("UPDATE ticks SET jobs = ?, batches = ? WHERE minute = ?").bind(planned, plan.batches.length, minute).run();

  // 3. Run or fan out.
  let run: BatchSummary | null = null;
  const monitorsOf = (jobs: Job[]) => [...new Set(jobs.map((j) => j.monitorId))];
  if (plan.inline) {
    if (plan.batches[0])
      run = await runBatch(env, config, { minute, batch: 0, monitors: monitorsOf(plan.batches[0]) }, plan.batches[0], defer);
  } else {
    // One sendBatch for the whole minute where it fits, so the batches arrive together.
    const messages = plan.batches.map((jobs, batch): { body: ProbeBatchMessage } => ({
      body: { minute, batch, monitors: monitorsOf(jobs) },
    }));
    for (let i = 0; i < messages.length; i += SEND_CHUNK) await env.PROBE.sendBatch(messages.slice(i, i + SEND_CHUNK));
  }

  // 4.–5.
  await housekeeping(
    env.DB,
    tickTime,
    config.monitors.filter((m) => m.enabled),
  );
  // Monitors whose planned runs stopped executing turn unknown (src/scheduler/overdue.ts).
  await recordOverdue(env, config, tickTime).catch((err: unknown) =>
    console.error(JSON.stringify({ msg: "overdue.failed", error: String((err as Error)?.message ?? err) })),
  );
  await queueDailyDigest(env, config, tickTime);
  // A failure here (D1) must not keep the outbox below from being handed over; the next tick reads again.
  await pollUpstreams(env, config, tickTime).catch((err: unknown) =>
    console.error(JSON.stringify({ msg: "upstream.poll_failed", error: String((err as Error)?.message ?? err) })),
  );
  const notificationsQueued = await flushOutbox(env.DB, env.NOTIFY, Date.now());
  return {
    duplicate: false,
    planned,
    coalesced: plan.coalesced,
    batches: plan.batches.length,
    inline: plan.inline,
    run,
    notificationsQueued,
  };
}
