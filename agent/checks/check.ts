/**
 * One interface for every check kind. A check observes and judges; the cycle
 * (`agent/cycle.ts`) adds the id prefix, timing, time-out and the report shape.
 */
import type { CheckStatus } from "../../src/contract/report";
export type { CheckStatus };
import type { CheckKind, SpecOf } from "../config";
import type { DockerClient } from "../docker-api";

/** What one check found. A docker check by label yields one per container. */
export interface Finding {
  /** Overrides the check's own id (used for per-container findings). */
  id?: string;
  status: CheckStatus;
  summary: string;
  metrics?: Record<string, number | undefined>;
}

export interface CheckContext {
  /** Aborted when the check's time-out passes. */
  signal: AbortSignal;
  docker: DockerClient;
  /** Memory kept between runs of this check (previous counters for deltas). */
  memory: Map<string, unknown>;
  now(): number;
}

export type CheckRunner<K extends CheckKind> = (spec: SpecOf<K>, ctx: CheckContext) => Promise<Finding[]>;

/** The worst of several statuses (`critical` > `warn` > `unknown` > `ok`). */
export function worst(...statuses: CheckStatus[]): CheckStatus {
  const rank: Record<CheckStatus, number> = { ok: 0, unknown: 1, warn: 2, critical: 3 };
  return statuses.reduce<CheckStatus>((a, b) => (rank[b] > rank[a] ? b : a), "ok");
}

/** Status of `value` against ascending thresholds (`value >= warn` → warn, `>= critical` → critical). */
export function grade(value: number | undefined, warn: number | undefined, critical: number | undefined): CheckStatus {
  if (value === undefined || !Number.isFinite(value)) return "ok";
  if (critical !== undefined && value >= critical) return "critical";
  if (warn !== undefined && value >= warn) return "warn";
  return "ok";
}

/** Increase of a counter since the previous run (0 on the first run or after a reset). */
export function delta(memory: Map<string, unknown>, key: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  const prev = memory.get(key);
  memory.set(key, value);
  return typeof prev === "number" && value >= prev ? value - prev : 0;
}

export const round = (n: number, digits = 1): number => Math.round(n * 10 ** digits) / 10 ** digits;
