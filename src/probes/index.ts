/**
 * One probe per monitor type behind one interface. A missing kind is a compile error.
 */
import type { ConfigEnv, MonitorSpec } from "../config";
import type { ProbeResult } from "../contract/probe";
import { probeHttp } from "./http";

type Probe<T extends MonitorSpec["type"]> = (spec: Extract<MonitorSpec, { type: T }>, env: ConfigEnv) => Promise<ProbeResult>;

const probes = {
  http: probeHttp,
} satisfies { [K in MonitorSpec["type"]]: Probe<K> };

export function runProbe(spec: MonitorSpec, env: ConfigEnv): Promise<ProbeResult> {
  const probe = probes[spec.type] as Probe<MonitorSpec["type"]>;
  return probe(spec, env);
}
