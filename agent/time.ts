/**
 * `new Date(ms).toISOString()`, written from the UTC getters. V8's own toISOString sets up
 * its time-zone cache (ICU) on first use: ~0.9 MiB of the agent's resident memory for a
 * format that needs no time zone (BENCHMARKS.md, "Agent"). Same output for years 0–9999;
 * other years (never a clock reading) go to toISOString.
 */
const pad = (n: number, w = 2) => String(n).padStart(w, "0");

export function isoTime(ms: number = Date.now()): string {
  const d = new Date(ms);
  const y = d.getUTCFullYear();
  if (!(y >= 0 && y <= 9999)) return d.toISOString(); // also throws for NaN, as toISOString does
  return `${pad(y, 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}Z`;
}

/**
 * Milliseconds from a monotonic clock, for durations. `performance.now()` would load Node's
 * perf_hooks (~0.9 MiB resident) into a process that needs only a difference of two readings.
 */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
