/**
 * The cron's overdue pass (every tick, after the minute's runs are planned): a probe monitor whose
 * planned runs stopped executing (src/engine/overdue.ts) gets an unknown observation recorded
 * through the same path as a run's (`recordObservations`), so its state is unknown in the read
 * model, status-page subscribers hear of it, and a policy's `monitoringBroken` pages it.
 *
 * - One D1 read per tick (the enabled monitors' states and first-seen times, one batch); writes
 *   only when a monitor turns overdue, once (an unknown monitor is not recorded again).
 * - A monitor that never ran counts from when Vigil first saw it (`monitors_seen`, recorded here
 *   for a monitor new to the config).
 * - A down monitor stays down: only a measurement resolves its incident (the reads show it
 *   unknown, "last measured down"). A row without a last run (written before it was kept) is left
 *   to the reads until its next batch.
 */
import type { VigilConfig } from "../config";
import { overdue } from "../engine/overdue";
import type { Env } from "../env";
import type { CheckRef } from "../incidents/record";
import { observeAll } from "../objects/observe";
import { loadStates } from "../store/check-state";

export async function recordOverdue(env: Pick<Env, "DB" | "SERVICE" | "NOTIFY">, config: VigilConfig, now: number): Promise<string[]> {
  const monitors = config.monitors.filter((m) => m.enabled);
  if (monitors.length === 0) return [];
  const ids = JSON.stringify(monitors.map((m) => m.id));
  const [stateRows, seenRows] = await env.DB.batch<Record<string, unknown>>([
    env.DB.prepare("SELECT check_id, status, last_run FROM check_state WHERE check_id IN (SELECT value FROM json_each(?))").bind(ids),
    env.DB.prepare("SELECT check_id, first_seen FROM monitors_seen WHERE check_id IN (SELECT value FROM json_each(?))").bind(ids),
  ]);
  const rows = new Map((stateRows!.results as { check_id: string; status: string; last_run: number | null }[]).map((r) => [r.check_id, r]));
  const seen = new Map((seenRows!.results as { check_id: string; first_seen: number }[]).map((r) => [r.check_id, r.first_seen]));
  const unseen = monitors.filter((m) => !rows.has(m.id) && !seen.has(m.id)).map((m) => m.id);
  if (unseen.length > 0)
    await env.DB.prepare("INSERT OR IGNORE INTO monitors_seen (check_id, first_seen) SELECT value, ? FROM json_each(?)")
      .bind(now, JSON.stringify(unseen))
      .run();

  const items: { check: CheckRef; observation: { status: "unknown"; reason: string } }[] = [];
  for (const m of monitors) {
    const row = rows.get(m.id);
    const firstSeen = seen.get(m.id);
    const late = row
      ? row.last_run !== null && row.status !== "unknown" && row.status !== "down"
        ? overdue(m, { lastRun: row.last_run }, now)
        : null
      : firstSeen !== undefined
        ? overdue(m, { firstSeen }, now)
        : null;
    if (late) items.push({ check: { ...m, kind: m.type }, observation: { status: "unknown", reason: late.reason } });
  }
  if (items.length === 0) return [];
  const states = await loadStates(
    env.DB,
    items.map((i) => i.check.id),
  );
  await observeAll(env, config, states, items, now);
  return items.map((i) => i.check.id);
}
