/**
 * One probe per monitor type behind one interface; a missing kind is a compile error.
 * `runProbe` runs `samples` of it and judges latency once, for every kind (`./latency.ts`).
 */
import type { ConfigEnv, MonitorSpec } from "../config";
import type { ProbeResult } from "../contract/probe";
import { probeDns } from "./dns";
import { probeHttp } from "./http";
import { judgeLatency } from "./latency";
import { probeTcp } from "./tcp";
import { probeTls } from "./tls";
import { probeWebsocket } from "./websocket";

type Probe<T extends MonitorSpec["type"]> = (spec: Extract<MonitorSpec, { type: T }>, env: ConfigEnv) => Promise<ProbeResult>;

const probes = {
  http: probeHttp,
  tls: probeTls,
  tcp: probeTcp,
  websocket: probeWebsocket,
  dns: probeDns,
} satisfies { [K in MonitorSpec["type"]]: Probe<K> };

/** Runs the monitor's probe `samples` times in a row (stopping at the first down) and judges latency. */
export async function runProbe(spec: MonitorSpec, env: ConfigEnv): Promise<ProbeResult> {
  const probe = probes[spec.type] as Probe<MonitorSpec["type"]>;
  const samples: ProbeResult[] = [];
  for (let i = 0; i < spec.samples; i++) {
    const result = await probe(spec, env).catch((err: unknown): ProbeResult => ({
      // A probe reports failures as results; reaching here is a bug, which must not stop the tick.
      status: "down",
      latencyMs: 0,
      reason: `internal error in the ${spec.type} probe: ${(err as Error).message}`,
      checkedAt: new Date().toISOString(),
    }));
    samples.push(result);
    if (result.status === "down") break;
  }
  return judgeLatency(samples, spec);
}
