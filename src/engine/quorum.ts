/**
 * Multi-region results: a monitor probed from several regions is down only when at least
 * `quorum` regions agree; fewer failing regions make it "degraded, unconfirmed". Pure.
 */
import type { ProbeResult } from "../contract/probe";

export interface RegionResult {
  region: string;
  result: ProbeResult;
}

export function combineRegions(results: readonly RegionResult[], quorum: number): ProbeResult {
  const down = results.filter((r) => r.result.status === "down");
  const degraded = results.filter((r) => r.result.status === "degraded");
  const latencies = results.map((r) => r.result.latencyMs).sort((a, b) => a - b);
  const median = latencies[Math.floor((latencies.length - 1) / 2)] ?? 0;
  const checkedAt = results.map((r) => r.result.checkedAt).sort()[0] ?? new Date(0).toISOString();
  const regions = Object.fromEntries(
    results.map((r) => [
      r.region,
      { status: r.result.status, latencyMs: r.result.latencyMs, ...(r.result.reason && { reason: r.result.reason }) },
    ]),
  );
  // A tls monitor's certificate: the one expiring first, should regions see different ones.
  const tls = results.flatMap((r) => r.result.tls ?? []).sort((a, b) => Date.parse(a.notAfter) - Date.parse(b.notAfter))[0];
  const first = (rs: readonly RegionResult[]) => `${rs.map((r) => r.region).join(", ")}: ${rs[0]!.result.reason ?? rs[0]!.result.status}`;
  if (down.length >= quorum) {
    return {
      status: "down",
      latencyMs: median,
      checkedAt,
      reason: `down from ${down.length} of ${results.length} regions (${first(down)})`,
      regions,
      ...(tls && { tls }),
    };
  }
  if (down.length > 0) {
    return {
      status: "degraded",
      latencyMs: median,
      checkedAt,
      reason: `down from ${down.length} of ${results.length} regions, unconfirmed (${first(down)})`,
      regions,
      ...(tls && { tls }),
    };
  }
  if (degraded.length > 0)
    return {
      status: "degraded",
      latencyMs: median,
      checkedAt,
      reason: `degraded from ${degraded.length} of ${results.length} regions (${first(degraded)})`,
      regions,
      ...(tls && { tls }),
    };
  return { status: "up", latencyMs: median, checkedAt, regions, ...(tls && { tls }) };
}
