/**
 * Latency judgement over one or more samples: p50 and max, and the `degradedMs` / `downMs`
 * thresholds. Pure: the samples are run by the registry (`./index.ts`).
 */
import type { ProbeResult } from "../contract/probe";
import { formatMs } from "./deadline";

export interface LatencyPolicy {
  samples: number;
  degradedMs?: number;
  downMs?: number;
}

/** Nearest-rank percentile (`p` in 0..100) of a non-empty list. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const SEVERITY = { up: 0, degraded: 1, down: 2 } as const;

/**
 * Folds the samples of one run into one result. A down sample decides the run (the probe stops
 * at the first one). Otherwise the worst sample's status and reason stand, `latencyMs` is the
 * p50, and a p50 over `downMs` / `degradedMs` makes the run down / degraded.
 */
export function judgeLatency(samples: readonly ProbeResult[], policy: LatencyPolicy): ProbeResult {
  const first = samples[0];
  if (!first) throw new Error("judgeLatency needs at least one sample");
  const times = samples.map((s) => s.latencyMs);
  const p50 = percentile(times, 50);
  const max = Math.max(...times);
  const many = policy.samples > 1;
  const latency = many ? { latency: { samples: samples.length, p50Ms: p50, maxMs: max } } : {};

  const downIndex = samples.findIndex((s) => s.status === "down");
  if (downIndex >= 0) {
    const down = samples[downIndex]!;
    const reason = many ? `sample ${downIndex + 1} of ${policy.samples}: ${down.reason}` : down.reason;
    return { ...down, ...(reason !== undefined && { reason }), ...latency };
  }

  const worst = samples.reduce((a, b) => (SEVERITY[b.status] > SEVERITY[a.status] ? b : a));
  const took = many ? `p50 ${formatMs(p50)} over ${samples.length} samples (max ${formatMs(max)})` : `took ${formatMs(p50)}`;
  let status = worst.status;
  let slow: string | undefined;
  if (policy.downMs !== undefined && p50 > policy.downMs) {
    status = "down";
    slow = `${took}, over the ${formatMs(policy.downMs)} limit (downMs)`;
  } else if (policy.degradedMs !== undefined && p50 > policy.degradedMs) {
    if (status === "up") status = "degraded";
    slow = `${took}, over the ${formatMs(policy.degradedMs)} degraded threshold (degradedMs)`;
  }
  const reason = [slow, worst.reason].filter((r) => r !== undefined).join("; ");
  const { reason: _ignored, ...rest } = worst;
  const firstBytes = samples.flatMap((s) => (s.firstByteMs === undefined ? [] : [s.firstByteMs]));
  const firstByte = many && firstBytes.length > 0 ? { firstByteMs: percentile(firstBytes, 50) } : {};
  return { ...rest, status, latencyMs: p50, ...(reason !== "" && { reason }), checkedAt: first.checkedAt, ...latency, ...firstByte };
}
