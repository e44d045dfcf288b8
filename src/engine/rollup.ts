/** Hourly rollups from raw results: count, failures, degraded, latency min/avg/p95/max. Pure. */

export interface Rollup {
  checkId: string;
  count: number;
  failures: number;
  degraded: number;
  latencyMin: number | null;
  latencyAvg: number | null;
  latencyP95: number | null;
  latencyMax: number | null;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function rollup(results: readonly (readonly [string, number, number, number])[]): Rollup[] {
  const by = new Map<string, { statuses: number[]; latencies: number[] }>();
  for (const [checkId, , status, latency] of results) {
    let e = by.get(checkId);
    if (!e) by.set(checkId, (e = { statuses: [], latencies: [] }));
    e.statuses.push(status);
    e.latencies.push(latency);
  }
  return [...by].map(([checkId, { statuses, latencies }]) => {
    const sorted = latencies.sort((a, b) => a - b);
    return {
      checkId,
      count: statuses.length,
      failures: statuses.filter((s) => s === 2).length,
      degraded: statuses.filter((s) => s === 1).length,
      latencyMin: sorted[0] ?? null,
      latencyAvg: sorted.length ? Math.round((sorted.reduce((a, b) => a + b, 0) / sorted.length) * 10) / 10 : null,
      latencyP95: percentile(sorted, 95),
      latencyMax: sorted.at(-1) ?? null,
    };
  });
}
