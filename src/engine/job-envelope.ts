/**
 * Job run envelopes: is a run of a ping job too short, too long, too frequent, or late? Pure;
 * every time is passed in.
 *
 * A run starts at its `/start` ping (or, without one, at its success ping) and finishes at its
 * success ping; its duration is start → success. Four bounds, each with its own reason:
 *
 * | reason      | judged            | against                                                  |
 * |-------------|-------------------|----------------------------------------------------------|
 * | `too-short` | at the success    | duration < `minDuration`                                 |
 * | `too-long`  | while running, and at the success | duration > `maxDuration`                 |
 * | `too-often` | at the start      | time since the previous run's start < `minInterval`      |
 * | `late`      | at the start      | start − the time Vigil expected the run > `maxStartDelay` |
 *
 * A bound comes from the config; one the config leaves open is learned, when learning is on,
 * from the job's last N successful runs: median ± k × MAD (median absolute deviation), the
 * band never narrower than 10 % of the typical value and `minSpread`, so that a job whose runs
 * are all alike is not judged to the millisecond. A bound is learned only once `minRuns`
 * measurements exist; a learned lower bound at or below zero is no bound.
 */
import { formatDuration } from "../../lib/duration";

export const ENVELOPE_REASONS = ["too-short", "too-long", "too-often", "late"] as const;
export type EnvelopeReason = (typeof ENVELOPE_REASONS)[number];

/** The learned band is never narrower than this share of the typical value (median). */
export const LEARN_RELATIVE_FLOOR = 0.1;

/** Learning from past runs (all in ms). */
export interface EnvelopeLearning {
  /** How many past successful runs are looked at (the newest). */
  runs: number;
  /** Band half-width in MADs. */
  k: number;
  /** Measurements needed before a bound is learned. */
  minRuns: number;
  /** The band's half-width is at least this (ms). */
  minSpread: number;
}

/** A job's envelope, durations in ms (the validated config's shape, src/config/envelope.ts). */
export interface EnvelopeSpec {
  minDuration?: number | undefined;
  maxDuration?: number | undefined;
  minInterval?: number | undefined;
  maxStartDelay?: number | undefined;
  /** `false`: only the configured bounds. */
  learn: EnvelopeLearning | false;
  /** The reasons judged. */
  reasons: readonly EnvelopeReason[];
}

/** One past run, as the learning sees it. */
export interface PastRun {
  /** Its `/start` ping, or its success ping when it sent no `/start`. */
  startedAt: number;
  /** start → success, ms; null when the run sent no `/start`. */
  durationMs: number | null;
  /** startedAt − the time the run was expected (negative: early); null when none was expected. */
  startDelayMs: number | null;
}

export type BoundSource = { kind: "config" } | { kind: "learned"; median: number; mad: number; k: number; runs: number };

export interface Bound {
  ms: number;
  source: BoundSource;
}

export interface EnvelopeBounds {
  minDuration: Bound | null;
  maxDuration: Bound | null;
  minInterval: Bound | null;
  maxStartDelay: Bound | null;
}

export interface Violation {
  reason: EnvelopeReason;
  /** One sentence for the check's reason: `run too short: 2s, expected at least 30s (configured)`. */
  message: string;
  observedMs: number;
  bound: Bound;
}

/** The median of `values` (not sorted in place); NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Median absolute deviation from the median. */
export function mad(values: readonly number[], center = median(values)): number {
  return median(values.map((v) => Math.abs(v - center)));
}

interface Band {
  median: number;
  mad: number;
  spread: number;
  runs: number;
}

/**
 * median ± spread over `values`, or null with fewer than `minRuns` of them. `runs`: how many
 * runs they come from (n intervals come from n + 1 runs).
 */
function band(values: readonly number[], learn: EnvelopeLearning, runs: number, scale?: number): Band | null {
  if (values.length < learn.minRuns || values.length === 0) return null;
  const m = median(values);
  const d = mad(values, m);
  const spread = Math.max(learn.k * d, LEARN_RELATIVE_FLOOR * Math.abs(scale ?? m), learn.minSpread);
  return { median: m, mad: d, spread, runs };
}

const learned = (ms: number, b: Band, k: number): Bound => ({
  ms: Math.round(ms),
  source: { kind: "learned", median: b.median, mad: b.mad, k, runs: b.runs },
});

/**
 * The bounds that judge the next run: the configured ones, and the open ones learned from
 * `history` (past successful runs, oldest first; only the newest `learn.runs` count).
 */
export function envelopeBounds(spec: EnvelopeSpec, history: readonly PastRun[]): EnvelopeBounds {
  const on = (r: EnvelopeReason) => spec.reasons.includes(r);
  const configured = (ms: number | undefined): Bound | null => (ms === undefined ? null : { ms, source: { kind: "config" } });
  const bounds: EnvelopeBounds = {
    minDuration: on("too-short") ? configured(spec.minDuration) : null,
    maxDuration: on("too-long") ? configured(spec.maxDuration) : null,
    minInterval: on("too-often") ? configured(spec.minInterval) : null,
    maxStartDelay: on("late") ? configured(spec.maxStartDelay) : null,
  };
  const learn = spec.learn;
  if (learn === false) return bounds;

  const recent = [...history].sort((a, b) => a.startedAt - b.startedAt).slice(-learn.runs);
  const durations = recent.flatMap((r) => (r.durationMs === null ? [] : [r.durationMs]));
  const intervals = recent.slice(1).map((r, i) => r.startedAt - recent[i]!.startedAt);
  const delays = recent.flatMap((r) => (r.startDelayMs === null ? [] : [r.startDelayMs]));

  const d = band(durations, learn, durations.length);
  if (d) {
    if (on("too-short") && !bounds.minDuration && d.median - d.spread > 0) bounds.minDuration = learned(d.median - d.spread, d, learn.k);
    if (on("too-long") && !bounds.maxDuration) bounds.maxDuration = learned(d.median + d.spread, d, learn.k);
  }
  const i = band(intervals, learn, intervals.length + 1);
  if (i && on("too-often") && !bounds.minInterval && i.median - i.spread > 0) bounds.minInterval = learned(i.median - i.spread, i, learn.k);
  // How late a start may be scales with how often the job runs (10 % of its interval), not
  // with the typical delay, which is near zero for a punctual job.
  const s = band(delays, learn, delays.length, intervals.length > 0 ? median(intervals) : undefined);
  if (s && on("late") && !bounds.maxStartDelay) bounds.maxStartDelay = learned(s.median + s.spread, s, learn.k);
  return bounds;
}

/** `(configured)` or `(learned from the last 20 runs: median 45s, MAD 3s, k 5)`. */
export function describeBound(bound: Bound): string {
  const s = bound.source;
  if (s.kind === "config") return "(configured)";
  return `(learned from the last ${s.runs} runs: median ${formatSigned(s.median)}, MAD ${formatDuration(Math.round(s.mad))}, k ${s.k})`;
}

const formatSigned = (ms: number) => (ms < 0 ? `-${formatDuration(Math.round(-ms))}` : formatDuration(Math.round(ms)));

/** At a run's start: too often (since the previous run's start) or late (against the expected time). */
export function judgeStart(
  bounds: EnvelopeBounds,
  run: { startedAt: number; previousStartedAt: number | null; expectedAt: number | null },
): Violation[] {
  const out: Violation[] = [];
  const min = bounds.minInterval;
  if (min && run.previousStartedAt !== null) {
    const gap = run.startedAt - run.previousStartedAt;
    if (gap < min.ms) {
      out.push({
        reason: "too-often",
        observedMs: gap,
        bound: min,
        message: `runs too often: ${formatDuration(gap)} since the previous run started, expected at least ${formatDuration(min.ms)} ${describeBound(min)}`,
      });
    }
  }
  const late = bounds.maxStartDelay;
  if (late && run.expectedAt !== null) {
    const delay = run.startedAt - run.expectedAt;
    if (delay > late.ms) {
      out.push({
        reason: "late",
        observedMs: delay,
        bound: late,
        message:
          `started late: ${formatDuration(delay)} after the expected ${new Date(run.expectedAt).toISOString()}, ` +
          `expected within ${formatSigned(late.ms)} ${describeBound(late)}`,
      });
    }
  }
  return out;
}

/** At a run's success: too short or too long. */
export function judgeDuration(bounds: EnvelopeBounds, durationMs: number): Violation[] {
  const out: Violation[] = [];
  const min = bounds.minDuration;
  if (min && durationMs < min.ms) {
    out.push({
      reason: "too-short",
      observedMs: durationMs,
      bound: min,
      message: `run too short: ${formatDuration(durationMs)}, expected at least ${formatDuration(min.ms)} ${describeBound(min)}`,
    });
  }
  const max = bounds.maxDuration;
  if (max && durationMs > max.ms) {
    out.push({
      reason: "too-long",
      observedMs: durationMs,
      bound: max,
      message: `run too long: ${formatDuration(durationMs)}, expected at most ${formatDuration(max.ms)} ${describeBound(max)}`,
    });
  }
  return out;
}

/** When a run started at `startedAt` becomes too long while still running, or null. */
export function overrunAt(bounds: EnvelopeBounds, startedAt: number): number | null {
  return bounds.maxDuration ? startedAt + bounds.maxDuration.ms + 1 : null;
}

/** A run still going at `now`: too long once past the upper bound (judged by the alarm). */
export function judgeRunning(bounds: EnvelopeBounds, startedAt: number, now: number): Violation | null {
  const max = bounds.maxDuration;
  const running = now - startedAt;
  if (!max || running <= max.ms) return null;
  return {
    reason: "too-long",
    observedMs: running,
    bound: max,
    message: `run too long: still running after ${formatDuration(running)}, expected at most ${formatDuration(max.ms)} ${describeBound(max)}`,
  };
}
