/**
 * Housekeeping the cron does every tick, cheaply: roll up the previous hour once its batches
 * are surely done (5 minutes into the next hour), and prune what is past retention. The rollup
 * reads the hour's raw results (one row per executed batch, each a JSON array of results) and
 * writes one row per check: counts, latency min/avg/p95/max, and the latency histogram
 * (exact sum and cumulative counts per `LATENCY_BOUNDS_MS` bound) behind `/metrics`.
 *
 * Cadence: each row also says how many runs the schedule planned in the hour (`plannedRuns`,
 * from the monitors' offsets, counted from when the rollup first saw the monitor), so missed
 * runs show; a monitor with planned runs and no result gets a row of its own (all missed).
 * Hours the cron never rolled up (it did not fire) are caught up, back to the last hour done
 * within the raw results' 48 h, so the hours Vigil was away count as missed, not as nothing.
 * Retention: raw results 48 h, hourly rollups 400 days, tick claims 48 h, the agents' daily disk
 * series 400 days, certificate readings 30 days after the last one (a removed tls monitor's).
 */
import { spanCadence, type CadenceMonitor } from "../engine/cadence";
import { LATENCY_BOUNDS_MS, rollup, type Rollup } from "../engine/rollup";
import type { Schedulable } from "../engine/schedule";
import { rawResultsBetween } from "../store/raw-results";

const HOUR = 3_600_000;
/** The histogram columns of `rollups_hourly`, one per bound (migration 0009). */
const LE_COLUMNS = LATENCY_BOUNDS_MS.map((b) => `latency_le_${b}`).join(", ");
const INSERT_ROLLUP = `INSERT OR REPLACE INTO rollups_hourly (check_id, hour, count, failures, degraded, latency_min, latency_avg, latency_p95, latency_max, latency_sum, ${LE_COLUMNS}, first_byte_avg, planned, unknown, retried)
  VALUES (${Array.from({ length: 14 + LATENCY_BOUNDS_MS.length }, () => "?").join(", ")})`;
/** Hours caught up at most: raw results are kept 48 h. */
const CATCH_UP_HOURS = 47;
export const RETENTION = {
  rawMs: 48 * HOUR,
  rollupsMs: 400 * 24 * HOUR,
  diskDaysMs: 400 * 24 * HOUR,
  certificatesMs: 30 * 24 * HOUR,
} as const;

/**
 * `monitors`: the enabled probe monitors of the config (their runs are planned); without them
 * rows carry no planned count.
 */
export async function housekeeping(
  db: D1Database,
  tickTime: number,
  monitors: readonly Schedulable[] = [],
): Promise<{ rolledUp: number | null; pruned: boolean }> {
  const hour = Math.floor(tickTime / HOUR) * HOUR - HOUR;
  if (tickTime - (hour + HOUR) < 5 * 60_000) return { rolledUp: null, pruned: false };
  // Done already? (Two ticks racing both compute the same rows: the writes are idempotent.)
  if (await db.prepare("SELECT 1 AS x FROM rollup_runs WHERE hour = ?").bind(hour).first()) return { rolledUp: null, pruned: false };
  // 1. The hours to roll up: this one, and those since the last one done that the cron missed.
  const last = await db
    .prepare("SELECT MAX(hour) AS h FROM rollup_runs WHERE hour < ? AND hour >= ?")
    .bind(hour, hour - CATCH_UP_HOURS * HOUR)
    .first<{ h: number | null }>();
  const hours: number[] = [];
  for (let h = last?.h != null ? last.h + HOUR : hour; h <= hour; h += HOUR) hours.push(h);
  // 2. When each monitor was first seen (new ones: now, so their past hours plan nothing).
  const seen = await firstSeen(db, monitors, tickTime);
  const planned: CadenceMonitor[] = monitors.map((m) => ({ id: m.id, interval: m.interval, since: seen.get(m.id) ?? tickTime }));
  const stmts: D1PreparedStatement[] = [];
  let rolledUp = 0;
  for (const h of hours) {
    const rows = withCadence(rollup(await rawResultsBetween(db, h, h + HOUR)), planned, h);
    rolledUp += rows.length;
    for (const r of rows) {
      stmts.push(
        db
          .prepare(INSERT_ROLLUP)
          .bind(
            r.checkId,
            h,
            r.count,
            r.failures,
            r.degraded,
            r.latencyMin,
            r.latencyAvg,
            r.latencyP95,
            r.latencyMax,
            r.latencySum,
            ...r.latencyLe,
            r.firstByteAvg,
            r.planned,
            r.unknown,
            r.retried,
          ),
      );
    }
    if (h !== hour)
      stmts.push(db.prepare("INSERT OR REPLACE INTO rollup_runs (hour, at, checks) VALUES (?, ?, ?)").bind(h, tickTime, rows.length));
  }
  stmts.push(
    db.prepare("DELETE FROM raw_results WHERE minute < ?").bind(tickTime - RETENTION.rawMs),
    db.prepare("DELETE FROM ticks WHERE minute < ?").bind(tickTime - RETENTION.rawMs),
    db.prepare("DELETE FROM rollups_hourly WHERE hour < ?").bind(tickTime - RETENTION.rollupsMs),
    db.prepare("DELETE FROM rollup_runs WHERE hour < ?").bind(tickTime - RETENTION.rollupsMs),
    // Local dates compared as text; a day of slack either way does not matter at 400 days.
    db.prepare("DELETE FROM agent_disk_daily WHERE day < ?").bind(new Date(tickTime - RETENTION.diskDaysMs).toISOString().slice(0, 10)),
    db.prepare("DELETE FROM tls_certificates WHERE checked_at < ?").bind(tickTime - RETENTION.certificatesMs),
  );
  // Marked done last, so a failure part-way is simply redone by the next tick.
  stmts.push(db.prepare("INSERT OR REPLACE INTO rollup_runs (hour, at, checks) VALUES (?, ?, ?)").bind(hour, tickTime, rolledUp));
  // D1 batches are bounded; large fleets write in chunks.
  for (let i = 0; i < stmts.length; i += 500) await db.batch(stmts.slice(i, i + 500));
  return { rolledUp, pruned: true };
}

/** Rollup rows with the hour's planned runs; a planned monitor without results gets an empty row. */
export function withCadence(rows: Rollup[], monitors: readonly CadenceMonitor[], hour: number): (Rollup & { planned: number | null })[] {
  const cadence = spanCadence(monitors, hour, hour + HOUR, new Map(rows.map((r) => [r.checkId, r.count + r.unknown])));
  const out: (Rollup & { planned: number | null })[] = rows.map((r) => ({ ...r, planned: cadence.get(r.checkId)?.planned ?? null }));
  for (const [checkId, c] of cadence) {
    if (c.planned === 0 || c.executed > 0) continue;
    out.push({ ...emptyRollup(checkId), planned: c.planned });
  }
  return out;
}

function emptyRollup(checkId: string): Rollup {
  return {
    checkId,
    count: 0,
    failures: 0,
    degraded: 0,
    unknown: 0,
    retried: 0,
    latencyMin: null,
    latencyAvg: null,
    latencyP95: null,
    latencyMax: null,
    latencySum: null,
    latencyLe: LATENCY_BOUNDS_MS.map(() => 0),
    firstByteAvg: null,
  };
}

/** First-seen times of `monitors` (ms), recording the new ones as seen at `now`. */
async function firstSeen(db: D1Database, monitors: readonly Schedulable[], now: number): Promise<Map<string, number>> {
  if (monitors.length === 0) return new Map();
  const ids = JSON.stringify(monitors.map((m) => m.id));
  const [, read] = await db.batch<{ check_id: string; first_seen: number }>([
    db.prepare("INSERT OR IGNORE INTO monitors_seen (check_id, first_seen) SELECT value, ? FROM json_each(?)").bind(now, ids),
    db.prepare("SELECT check_id, first_seen FROM monitors_seen WHERE check_id IN (SELECT value FROM json_each(?))").bind(ids),
  ]);
  return new Map(read!.results.map((r) => [r.check_id, r.first_seen]));
}
