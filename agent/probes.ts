/**
 * The worker's probes, run by the agent for its private locations (README, "Private
 * locations"): the same modules (`src/probes/kinds.ts`), not a copy, with the agent's socket
 * (`useSocketConnect(nodeConnect)`, node:net) under the TCP and TLS probes and Node's `fetch`
 * under HTTP and DNS. A kind added to the worker's list runs here once the agent is rebuilt.
 *
 * Loaded only when the worker gives this agent monitors (`loadProbes`): agent/build.mjs ships
 * this module packed, like agent/schemas.ts, so an agent without monitors never holds it.
 */
import { type ConfigEnv, visitSecrets } from "../src/config/common";
import type { ProbeResult } from "../src/contract/probe";
import type { LocationMonitor } from "../src/contract/report-constants";
import { retryNetworkFailures, worstCaseRunMs } from "../src/engine/retry";
import { type MonitorSpec, probes } from "../src/probes/kinds";
import { useSocketConnect } from "../src/probes/socket";
import { nodeConnect } from "./node-socket";

useSocketConnect(nodeConnect);

export { probes };

/** How long past the probe's own worst case a run may take before it is given up. */
const GRACE_MS = 5_000;

/** A run that measured nothing: unknown to the worker (`failureClass` "internal"), never down. */
export const notMeasured = (why: string, checkedAt = new Date().toISOString()): ProbeResult => ({
  status: "down",
  latencyMs: 0,
  reason: `internal error in the agent probe: ${why}`,
  checkedAt,
});

/**
 * One run of `spec` (its samples, and its retries after network failures), as the worker's
 * batch runner does it. `env` holds the secrets this agent may use; a spec naming another,
 * or a kind this agent does not know, is not measured.
 */
export async function runMonitor(spec: LocationMonitor, env: ConfigEnv, agentVersion: string): Promise<ProbeResult> {
  const checkedAt = new Date().toISOString();
  if (!probes.kinds.some((k) => k.type === spec.type))
    return notMeasured(`this agent (${agentVersion}) does not know the probe kind "${spec.type}"; upgrade it`, checkedAt);
  const missing = new Set<string>();
  visitSecrets(spec, (ref) => {
    if (typeof env[ref.env] !== "string" || env[ref.env] === "") missing.add(ref.env);
  });
  if (missing.size > 0) {
    const names = [...missing].join(", ");
    return notMeasured(
      `secret ${names} is not available to this agent (list it in monitors.secrets and set it in its environment)`,
      checkedAt,
    );
  }
  const run = async (): Promise<ProbeResult> => {
    const probe = () => probes.runProbe(spec as unknown as MonitorSpec, env);
    if (!spec.retries) return probe();
    const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
    const { result, attempts } = await retryNetworkFailures(probe, spec.retries, sleep);
    return { ...result, attempts };
  };
  const limit = worstCaseRunMs(spec.timeout, spec.samples, spec.retries) + GRACE_MS;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<ProbeResult>((resolve) => {
    timer = setTimeout(() => resolve(notMeasured(`no result within ${limit / 1000} s`, checkedAt)), limit);
  });
  try {
    return await Promise.race([run(), late]);
  } finally {
    clearTimeout(timer);
  }
}

export const loadProbes = (): Promise<typeof import("./probes")> => import("./probes");
