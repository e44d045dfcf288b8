/** Hourly rollups from raw results: count, failures, degraded, unknown, latency min/avg/p95/max and histogram buckets. Pure. */

/**
 * Upper bounds (ms) of the latency histogram kept per check and hour, the `le` labels of
 * `vigil_probe_latency_seconds_bucket` (+Inf is the count). Fixed: each bound is a column of
 * `rollups_hourly` (`latency_le_<bound>`, migration 0009).
 */
export const LATENCY_BOUNDS_MS = [50, 100, 250, 500, 1000, 2500, 5000, 10000] as const;

export interface Rollup {
  checkId: string;
  /** Runs that measured the target (up, degraded or down); unknown runs are not among them. */
  count: number;
  failures: number;
  degraded: number;
  /** Runs that executed but measured nothing (raw status 3: the probe could not run); executed = count + unknown. */
  unknown: number;
  /** Runs that took more than one attempt (retries after network failures). */
  retried: number;
  latencyMin: number | null;
  latencyAvg: number | null;
  latencyP95: number | null;
  latencyMax: number | null;
  /** Exact sum of the latencies, ms; null without observations. */
  latencySum: number | null;
  /** Cumulative: `latencyLe[i]` observations took at most `LATENCY_BOUNDS_MS[i]` ms. */
  latencyLe: number[];
  /** Mean time to the response headers over the observations that had one (http), ms. */
  firstByteAvg: number | null;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Cumulative counts of `sorted` (ascending) at or below each bound. */
export function cumulativeBuckets(sorted: readonly number[], bounds: readonly number[] = LATENCY_BOUNDS_MS): number[] {
  const out: number[] = [];
  let i = 0;
  for (const le of bounds) {
    while (i < sorted.length && sorted[i]! <= le) i++;
    out.push(i);
  }
  return out;
}

/** A raw result as rollup reads it: [check, offset, status, latency, first byte (or null), attempts]. */
export type RollupInput = readonly [string, number, number, number, (number | null)?, number?];

export function rollup(results: readonly RollupInput[]): Rollup[] {
  const by = new Map<string, { statuses: number[]; latencies: number[]; firstBytes: number[]; retried: number; unknown: number }>();
  for (const [checkId, , status, latency, firstByte, attempts] of results) {
    let e = by.get(checkId);
    if (!e) by.set(checkId, (e = { statuses: [], latencies: [], firstBytes: [], retried: 0, unknown: 0 }));
    if (attempts !== undefined && attempts > 1) e.retried++;
    // An unknown run measured nothing: it is counted apart, never in count, latency or uptime.
    if (status === 3) {
      e.unknown++;
      continue;
    }
    e.statuses.push(status);
    e.latencies.push(latency);
    if (firstByte !== undefined && firstByte !== null) e.firstBytes.push(firstByte);
  }
  return [...by].map(([checkId, { statuses, latencies, firstBytes, retried, unknown }]) => {
    const sorted = latencies.sort((a, b) => a - b);
    const sum = sorted.reduce((a, b) => a + b, 0);
    return {
      checkId,
      count: statuses.length,
      failures: statuses.filter((s) => s === 2).length,
      degraded: statuses.filter((s) => s === 1).length,
      unknown,
      retried,
      latencyMin: sorted[0] ?? null,
      latencyAvg: sorted.length ? Math.round((sum / sorted.length) * 10) / 10 : null,
      latencyP95: percentile(sorted, 95),
      latencyMax: sorted.at(-1) ?? null,
      latencySum: sorted.length ? sum : null,
      latencyLe: cumulativeBuckets(sorted),
      firstByteAvg: firstBytes.length ? Math.round((firstBytes.reduce((a, b) => a + b, 0) / firstBytes.length) * 10) / 10 : null,
    };
  });
}
