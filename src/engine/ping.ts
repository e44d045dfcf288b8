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
 * A finished run is judged by `judgeRun`: the one place that says why a run is down. Today that
 * is a failure report or a non-zero exit code; rules on the run's envelope (too short, too long,
 * too often, started late) belong there too, with the facts they need added to `FinishedRun`.
 */
import { jobDeadline, type JobSchedule } from "./deadline";

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
});

/** A run that ended with a success or failure ping. */
export interface FinishedRun {
  kind: "success" | "fail";
  exitCode?: number;
  /** From `/start` to now; null when no start was pinged. */
  durationMs: number | null;
}

/** Why a finished run is down, or null when it is up. */
export function judgeRun(run: FinishedRun): string | null {
  if (run.kind === "fail") return run.exitCode !== undefined ? `job exited with code ${run.exitCode}` : "job reported failure";
  if (run.exitCode !== undefined && run.exitCode !== 0) return `job exited with code ${run.exitCode}`;
  return null;
}

export interface PingResult {
  state: JobState;
  /** Run time, for a success/failure after a start. */
  durationMs: number | null;
  /** What the job's check observes: set for a success or failure, null otherwise. */
  observation: { status: "up" | "down"; reason?: string } | null;
}

/** The job after `ping` at `now`. A down state's `markedDownAt` is left for the object to stamp when stored. */
export function applyPing(before: JobState, jobId: string, ping: Ping, schedule: JobSchedule, now: number): PingResult {
  const s: JobState = { ...before, jobId };
  if (ping.excerpt !== undefined && (ping.excerpt !== "" || ping.kind === "log")) {
    s.lastExcerpt = ping.excerpt;
    s.excerptTruncated = ping.truncated === true;
  }
  let durationMs: number | null = null;
  let observation: PingResult["observation"] = null;
  switch (ping.kind) {
    case "log":
      break;
    case "start": {
      s.runningSince = now;
      // A started run must finish within the grace (or by the regular deadline, if sooner).
      const runLate = now + schedule.grace;
      s.lateAt = s.lateAt !== null && s.status !== "down" ? Math.min(s.lateAt, runLate) : runLate;
      s.status = s.status === "down" ? "down" : "started";
      break;
    }
    case "success":
    case "fail": {
      if (s.runningSince !== null) durationMs = now - s.runningSince;
      const reason = judgeRun({ kind: ping.kind, exitCode: ping.exitCode, durationMs });
      s.runningSince = null;
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
  return { state: s, durationMs, observation };
}

/** When the job's alarm should fire (its late time), or null: a new or disabled job is not expected. */
export function lateAlarm(s: JobState, enabled: boolean): number | null {
  return s.lateAt !== null && enabled && s.status !== "new" ? s.lateAt : null;
}

export type LateDue = { kind: "idle" } | { kind: "rearm"; at: number } | { kind: "due" };

/** When the alarm fires at `now`: nothing to do, re-arm (not late yet), or late. */
export function lateDue(s: JobState, now: number): LateDue {
  if (s.jobId === null || s.lateAt === null || s.status === "new") return { kind: "idle" };
  if (now < s.lateAt) return { kind: "rearm", at: s.lateAt };
  if (s.status === "down" && s.markedDownAt !== null) return { kind: "idle" }; // already down; stays until the next ping
  return { kind: "due" };
}

/** Why a late job is down: a run that did not finish, or a ping that did not come. */
export function lateReason(s: JobState, graceMs: number): string {
  const graceText = `grace ${Math.round(graceMs / 1000)} s`;
  if (s.runningSince !== null) return `started at ${new Date(s.runningSince).toISOString()} and did not finish within the ${graceText}`;
  const last = s.lastPingAt ? new Date(s.lastPingAt).toISOString() : "never";
  return `expected a ping by ${new Date(s.expectedAt ?? s.lateAt!).toISOString()} (+ ${graceText}); last ping ${last}`;
}
