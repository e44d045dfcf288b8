/**
 * Housekeeping the cron does every tick, cheaply: roll up the previous hour once its batches
 * are surely done (5 minutes into the next hour), and prune what is past retention. The rollup
 * reads the hour's raw results (one row per executed batch, each a JSON array of results) and
 * writes one row per check: counts, latency min/avg/p95/max, and the latency histogram
 * (exact sum and cumulative counts per `LATENCY_BOUNDS_MS` bound) behind `/metrics`.
 * Retention: raw results 48 h, hourly rollups 400 days, tick claims 48 h, the agents' daily disk
 * series 400 days, certificate readings 30 days after the last one (a removed tls monitor's).
 */
import { LATENCY_BOUNDS_MS, rollup } from "../engine/rollup";
import { rawResultsBetween } from "../store/raw-results";

const HOUR = 3_600_000;
/** The histogram columns of `rollups_hourly`, one per bound (migration 0009). */
const LE_COLUMNS = LATENCY_BOUNDS_MS.map((b) => `latency_le_${b}`).join(", ");
const INSERT_ROLLUP = `INSERT OR REPLACE INTO rollups_hourly (check_id, hour, count, failures, degraded, latency_min, latency_avg, latency_p95, latency_max, latency_sum, ${LE_COLUMNS}, first_byte_avg)
  VALUES (${Array.from({ length: 11 + LATENCY_BOUNDS_MS.length }, () => "?").join(", ")})`;
export const RETENTION = {
  rawMs: 48 * HOUR,
  rollupsMs: 400 * 24 * HOUR,
  diskDaysMs: 400 * 24 * HOUR,
  certificatesMs: 30 * 24 * HOUR,
} as const;

export async function housekeeping(db: D1Database, tickTime: number): Promise<{ rolledUp: number | null; pruned: boolean }> {
  const hour = Math.floor(tickTime / HOUR) * HOUR - HOUR;
  if (tickTime - (hour + HOUR) < 5 * 60_000) return { rolledUp: null, pruned: false };
  // Done already? (Two ticks racing both compute the same rows: the writes are idempotent.)
  if (await db.prepare("SELECT 1 AS x FROM rollup_runs WHERE hour = ?").bind(hour).first()) return { rolledUp: null, pruned: false };
  const rows = rollup(await rawResultsBetween(db, hour, hour + HOUR));
  const stmts = rows.map((r) =>
    db
      .prepare(INSERT_ROLLUP)
      .bind(
        r.checkId,
        hour,
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
      ),
  );
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
  stmts.push(db.prepare("INSERT OR REPLACE INTO rollup_runs (hour, at, checks) VALUES (?, ?, ?)").bind(hour, tickTime, rows.length));
  // D1 batches are bounded; large fleets write in chunks.
  for (let i = 0; i < stmts.length; i += 500) await db.batch(stmts.slice(i, i + 500));
  return { rolledUp: rows.length, pruned: true };
}
