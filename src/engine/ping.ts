/**
 * The ping state machine of a job (Healthchecks.io semantics), pure: `now` is passed in.
 *
 * - success (`/ping/:key`, `/ping/:key/0`): the job is up; the next ping is expected one period
 *   later, or at the next cron run after this ping; late = expected + grace.
 * - start (`/start`): the run's clock starts; if no success or failure arrives within the grace
 *   (or by the regular deadline, if sooner), the job is down. Run time is measured from the
 *   start to the next success/failure.
 * - fail (`/fail`, `/:exitCode` ≠ 0): down at once.
 * - log (`/log`): keeps the body excerpt, changes nothing else.
 * A job that has never pinged is "new" and is not expected yet.
 *
 * A finished run is judged by `judgeRun`: the one place that says why a run is down: a failure
 * report, a non-zero exit code, or a run outside the job's envelope (src/engine/job-envelope.ts:
 * too often or late, judged at its start; too short or too long, judged at its success; too long
 * also while it runs, by the alarm at `overrunAt`). A run starts at its `/start` ping, or at its
 * success or failure ping when it sent none. A start outside the envelope is down at once.
 */
import { jobDeadline, type JobSchedule } from "./deadline";
import {
  judgeDuration,
  judgeRunning,
  judgeStart,
  overrunAt,
  type EnvelopeBounds,
  type EnvelopeReason,
  type Violation,
} from "./job-envelope";

export type PingKind = "success" | "start" | "fail" | "log";

export interface Ping {
  kind: PingKind;
  /** For `/:exitCode` pings. */
  exitCode?: number;
  /** The first bytes of the body, as text. */
  excerpt?: string;
  /** The body had more bytes than were kept. */
  truncated?: boolean;
}

export type JobStatus = "new" | "up" | "down" | "started";

/** What a HeartbeatObject keeps about its job (one row). */
export interface JobState {
  jobId: string | null;
  status: JobStatus;
  lastPingAt: number | null;
  lastPingKind: PingKind | null;
  lastExitCode: number | null;
  runningSince: number | null;
  lastDurationMs: number | null;
  lastExcerpt: string | null;
  excerptTruncated: boolean;
  expectedAt: number | null;
  lateAt: number | null;
  downReason: string | null;
  /** When the change to "down" was stored (stamped by the object once written). */
  markedDownAt: number | null;
  /** When the latest run started (its `/start`, else its success or failure ping): "too often" counts from here. */
  lastRunStartedAt: number | null;
  /** The running run: when it was expected to start (the `expectedAt` at its start). */
  runExpectedAt: number | null;
  /** The running run: when it becomes too long (the alarm), until judged so. */
  overrunAt: number | null;
  /** The running run: what is already outside its envelope (too often, late; too long while running). */
  runViolations: RunViolation[];
}

/** A reason and its sentence (src/engine/job-envelope.ts `Violation`, without the bound). */
export interface RunViolation {
  reason: EnvelopeReason;
  message: string;
}

/** A finished run, as the job's run history keeps it. */
export interface RunRecord {
  startedAt: number;
  finishedAt: number;
  /** start → finish; null when the run sent no `/start`. */
  durationMs: number | null;
  /** startedAt − the expected time (negative: early); null when none was expected. */
  startDelayMs: number | null;
  outcome: "success" | "fail";
  exitCode: number | null;
  /** Envelope reasons the run broke (`too-short`, …). */
  reasons: EnvelopeReason[];
  /** Why the run is down (failure and envelope sentences), or null. */
  downReason: string | null;
}

/** A job that has never pinged ("new": not expected yet). */
export const newJob = (): JobState => ({
  jobId: null,
  status: "new",
  lastPingAt: null,
  lastPingKind: null,
  lastExitCode: null,
  runningSince: null,
  lastDurationMs: null,
  lastExcerpt: null,
  excerptTruncated: false,
  expectedAt: null,
  lateAt: null,
  downReason: null,
  markedDownAt: null,
  lastRunStartedAt: null,
  runExpectedAt: null,
  overrunAt: null,
  runViolations: [],
});

/** A run that ended with a success or failure ping. */
export interface FinishedRun {
  kind: "success" | "fail";
  exitCode?: number;
  /** From `/start` to now; null when no start was pinged. */
  durationMs: number | null;
  /** Envelope violations of the run (at its start, while running, at its end). */
  violations?: readonly RunViolation[];
}

/** Why a finished run is down, or null when it is up: the failure first, then each envelope reason. */
export function judgeRun(run: FinishedRun): string | null {
  const failed =
    run.kind === "fail"
      ? run.exitCode !== undefined
        ? `job exited with code ${run.exitCode}`
        : "job reported failure"
      : run.exitCode !== undefined && run.exitCode !== 0
        ? `job exited with code ${run.exitCode}`
        : null;
  const reasons = [...(failed ? [failed] : []), ...(run.violations ?? []).map((v) => v.message)];
  return reasons.length > 0 ? reasons.join("; ") : null;
}

const lite = (v: Violation): RunViolation => ({ reason: v.reason, message: v.message });

export interface PingResult {
  state: JobState;
  /** Run time, for a success/failure after a start. */
  durationMs: number | null;
  /** What the job's check observes: set for a success or failure (and a start outside the envelope), null otherwise. */
  observation: { status: "up" | "down"; reason?: string } | null;
  /** The run that this ping finished, for the run history. */
  run: RunRecord | null;
}

/**
 * The job after `ping` at `now`. A down state's `markedDownAt` is left for the object to stamp
 * when stored. `envelope`: the job's bounds now (from its config and past runs), or null.
 */
export function applyPing(
  before: JobState,
  jobId: string,
  ping: Ping,
  schedule: JobSchedule,
  now: number,
  envelope: EnvelopeBounds | null = null,
): PingResult {
  const s: JobState = { ...before, jobId, runViolations: [...before.runViolations] };
  if (ping.excerpt !== undefined && (ping.excerpt !== "" || ping.kind === "log")) {
    s.lastExcerpt = ping.excerpt;
    s.excerptTruncated = ping.truncated === true;
  }
  let durationMs: number | null = null;
  let observation: PingResult["observation"] = null;
  let run: RunRecord | null = null;
  /** A run begins now: judged against the previous run's start and the expected time. */
  const begin = (): RunViolation[] => {
    const found = envelope
      ? judgeStart(envelope, { startedAt: now, previousStartedAt: s.lastRunStartedAt, expectedAt: s.expectedAt }).map(lite)
      : [];
    s.lastRunStartedAt = now;
    s.runExpectedAt = s.expectedAt;
    return found;
  };
  switch (ping.kind) {
    case "log":
      break;
    case "start": {
      s.runningSince = now;
      s.runViolations = begin();
      s.overrunAt = envelope ? overrunAt(envelope, now) : null;
      // A started run must finish within the grace (or by the regular deadline, if sooner).
      const runLate = now + schedule.grace;
      s.lateAt = s.lateAt !== null && s.status !== "down" ? Math.min(s.lateAt, runLate) : runLate;
      if (s.runViolations.length > 0) {
        // Too often or late: known now, down now (the run's end cannot make it right).
        const reason = judgeRun({ kind: "success", durationMs: null, violations: s.runViolations })!;
        s.status = "down";
        s.downReason = reason;
        s.markedDownAt = null;
        observation = { status: "down", reason };
      } else {
        s.status = s.status === "down" ? "down" : "started";
      }
      break;
    }
    case "success":
    case "fail": {
      const started = s.runningSince;
      if (started === null) s.runViolations = begin();
      const startedAt = started ?? now;
      if (started !== null) durationMs = now - started;
      if (envelope && durationMs !== null && ping.kind === "success" && (ping.exitCode ?? 0) === 0) {
        // The final duration replaces a "too long" seen while it ran.
        s.runViolations = [...s.runViolations.filter((v) => v.reason !== "too-long"), ...judgeDuration(envelope, durationMs).map(lite)];
      }
      const reason = judgeRun({ kind: ping.kind, exitCode: ping.exitCode, durationMs, violations: s.runViolations });
      const failed = ping.kind === "fail" || (ping.exitCode !== undefined && ping.exitCode !== 0);
      run = {
        startedAt,
        finishedAt: now,
        durationMs,
        startDelayMs: s.runExpectedAt === null ? null : startedAt - s.runExpectedAt,
        outcome: failed ? "fail" : "success",
        exitCode: ping.exitCode ?? null,
        reasons: s.runViolations.map((v) => v.reason),
        downReason: reason,
      };
      s.runningSince = null;
      s.runExpectedAt = null;
      s.overrunAt = null;
      s.runViolations = [];
      s.lastDurationMs = durationMs;
      s.lastExitCode = ping.exitCode ?? null;
      const { expectedAt, lateAt } = jobDeadline(schedule, now);
      s.expectedAt = expectedAt;
      s.lateAt = lateAt;
      s.status = reason === null ? "up" : "down";
      s.downReason = reason;
      s.markedDownAt = null;
      observation = reason === null ? { status: "up", reason: undefined } : { status: "down", reason };
      break;
    }
  }
  s.lastPingAt = now;
  s.lastPingKind = ping.kind;
  return { state: s, durationMs, observation, run };
}

/** The running run's overrun time, while it has not been judged too long yet. */
function pendingOverrun(s: JobState): number | null {
  return s.runningSince !== null && s.overrunAt !== null && !s.runViolations.some((v) => v.reason === "too-long") ? s.overrunAt : null;
}

/** When the job's alarm should fire (its late time, or sooner a run's overrun), or null: a new or disabled job is not expected. */
export function lateAlarm(s: JobState, enabled: boolean): number | null {
  if (!enabled || s.status === "new") return null;
  const times = [s.lateAt, pendingOverrun(s)].filter((t): t is number => t !== null);
  return times.length > 0 ? Math.min(...times) : null;
}

export type LateDue = { kind: "idle" } | { kind: "rearm"; at: number } | { kind: "due" } | { kind: "overrun" };

/** When the alarm fires at `now`: nothing to do, re-arm (not late yet), late, or a run gone on too long. */
export function lateDue(s: JobState, now: number): LateDue {
  if (s.jobId === null || s.status === "new") return { kind: "idle" };
  const overrun = pendingOverrun(s);
  if (overrun !== null && now >= overrun) return { kind: "overrun" };
  if (s.lateAt === null) return overrun !== null ? { kind: "rearm", at: overrun } : { kind: "idle" };
  if (now < s.lateAt) return { kind: "rearm", at: Math.min(s.lateAt, overrun ?? Infinity) };
  if (s.status === "down" && s.markedDownAt !== null) return { kind: "idle" }; // already down; stays until the next ping
  return { kind: "due" };
}

/**
 * A run still going at `now` past its upper bound: down, "run too long: still running after …".
 * Null when the bound (re-learned since the start) no longer says so; the run is then not judged
 * again until it ends.
 */
export function applyOverrun(s: JobState, envelope: EnvelopeBounds | null, now: number): { state: JobState; reason: string | null } {
  const violation = envelope && s.runningSince !== null ? judgeRunning(envelope, s.runningSince, now) : null;
  if (!violation) return { state: { ...s, overrunAt: null }, reason: null };
  const runViolations = [...s.runViolations, lite(violation)];
  const reason = judgeRun({ kind: "success", durationMs: null, violations: runViolations })!;
  return { state: { ...s, status: "down", downReason: reason, markedDownAt: null, runViolations }, reason };
}

/** Why a late job is down: a run that did not finish, or a ping that did not come. */
export function lateReason(s: JobState, graceMs: number): string {
  const graceText = `grace ${Math.round(graceMs / 1000)} s`;
  if (s.runningSince !== null) return `started at ${new Date(s.runningSince).toISOString()} and did not finish within the ${graceText}`;
  const last = s.lastPingAt ? new Date(s.lastPingAt).toISOString() : "never";
  return `expected a ping by ${new Date(s.expectedAt ?? s.lateAt!).toISOString()} (+ ${graceText}); last ping ${last}`;
}
