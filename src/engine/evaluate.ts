/**
 * The evaluator: turns one probe observation into the monitor's next state and the events it
 * causes. Pure — no I/O, no clock: `now` is passed in.
 *
 * Counters saturate at their threshold, so a monitor that stays up (or down) produces the
 * exact same state every probe and the caller has nothing to write.
 *
 * An `unknown` observation (the probe could not run: Vigil's fault, not the target's) is
 * neither a failure nor a success: it counts toward no threshold, never makes a monitor down
 * (so it never opens an incident), and never recovers a down one (nothing says it is back).
 * A monitor that is not down becomes unknown until the next real observation.
 */
import type { ProbeResult, ProbeStatus } from "../contract/probe";

export type MonitorStatus = ProbeStatus | "unknown";

export interface MonitorState {
  status: MonitorStatus;
  /** ms epoch of the last status change. */
  since: number;
  consecutiveFailures: number;
  consecutiveSuccesses: number;
  /** Why the monitor is not up (kept from the observation that changed the status). */
  reason: string | null;
}

export interface EvaluationPolicy {
  /** Consecutive down observations before the monitor is down. */
  failureThreshold: number;
  /** Consecutive good observations before a down monitor recovers. */
  recoveryThreshold: number;
}

export interface StateChanged {
  type: "monitor.state_changed";
  from: MonitorStatus;
  to: MonitorStatus;
  at: number;
  reason: string | null;
}

export function initialState(now: number): MonitorState {
  return { status: "unknown", since: now, consecutiveFailures: 0, consecutiveSuccesses: 0, reason: null };
}

/** What one run observed: a probe result's status, or unknown when it could not measure. */
export interface ObservedStatus extends Pick<ProbeResult, "reason"> {
  status: MonitorStatus;
  /**
   * With `unknown`: whoever reports the check went silent (an agent's dead-man), so nobody knows
   * its state any more: unknown even when it was down. A plain unknown run leaves a down check down.
   */
  stale?: boolean;
}

export function evaluate(
  state: MonitorState,
  observation: ObservedStatus,
  policy: EvaluationPolicy,
  now: number,
): { state: MonitorState; events: StateChanged[] } {
  if (observation.status === "unknown") return observeUnknown(state, observation.reason ?? null, now, observation.stale === true);
  const failed = observation.status === "down";
  const consecutiveFailures = failed ? Math.min(state.consecutiveFailures + 1, policy.failureThreshold) : 0;
  const consecutiveSuccesses = failed ? 0 : Math.min(state.consecutiveSuccesses + 1, policy.recoveryThreshold);

  let to: MonitorStatus = state.status;
  if (failed) {
    if (state.status !== "down" && consecutiveFailures >= policy.failureThreshold) to = "down";
  } else if (state.status === "down") {
    if (consecutiveSuccesses >= policy.recoveryThreshold) to = observation.status;
  } else {
    // Not down: follow the observation at once (unknown → up, up ↔ degraded).
    to = observation.status;
  }

  const changed = to !== state.status;
  // A down monitor's reason follows what fails now ("refused" after "500"): a change of error
  // text is written (and put on the incident's timeline), but it is no status change.
  const failingAnew = to === "down" && failed && observation.reason !== undefined;
  const reason = to === "up" ? null : changed ? (observation.reason ?? null) : failingAnew ? observation.reason! : state.reason;
  const next: MonitorState = {
    status: to,
    since: changed ? now : state.since,
    consecutiveFailures,
    consecutiveSuccesses,
    reason,
  };
  const events: StateChanged[] = changed ? [{ type: "monitor.state_changed", from: state.status, to, at: now, reason }] : [];
  return { state: next, events };
}

function observeUnknown(
  state: MonitorState,
  reason: string | null,
  now: number,
  stale: boolean,
): { state: MonitorState; events: StateChanged[] } {
  if (state.status === "down" && !stale) return { state, events: [] };
  if (state.status === "unknown") return { state: state.reason === reason ? state : { ...state, reason }, events: [] };
  const next: MonitorState = { ...state, status: "unknown", since: now, reason };
  return { state: next, events: [{ type: "monitor.state_changed", from: state.status, to: "unknown", at: now, reason }] };
}

/** True when two states are the same, i.e. there is nothing to store. */
export function sameState(a: MonitorState, b: MonitorState): boolean {
  return (
    a.status === b.status &&
    a.since === b.since &&
    a.consecutiveFailures === b.consecutiveFailures &&
    a.consecutiveSuccesses === b.consecutiveSuccesses &&
    a.reason === b.reason
  );
}
