/**
 * What a period's numbers say, honestly. Pure.
 *
 * - **Unknown is not up.** A planned run that did not execute, or a run that could not measure
 *   (the probe crashed: Vigil's fault, not the target's), measured nothing. Uptime is computed
 *   over the measured runs only, and said together with how much of the period was measured:
 *   "99.2 % up, measured 87 % of the period".
 * - **Degraded is not down.** Degraded runs count as available in uptime, and have their own
 *   share next to up and down (for SLA reports that count slowness separately).
 *
 * A tally without `planned` (hours rolled up before planned runs were kept) is taken as fully
 * measured: nothing is known to be missing.
 */

/** Counts of one check over a period (an hour, a day, 90 days). */
export interface AvailabilityTally {
  /** Runs the schedule planned; absent when not known. */
  planned?: number;
  /** Runs that measured the target (up, degraded or down). */
  count: number;
  /** Executed runs that were down. */
  failures: number;
  /** Executed runs that were degraded. */
  degraded: number;
  /** Runs that executed but could not measure (unknown); executed = count + unknown. Default 0. */
  unknown?: number;
}

export interface Availability {
  /** Runs that measured the target: up, degraded or down. */
  measured: number;
  /** Runs expected: planned, or the executed ones when nothing was planned (or it is not known). */
  expected: number;
  /** measured / expected, 0–1; null when nothing was expected. */
  measuredShare: number | null;
  /** Share of the expected runs that measured nothing (missed or unknown), 0–1; null when nothing was expected. */
  unknownShare: number | null;
  /** Not down, over the measured runs (degraded counts as available), 0–1; null without measurements. */
  uptime: number | null;
  /** Shares of the measured runs, 0–1 each, summing to 1; null without measurements. */
  shares: { up: number; degraded: number; down: number } | null;
}

export function availability(t: AvailabilityTally): Availability {
  const measured = t.count;
  const expected = Math.max(t.planned ?? 0, t.count + (t.unknown ?? 0));
  const measuredShare = expected === 0 ? null : measured / expected;
  if (measured === 0)
    return { measured, expected, measuredShare, unknownShare: measuredShare === null ? null : 1, uptime: null, shares: null };
  const down = t.failures / measured;
  const degraded = t.degraded / measured;
  return {
    measured,
    expected,
    measuredShare,
    unknownShare: 1 - measuredShare!,
    uptime: 1 - down,
    shares: { up: 1 - down - degraded, degraded, down },
  };
}

/** Adds tallies (hours into a day, days into 90); `planned` stays absent only if absent everywhere. */
export function sumTallies(tallies: Iterable<AvailabilityTally>): AvailabilityTally {
  const sum: AvailabilityTally = { count: 0, failures: 0, degraded: 0, unknown: 0 };
  for (const t of tallies) {
    sum.count += t.count;
    sum.failures += t.failures;
    sum.degraded += t.degraded;
    sum.unknown! += t.unknown ?? 0;
    // An hour without a planned count planned what it executed.
    if (t.planned !== undefined || sum.planned !== undefined) sum.planned = (sum.planned ?? 0) + (t.planned ?? t.count + (t.unknown ?? 0));
  }
  return sum;
}

/** A day's (or hour's) colour in the bars. */
export type PeriodLevel = "none" | "unknown" | "up" | "degraded" | "partial" | "down";

/** Below this measured share, a period without failures shows as unknown rather than up. */
export const MEASURED_ENOUGH = 0.5;

/**
 * - `none`: nothing was planned or run (before the check existed);
 * - `down` / `partial`: some measured runs were down (over / at most 5 % of them) — a failure
 *   seen is always shown, however little was measured;
 * - `unknown`: runs were expected but under half of them measured anything;
 * - `degraded`, `up`: from what was measured.
 */
export function periodLevel(t: AvailabilityTally): PeriodLevel {
  const a = availability(t);
  if (a.expected === 0) return "none";
  if (t.failures > 0) return t.failures / a.measured <= 0.05 ? "partial" : "down";
  if (a.measuredShare! < MEASURED_ENOUGH) return "unknown";
  return t.degraded > 0 ? "degraded" : "up";
}

/** `measured 87 % of the period` / `measured 99.5 %`: shares as people read them (floored, so 99.96 % is not "100 %"). */
export function formatShare(share: number): string {
  const pct = Math.floor(share * 1000) / 10;
  return `${Number.isInteger(pct) ? pct.toFixed(0) : pct.toFixed(1)} %`;
}

/**
 * The tally of days `[from, to)` from the status history's flat arrays: `days` holds
 * `[count, failures, degraded]` per day, `cadence` `[planned, unknown, retried]` (absent: every
 * day fully measured).
 */
export function tallyOfDays(
  days: ArrayLike<number>,
  cadence: ArrayLike<number> | undefined,
  from: number,
  to: number,
): AvailabilityTally & { retried: number } {
  const t = { count: 0, failures: 0, degraded: 0, unknown: 0, retried: 0, planned: cadence ? 0 : undefined } as AvailabilityTally & {
    retried: number;
  };
  for (let i = from; i < to; i++) {
    t.count += days[i * 3] ?? 0;
    t.failures += days[i * 3 + 1] ?? 0;
    t.degraded += days[i * 3 + 2] ?? 0;
    if (cadence) {
      // A day rolled up before planned runs were kept planned what it executed.
      t.planned! += Math.max(cadence[i * 3] ?? 0, (days[i * 3] ?? 0) + (cadence[i * 3 + 1] ?? 0));
      t.unknown! += cadence[i * 3 + 1] ?? 0;
      t.retried += cadence[i * 3 + 2] ?? 0;
    }
  }
  if (!cadence) delete t.planned;
  return t;
}
