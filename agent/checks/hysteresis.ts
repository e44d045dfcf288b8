/**
 * Thresholds with hysteresis: a status, once raised, holds until the value drops below the
 * line's clear value, so a value hovering on a line does not flip the check every cycle.
 *
 * Every graded threshold of the postgres, redis, host and logs checks has a clear value below
 * its trigger. Defaults ({@link defaultClear}):
 * - percentages: 10 points below the trigger, or half the trigger when that is under 20 %
 *   (connections warn 80 % clears below 70 %, critical 95 % below 85 %; disk 90 % below 80 %;
 *   log error ratio 5 % below 2.5 %);
 * - durations and counts: 80 % of the trigger (long query 30 s clears below 24 s; replication
 *   lag 5 min below 4 min; 100 evictions per interval below 80).
 *
 * A check's `clear` object sets any of them (`"clear": { "connectionsWarnPct": 75 }`, the unit
 * of the threshold itself); `"hysteresis": false` makes every default clear value equal to its
 * trigger (the old behaviour). The previous grade of every line lives in the check's memory
 * between cycles. No zod here: the running agent loads this, the schema does not load there.
 */
import { formatDurationApprox as formatDuration } from "../../lib/duration";
import type { CheckStatus } from "./check";

/** How a threshold is written and how its default clear value is made. */
export type ThresholdUnit = "pct" | "duration" | "count";

/** The graded thresholds of each check kind, by config key. Order: as in the config schema. */
export const THRESHOLDS = {
  postgres: {
    latencyWarn: "duration",
    connectionsWarnPct: "pct",
    connectionsCriticalPct: "pct",
    longQueryWarn: "duration",
    longQueryCritical: "duration",
    transactionWarn: "duration",
    transactionCritical: "duration",
    replicationLagWarn: "duration",
    replicationLagCritical: "duration",
  },
  redis: { latencyWarn: "duration", memoryWarnPct: "pct", memoryCriticalPct: "pct", rejectedWarn: "count", evictedWarn: "count" },
  host: {
    cpuWarnPct: "pct",
    cpuCriticalPct: "pct",
    memoryWarnPct: "pct",
    memoryCriticalPct: "pct",
    diskWarnPct: "pct",
    diskCriticalPct: "pct",
    loadWarnPerCore: "count",
  },
  logs: { warnPct: "pct", criticalPct: "pct" },
} as const satisfies Record<string, Record<string, ThresholdUnit>>;

export type GradedKind = keyof typeof THRESHOLDS;
export type ThresholdKey<K extends GradedKind> = keyof (typeof THRESHOLDS)[K] & string;

/** The default clear value of a trigger (see the module comment). */
export function defaultClear(unit: ThresholdUnit, trigger: number): number {
  if (unit === "pct") return trigger - Math.min(10, trigger / 2);
  return trigger * 0.8;
}

/** A spec's thresholds and clear values, as the judges read them. */
export interface GradedSpec {
  /** Default true. */
  hysteresis?: boolean;
  /** Resolved by the config (every set trigger has one); missing ones fall back to the default. */
  clear?: Partial<Record<string, number>>;
}

/** The clear value of `key` in `spec`, or undefined when its trigger is not set. */
export function clearValue(kind: GradedKind, spec: GradedSpec & Record<string, unknown>, key: string): number | undefined {
  const trigger = spec[key];
  if (typeof trigger !== "number") return undefined;
  const given = spec.clear?.[key];
  if (given !== undefined) return given;
  const unit = (THRESHOLDS[kind] as Record<string, ThresholdUnit>)[key]!;
  return spec.hysteresis === false ? trigger : defaultClear(unit, trigger);
}

/** Every set trigger's clear value: what the config's effective form carries. */
export function resolveClear(kind: GradedKind, spec: GradedSpec & Record<string, unknown>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key of Object.keys(THRESHOLDS[kind])) {
    const v = clearValue(kind, spec, key);
    if (v !== undefined) out[key] = v;
  }
  return out;
}

/** One line: the status is raised at `trigger` and held until the value is below `clear`. */
export interface Line {
  trigger: number;
  clear: number;
}

/**
 * The status of `value` against ascending warn / critical lines, given the status this line
 * had last time (`previous`):
 * - at or above a trigger, that status (as `grade` does);
 * - a raised status holds while the value is at or above that status's clear value; dropping
 *   below the critical clear value but not the warn one leaves `warn`.
 * A value that is missing or not finite is `ok`, as in `grade`.
 */
export function gradeHeld(
  value: number | undefined,
  warn: Line | undefined,
  critical: Line | undefined,
  previous: CheckStatus | undefined,
): CheckStatus {
  if (value === undefined || !Number.isFinite(value)) return "ok";
  if (critical && value >= critical.trigger) return "critical";
  if (critical && previous === "critical" && value >= critical.clear) return "critical";
  if (warn && value >= warn.trigger) return "warn";
  if (warn && (previous === "critical" || previous === "warn") && value >= warn.clear) return "warn";
  return "ok";
}

/** Previous grades of a check's lines, by line name (`conn`, `disk:/`, …). */
export type Grades = Record<string, CheckStatus>;

/**
 * Grades a check's lines with hysteresis and collects what a judge needs: the next grades to
 * remember and, for a status held only by hysteresis, the value it must drop below.
 */
export class Grader<K extends GradedKind> {
  /** The grades to keep for the next run. */
  readonly grades: Grades = {};
  /** Lines whose status is held below their trigger: name → "clears below …". */
  readonly held: Record<string, string> = {};

  constructor(
    readonly kind: K,
    readonly spec: GradedSpec & { [P in ThresholdKey<K>]?: number },
    readonly previous: Grades = {},
  ) {}

  /**
   * The status of line `name`: `value` (in the thresholds' own unit: percent, ms, count)
   * against the `warnKey` and `criticalKey` thresholds of the spec (either may be absent).
   */
  grade(name: string, value: number | undefined, warnKey: ThresholdKey<K> | undefined, criticalKey?: ThresholdKey<K>): CheckStatus {
    const line = (key: ThresholdKey<K> | undefined): Line | undefined => {
      if (!key) return undefined;
      const trigger = this.spec[key];
      if (typeof trigger !== "number") return undefined;
      return { trigger, clear: clearValue(this.kind, this.spec as GradedSpec & Record<string, unknown>, key)! };
    };
    const warn = line(warnKey);
    const critical = line(criticalKey);
    const status = gradeHeld(value, warn, critical, this.previous[name]);
    this.grades[name] = status;
    const raw = gradeHeld(value, warn, critical, undefined);
    if (status !== raw) {
      const clear = status === "critical" ? critical!.clear : warn!.clear;
      const key = (status === "critical" ? criticalKey : warnKey)!;
      this.held[name] = `clears below ${formatThreshold((THRESHOLDS[this.kind] as Record<string, ThresholdUnit>)[key]!, clear)}`;
    }
    return status;
  }

  /** `name status` plus, when held, `(held, clears below …)`: for a summary's problem list. */
  label(name: string, status: CheckStatus): string {
    const held = this.held[name];
    return held ? `${name} ${status} (held, ${held})` : `${name} ${status}`;
  }
}

function formatThreshold(unit: ThresholdUnit, v: number): string {
  if (unit === "duration") return formatDuration(v);
  const n = Math.round(v * 100) / 100;
  return unit === "pct" ? `${n} %` : String(n);
}
