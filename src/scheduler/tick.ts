/**
 * One cron tick: plan → probe → record → notify.
 *
 * 1. Plan the runs due in the minute that starts at the tick (stable per-monitor offsets).
 * 2. Probe every due monitor, at most `LIMITS.socketsPerInvocation` at a time.
 *    (This version runs each due monitor once, at the tick; sub-minute runs at their offsets
 *    and queue fan-out for large fleets come with the scheduling-at-scale work.)
 * 3. Record each observation (evaluate, store changes, incidents, outbox).
 * 4. Hand the outbox to the notification queue.
 */
import type { ConfigEnv, VigilConfig } from "../config";
import { plan } from "../engine/schedule";
import type { Env } from "../env";
import { recordObservation } from "../incidents/record";
import { LIMITS } from "../limits";
import { runProbe } from "../probes";
import { mapLimit } from "../probes/pool";
import { loadStates } from "../store/check-state";
import { flushOutbox } from "../store/outbox";
import { queueDailyDigest } from "../notify/digest-source";

export interface TickSummary {
  planned: number;
  probed: number;
  changes: number;
  notificationsQueued: number;
}

export async function runTick(env: Env, config: VigilConfig, tickTime: number): Promise<TickSummary> {
  // 1. Plan.
  const enabled = config.monitors.filter((m) => m.enabled);
  const jobs = plan(enabled, tickTime);
  const dueIds = new Set(jobs.map((j) => j.monitorId));
  const due = enabled.filter((m) => dueIds.has(m.id));

  // 2. Probe.
  const results = await mapLimit(due, LIMITS.socketsPerInvocation, (spec) => runProbe(spec, env as ConfigEnv));

  // 3. Record.
  const states = await loadStates(env.DB, due.map((m) => m.id));
  let changes = 0;
  for (let i = 0; i < due.length; i++) {
    const result = results[i]!;
    if (await recordObservation(env, config, states, { ...due[i]!, kind: due[i]!.type }, result, Date.parse(result.checkedAt))) changes++;
  }

  // 4. Notify.
  await queueDailyDigest(env, config, tickTime);
  const notificationsQueued = await flushOutbox(env.DB, env.NOTIFY, Date.now());
  return { planned: jobs.length, probed: due.length, changes, notificationsQueued };
}
