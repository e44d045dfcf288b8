/**
 * Overdue monitors: a probe monitor whose planned runs stop executing is `unknown` in its current
 * state, not the last state it measured (issue #21). Pure: the last run's time and `now` are
 * passed in.
 *
 * The rule is `OVERDUE`: once the last executed run started more than `intervals` intervals plus
 * `graceMs` ago, the monitor is overdue. The grace covers how runs are recorded: a batch writes
 * its monitors' last run times when it ends (a minute of runs, plus the last run's duration,
 * which config keeps below the interval), and a tick or a queue delivery may come late. A monitor
 * that keeps its schedule is never older than two intervals plus a minute; one that missed three
 * runs in a row is overdue.
 *
 * Two places apply it: the reads (status page, `status.json`, check page, `/v1/monitors`,
 * `/metrics`) show an overdue monitor as unknown at once, with the gap as its reason; and the
 * cron's pass (src/scheduler/overdue.ts) records an unknown observation, so the state machine,
 * the status-page subscribers and a policy's `monitoringBroken` page hear of it.
 */
import { LIMITS } from "../limits";
import { plannedRuns } from "./cadence";
import type { Schedulable } from "./schedule";

/** A monitor is overdue once its last run is older than `intervals` × interval + `graceMs`. */
export const OVERDUE = { intervals: 3, graceMs: 2 * 60_000 } as const;

/** How old a monitor's last run may be before it is overdue, ms. */
export function overdueAfterMs(interval: number): number {
  return OVERDUE.intervals * interval + OVERDUE.graceMs;
}

export interface Overdue {
  /** When the monitor became overdue (its last run + `overdueAfterMs`). */
  since: number;
  /** Planned runs since the last one that executed (or since it was first seen). */
  missed: number;
  /** "no run since 2026-12-06T12:00:00.000Z (4 planned runs missed)". */
  reason: string;
}

/**
 * Whether `monitor` is overdue at `now`, given when its last run started (`from.lastRun`) or,
 * for a monitor that never ran, when Vigil first saw it (`from.firstSeen`).
 */
export function overdue(monitor: Schedulable, from: { lastRun: number } | { firstSeen: number }, now: number): Overdue | null {
  const start = "lastRun" in from ? from.lastRun : from.firstSeen;
  const since = start + overdueAfterMs(monitor.interval);
  if (now <= since) return null;
  // The run that executed started within half a launch grid of its plan: not a missed one.
  const missed = plannedRuns(monitor, "lastRun" in from ? start + LIMITS.launchGridMs : start, now);
  const runs = `${missed} planned run${missed === 1 ? "" : "s"} missed`;
  const at = new Date(start).toISOString();
  const reason = "lastRun" in from ? `no run since ${at} (${runs})` : `never ran since first seen at ${at} (${runs})`;
  return { since, missed, reason };
}

/** The fields of a check's state the reads show. */
export interface ShownState {
  status: "unknown" | "up" | "degraded" | "down";
  since: number;
  reason: string | null;
}

/**
 * A check's state as the reads show it: unknown, with the gap as its reason, when the monitor is
 * overdue; as stored otherwise (also when its last run is not known: rows written before the
 * last run was kept, checks that are not probe monitors).
 */
export function shownState<T extends ShownState>(monitor: Schedulable | undefined, state: T, lastRun: number | null, now: number): T {
  if (!monitor || lastRun === null) return state;
  const late = overdue(monitor, { lastRun }, now);
  if (!late) return state;
  // Recorded unknown already (the cron's pass): keep when that was; else since it became overdue.
  const since = state.status === "unknown" ? Math.min(state.since, late.since) : late.since;
  const last = state.status === "down" ? `; last measured down${state.reason ? `: ${state.reason}` : ""}` : "";
  return { ...state, status: "unknown", since, reason: `${late.reason}${last}` };
}
