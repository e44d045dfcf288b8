/**
 * The plain values of the report contract (`report.ts` re-exports them): what the host agent
 * needs at run time without loading the zod schema, which it leaves to `vigil-agent once` and
 * to the worker (~4 MiB of the agent's resident memory; BENCHMARKS.md, "Agent").
 */

export const REPORT_SCHEMA_VERSION = 1;
export const SUPPORTED_REPORT_VERSIONS = [REPORT_SCHEMA_VERSION] as const;

/** Largest report body the worker accepts, in bytes (413 above). */
export const MAX_REPORT_BYTES = 256 * 1024;

/**
 * A check id: printable ASCII letters, digits and `. _ : @ / = + ~ -`, starting with a letter
 * or digit, at most 200 characters. No control, bidi or zero-width characters (they broke
 * webhook headers and were published as sent), no `*` (globs match ids), no `%` (a LIKE
 * wildcard in SQL).
 */
export const CHECK_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@/=+~-]{0,199}$/;
/** Ids the worker keeps for itself: `agent:<id>:heartbeat` is the dead-man check. */
export const RESERVED_CHECK_IDS: readonly string[] = ["heartbeat"];

/** Largest arrays and records of a report; the worker checks them on the raw JSON first. */
export const REPORT_CAPS = { checks: 500, remediations: 100, metrics: 200, probes: 100 } as const;

/** A monitor's location naming a host agent: `agent:<id>` (README, "Private locations"). */
export const AGENT_LOCATION_PREFIX = "agent:";
export const agentLocation = (agentId: string) => `${AGENT_LOCATION_PREFIX}${agentId}`;

/**
 * Disk use per mount travels as metrics of the agent's `host` check: `disk:<mount>:usedPct`
 * (percent, as df computes it). The worker keeps a daily series of them for the digest.
 */
export const diskMetricKey = (mount: string) => `disk:${mount}:usedPct`;

/**
 * A monitor as the worker hands it to an agent, in `monitors` of its answer to a report: the
 * spec as the worker parsed it (durations in ms, defaults filled), secrets still `{ env }`
 * references, resolved from the agent's own environment (README, "Private locations").
 */
export interface LocationMonitor {
  id: string;
  type: string;
  interval: number;
  timeout: number;
  samples: number;
  retries?: { count: number; delay: number };
  [field: string]: unknown;
}
