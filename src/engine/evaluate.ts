/**
 * The evaluator: turns one probe observation into the monitor's next state and the events it
 * causes. Pure — no I/O, no clock: `now` is passed in.
 *
 * Counters saturate at their threshold, so a monitor that stays up (or down) produces the
 * exact same state every probe and the caller has nothing to write.
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

export function evaluate(
  state: MonitorState,
  observation: Pick<ProbeResult, "status" | "reason">,
  policy: EvaluationPolicy,
  now: number,
): { state: MonitorState; events: StateChanged[] } {
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
  const reason = to === "up" ? null : changed ? (observation.reason ?? null) : state.reason;
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
