/**
 * Planning one cron tick, pure: which runs are due in the tick's minute, which late runs are
 * coalesced, and how the runs split into batches that fit one invocation's budgets.
 *
 * - A late tick (the cron fired after some planned times) runs each monitor's most recent
 *   past run at once and drops the older ones: it catches up without a burst.
 * - All runs of one monitor stay in one batch, in time order, so one invocation can make sure
 *   a monitor never runs twice at once.
 * - Monitors are dealt round the batches in the order of their offsets, so every batch's runs
 *   spread over the minute as evenly as the whole fleet's do.
 * - A batch never holds more runs than `jobsPerBatch` nor costs more subrequests than
 *   `subrequestsPerInvocation`.
 */
import { LIMITS, subrequestsPerRun } from "../limits";
import { plan, type Job, type Schedulable } from "./schedule";

export interface PlannedMonitor extends Schedulable {
  samples?: number;
  regions?: readonly string[];
  locations?: readonly string[];
}

export interface TickPlan {
  /** Runs to do, grouped into batches; each batch is one invocation's work. */
  batches: Job[][];
  /** Planned runs dropped because the tick came too late for them (a newer run replaces them). */
  coalesced: number;
  /** True when the whole minute fits the cron invocation itself. */
  inline: boolean;
}

export interface Budgets {
  inlineJobs: number;
  jobsPerBatch: number;
  subrequestsPerInvocation: number;
}

/**
 * The runs of `monitors` in the minute starting at `tickTime`, with the runs already in the
 * past at `now` coalesced into each monitor's latest one.
 */
export function runsDue(monitors: readonly Schedulable[], tickTime: number, now: number): { jobs: Job[]; coalesced: number } {
  const jobs = plan(monitors, tickTime, LIMITS.windowMs);
  const latestPast = new Map<string, number>();
  for (const j of jobs) if (j.at <= now) latestPast.set(j.monitorId, Math.max(latestPast.get(j.monitorId) ?? -Infinity, j.at));
  const kept = jobs.filter((j) => j.at > now || latestPast.get(j.monitorId) === j.at);
  return { jobs: kept, coalesced: jobs.length - kept.length };
}

/**
 * Subrequests one run costs: `subrequestsPerRun`, or with private locations one object call per
 * region and per location (an agent's vote is read from its object, never probed here).
 */
export function runCost(m: PlannedMonitor): number {
  return m.locations?.length ? (m.regions?.length ?? 0) + m.locations.length : subrequestsPerRun(m);
}

export function planTick(monitors: readonly PlannedMonitor[], tickTime: number, now: number, budgets: Budgets = LIMITS): TickPlan {
  // 1. Coalesce: of the runs already in the past, keep only each monitor's latest.
  const { jobs: kept, coalesced } = runsDue(monitors, tickTime, now);

  // 2. Group by monitor, keeping time order inside each group.
  const byMonitor = new Map<string, Job[]>();
  for (const j of kept) byMonitor.set(j.monitorId, [...(byMonitor.get(j.monitorId) ?? []), j]);
  const cost = new Map(monitors.map((m) => [m.id, runCost(m)]));

  const totalSubrequests = subrequests(kept, cost);
  if (kept.length <= budgets.inlineJobs && totalSubrequests <= budgets.subrequestsPerInvocation) {
    return { batches: kept.length > 0 ? [kept] : [], coalesced, inline: true };
  }
  // 3. Deal the monitors, in the order of their first run, round the fewest batches the budgets
  //    allow, so each batch's runs spread over the whole minute.
  const groups = [...byMonitor.values()].map((jobs) => ({ jobs, subrequests: subrequests(jobs, cost) }));
  const fewest = Math.max(Math.ceil(kept.length / budgets.jobsPerBatch), Math.ceil(totalSubrequests / budgets.subrequestsPerInvocation));
  for (let count = fewest; ; count++) {
    const batches = deal(groups, count, budgets);
    if (batches) return { batches: batches.map((b) => b.sort((a, c) => a.at - c.at)), coalesced, inline: false };
  }
}

/**
 * Deals `groups` round `count` batches in turn; a group that does not fit its turn's batch goes
 * to the next one with room. Null when some group fits none (the caller tries one batch more;
 * with a batch per monitor every group fits).
 * Dealing, not filling, matters: filled with the monitors whose offsets come next, each of the
 * 31 batches of 2,000 monitors at 10 s held a third of a second of the interval and started its
 * 66 runs at once on six sockets every 10 s, queueing them up to a second behind their plan.
 */
function deal(groups: readonly { jobs: Job[]; subrequests: number }[], count: number, budgets: Budgets): Job[][] | null {
  const batches = Array.from({ length: count }, () => ({ jobs: [] as Job[], subrequests: 0 }));
  for (const [i, group] of groups.entries()) {
    let batch: (typeof batches)[number] | undefined;
    for (let k = 0; k < count && !batch; k++) {
      const b = batches[(i + k) % count]!;
      // An empty batch takes any group: a monitor over budget on its own still runs, alone.
      if (
        b.jobs.length === 0 ||
        (b.jobs.length + group.jobs.length <= budgets.jobsPerBatch && b.subrequests + group.subrequests <= budgets.subrequestsPerInvocation)
      )
        batch = b;
    }
    if (!batch) return null;
    batch.jobs.push(...group.jobs);
    batch.subrequests += group.subrequests;
  }
  return batches.map((b) => b.jobs);
}

function subrequests(jobs: readonly Job[], cost: ReadonlyMap<string, number>): number {
  return jobs.reduce((sum, j) => sum + (cost.get(j.monitorId) ?? 1), 0);
}
