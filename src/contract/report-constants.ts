/**
 * The plain values of the report contract (`report.ts` re-exports them): what the host agent
 * needs at run time without loading the zod schema, which it leaves to `vigil-agent once` and
 * to the worker (~4 MiB of the agent's resident memory; BENCHMARKS.md, "Agent").
 */

export const REPORT_SCHEMA_VERSION = 1;
export const SUPPORTED_REPORT_VERSIONS = [REPORT_SCHEMA_VERSION] as const;

/** Largest report body the worker accepts, in bytes (413 above). */
export const MAX_REPORT_BYTES = 256 * 1024;

/** Largest arrays and records of a report; the worker checks them on the raw JSON first. */
export const REPORT_CAPS = { checks: 500, remediations: 100, metrics: 200 } as const;

/**
 * Disk use per mount travels as metrics of the agent's `host` check: `disk:<mount>:usedPct`
 * (percent, as df computes it). The worker keeps a daily series of them for the digest.
 */
export const diskMetricKey = (mount: string) => `disk:${mount}:usedPct`;
