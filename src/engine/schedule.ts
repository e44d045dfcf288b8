/**
 * Planning: which monitors are due in the minute that starts at a cron tick, and when.
 * Each monitor has a stable offset inside its interval (a hash of its id), so probes spread
 * evenly instead of all firing at the top of the minute.
 */

export interface Schedulable {
  id: string;
  /** ms */
  interval: number;
}

export interface Job {
  monitorId: string;
  /** ms epoch at which the run is planned. */
  at: number;
}

/** FNV-1a 32-bit: small, stable across runtimes. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The monitor's offset inside its interval, in whole ms. */
export function offsetOf(monitor: Schedulable): number {
  return hash32(monitor.id) % monitor.interval;
}

/** Every planned run in `[windowStart, windowStart + windowMs)`, sorted by time. */
export function plan(monitors: readonly Schedulable[], windowStart: number, windowMs = 60_000): Job[] {
  const jobs: Job[] = [];
  const windowEnd = windowStart + windowMs;
  for (const m of monitors) {
    const offset = offsetOf(m);
    // First k with offset + k·interval ≥ windowStart.
    let at = offset + Math.ceil((windowStart - offset) / m.interval) * m.interval;
    for (; at < windowEnd; at += m.interval) jobs.push({ monitorId: m.id, at });
  }
  return jobs.sort((a, b) => a.at - b.at || a.monitorId.localeCompare(b.monitorId));
}
