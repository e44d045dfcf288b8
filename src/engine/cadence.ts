/**
 * Cadence you can check: how many runs of a monitor were planned in a span, against how many
 * executed. Pure.
 *
 * The planned count comes from the same stable offsets the planner uses (`offsetOf`), not from
 * the ticks that fired: a cron that did not fire, a tick that came late and coalesced its runs,
 * a run skipped because the previous one was still going — each leaves a planned run without an
 * executed one, and shows here as missed. A monitor that did not run is not "fine".
 */
import { offsetOf, type Schedulable } from "./schedule";

/** Planned runs of `monitor` in `[from, to)`: the k with `offset + k·interval` in the span. */
export function plannedRuns(monitor: Schedulable, from: number, to: number): number {
  if (to <= from) return 0;
  const offset = offsetOf(monitor);
  const firstK = (t: number) => Math.ceil((t - offset) / monitor.interval);
  return firstK(to) - firstK(from);
}

export interface Cadence {
  planned: number;
  executed: number;
  /** Planned runs that did not execute (never negative: a run executed twice is not a missed one made up). */
  missed: number;
}

export function cadence(planned: number, executed: number): Cadence {
  return { planned, executed, missed: Math.max(0, planned - executed) };
}

export interface CadenceMonitor extends Schedulable {
  /**
   * ms epoch since when the monitor has been in the config (enabled); runs planned before it
   * are not counted. Default: always.
   */
  since?: number;
}

/**
 * One hour's (or any span's) cadence for every monitor: planned from the schedule, executed from
 * the span's results (`executed` by monitor id). A monitor without any result gets a row too —
 * every planned run of it was missed.
 */
export function spanCadence(
  monitors: readonly CadenceMonitor[],
  from: number,
  to: number,
  executed: ReadonlyMap<string, number>,
): Map<string, Cadence> {
  const out = new Map<string, Cadence>();
  for (const m of monitors) out.set(m.id, cadence(plannedRuns(m, Math.max(from, m.since ?? from), to), executed.get(m.id) ?? 0));
  return out;
}

/** Sums cadences (hours into a day, days into a period). */
export function sumCadence(items: Iterable<Cadence>): Cadence {
  let planned = 0;
  let executed = 0;
  let missed = 0;
  for (const c of items) {
    planned += c.planned;
    executed += c.executed;
    missed += c.missed;
  }
  return { planned, executed, missed };
}
