/**
 * Dead-man deadlines: when silence becomes an alert. Pure; `now`/times are passed in.
 */
import type { CheckStatus } from "../contract/report";
import type { MonitorStatus } from "./evaluate";
import { nextCronRun } from "./cron";

/** Default grace for an agent: this many report intervals without a report. */
export const AGENT_GRACE_INTERVALS = 3;

/** The agent's grace in ms: the configured one, else 3 × the interval it promised. */
export function agentGraceMs(configuredGraceMs: number | undefined, intervalSeconds: number): number {
  return configuredGraceMs ?? AGENT_GRACE_INTERVALS * intervalSeconds * 1_000;
}

/**
 * How an agent's check status is evaluated by the engine.
 * - ok → up, warn → degraded, critical → down.
 * - unknown → unknown. The agent could not tell (socket unreachable, timeout), which is
 *   neither a failure nor a recovery (`evaluate`): counting it as "up" would let a down
 *   database recover because its check went blind, counting it as "down" would page for a
 *   monitoring fault. A down check stays down; any other becomes unknown, its counters kept.
 */
export function observationFor(status: CheckStatus): MonitorStatus {
  switch (status) {
    case "ok":
      return "up";
    case "warn":
      return "degraded";
    case "critical":
      return "down";
    case "unknown":
      return "unknown";
  }
}

export interface JobSchedule {
  /** ms between runs. */
  period?: number;
  cron?: string;
  timezone: string;
  /** ms */
  grace: number;
}

/**
 * When the next ping is expected after a ping at `lastPing`, and when it is late
 * (expected + grace). For a cron schedule the expected time is the next run after the ping.
 */
export function jobDeadline(schedule: JobSchedule, lastPing: number): { expectedAt: number; lateAt: number } {
  let expectedAt: number;
  if (schedule.cron !== undefined) {
    const next = nextCronRun(schedule.cron, schedule.timezone, lastPing);
    // The config was validated by computing a next run; a schedule that stopped running
    // (impossible for 5-field crontab expressions) falls back to a year.
    expectedAt = typeof next === "number" ? next : lastPing + 365 * 86_400_000;
  } else {
    expectedAt = lastPing + schedule.period!;
  }
  return { expectedAt, lateAt: expectedAt + schedule.grace };
}
