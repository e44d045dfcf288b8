/**
 * Multi-region results: a monitor probed from several regions is down only when at least
 * `quorum` regions agree; fewer failing regions make it "degraded, unconfirmed". Pure.
 *
 * A region that stayed silent (its object did not answer in time) or whose probe itself failed
 * measured nothing: it is left out of the vote and named in the reason. A host agent's vote
 * (a private location, `agent:<id>`) counts the same; the reason then says "locations". When no region
 * measured, the run is unknown (an "internal error" result: `failureClass` "internal").
 */
import type { ProbeResult } from "../contract/probe";
import { AGENT_LOCATION_PREFIX } from "../contract/report-constants";
import { failureClass } from "./retry";

/** A region that gave no measurement, and why. */
export interface SilentRegion {
  region: string;
  why: string;
}

export interface RegionResult {
  region: string;
  result: ProbeResult;
}

export function combineRegions(
  all: readonly RegionResult[],
  quorum: number,
  silent: readonly SilentRegion[] = [],
  startedAt?: string,
): ProbeResult {
  const results = all.filter((r) => failureClass(r.result) !== "internal");
  const missing = [
    ...silent,
    ...all.filter((r) => failureClass(r.result) === "internal").map((r) => ({ region: r.region, why: r.result.reason ?? "no result" })),
  ];
  // With a host agent among the voters (`agent:<id>`: a private location), they are "locations".
  const noun = [...all, ...silent].some((r) => r.region.startsWith(AGENT_LOCATION_PREFIX)) ? "locations" : "regions";
  const unheard = missing.length > 0 ? `; no measurement from ${missing.map((m) => `${m.region} (${m.why})`).join(", ")}` : "";
  if (results.length === 0) {
    const checkedAt = startedAt ?? all.map((r) => r.result.checkedAt).sort()[0] ?? new Date(0).toISOString();
    return {
      status: "down",
      latencyMs: 0,
      checkedAt,
      reason: `internal error in the regions probe: no ${noun.slice(0, -1)} measured (${missing.map((m) => `${m.region}: ${m.why}`).join(", ")})`,
    };
  }
  const down = results.filter((r) => r.result.status === "down");
  const degraded = results.filter((r) => r.result.status === "degraded");
  const latencies = results.map((r) => r.result.latencyMs).sort((a, b) => a - b);
  const median = latencies[Math.floor((latencies.length - 1) / 2)] ?? 0;
  const checkedAt = results.map((r) => r.result.checkedAt).sort()[0] ?? new Date(0).toISOString();
  const regions = Object.fromEntries(
    results.map((r) => [
      r.region,
      {
        status: r.result.status,
        latencyMs: r.result.latencyMs,
        ...(r.result.reason && { reason: r.result.reason }),
        ...(r.result.trace && { trace: r.result.trace }),
      },
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
      reason: `down from ${down.length} of ${results.length} ${noun} (${first(down)})${unheard}`,
      regions,
      ...(tls && { tls }),
    };
  }
  if (down.length > 0) {
    return {
      status: "degraded",
      latencyMs: median,
      checkedAt,
      reason: `down from ${down.length} of ${results.length} ${noun}, unconfirmed (${first(down)})${unheard}`,
      regions,
      ...(tls && { tls }),
    };
  }
  if (degraded.length > 0) {
    return {
      status: "degraded",
      latencyMs: median,
      checkedAt,
      reason: `degraded from ${degraded.length} of ${results.length} ${noun} (${first(degraded)})${unheard}`,
      regions,
      ...(tls && { tls }),
    };
  }
  return { status: "up", latencyMs: median, checkedAt, regions, ...(tls && { tls }), ...(unheard && { reason: unheard.slice(2) }) };
}
