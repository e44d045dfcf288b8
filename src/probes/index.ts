/**
 * Runs a monitor's probe: `samples` of it, latency judged once for every kind (`./latency.ts`).
 * The kinds are listed in `./kinds.ts`; what a kind is, in `./kind.ts`.
 */
import type { ConfigEnv } from "../config/common";
import type { ProbeResult } from "../contract/probe";
import { probes, type MonitorSpec } from "./kinds";

/** Runs the monitor's probe `samples` times in a row (stopping at the first down) and judges latency. */
export function runProbe(spec: MonitorSpec, env: ConfigEnv): Promise<ProbeResult> {
  return probes.runProbe(spec, env);
}
