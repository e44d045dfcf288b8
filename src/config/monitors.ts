/**
 * What every monitor spec shares, whatever its probe kind: the common fields (`monitorBase`),
 * the timing defaults and cross-field checks (`timing`), and building blocks the kinds use.
 * Each kind's own schema sits beside its probe (src/probes/<kind>.ts); the `monitors[]`
 * union is built from the list in src/probes/kinds.ts.
 */
import { z } from "zod";
import { OPERATORS, assertionProblem, checkHeader, checkJson, compileRegex } from "../probes/assertions";
import { ID_PATTERN } from "../../lib/agent-id";
import { AGENT_LOCATION_PREFIX } from "../contract/report-constants";
import { id, secretRef } from "./common";
import { duration } from "./duration";
import { retriesSpec } from "./retries";
import { worstCaseRunMs } from "../engine/retry";

export const monitorBase = {
  id,
  service: id,
  /** How often to probe. Default `1m` (longer only when `timeout` × `samples` needs it: see `withTiming`). */
  interval: duration({ min: "10s", max: "24h" }).optional(),
  /** Hard limit for one probe (one sample), everything included. Default: the smaller of `10s`
   *  and half the interval per sample (see `withTiming`). */
  timeout: duration({ min: "100ms", max: "60s" }).optional(),
  /** Consecutive failed probes before the monitor is down. Default 2. */
  failureThreshold: z.number().int().min(1).max(20).default(2),
  /** Consecutive good probes before a down monitor is up again. Default 2. */
  recoveryThreshold: z.number().int().min(1).max(20).default(2),
  /** Set false to keep a monitor in config without running it. */
  enabled: z.boolean().default(true),
  /** Check ids this monitor needs (`db-health`, `agent:db-1:postgres`): while one of them is
   *  down, this monitor failing pages nobody — the dependency is the root cause. */
  dependsOn: z.array(z.string().min(1).max(200)).default([]),
  /** Probe from these regions (Durable Object location hints: `weur`, `enam`, `apac`, …). */
  regions: z
    .array(z.enum(["wnam", "enam", "sam", "weur", "eeur", "apac", "oc", "afr", "me"]))
    .min(1)
    .max(9)
    .optional(),
  /**
   * Also probe from inside these networks: `agent:<id>` names a host agent of the config, which
   * runs this monitor with the same probe and reports the result (README, "Private locations").
   * With `regions` or without: each location is one more vote for `quorum`.
   */
  locations: z
    .array(
      z
        .string()
        .regex(
          new RegExp(`^${AGENT_LOCATION_PREFIX}${ID_PATTERN.source.slice(1, -1)}$`),
          'expected "agent:<agent id>", such as "agent:db-1"',
        ),
    )
    .min(1)
    .max(10)
    .optional(),
  /**
   * With `regions` or `locations`: down only when this many of them agree; fewer is "degraded,
   * unconfirmed". Default: a majority.
   */
  quorum: z.number().int().min(1).max(19).optional(),
  /** Run the probe this many times in a row; the result reports p50 and max latency. Default 1. */
  samples: z.number().int().min(1).max(10).default(1),
  /** p50 latency above this many ms makes the result degraded. Below the timeout (so < 60 000). */
  degradedMs: z.number().int().min(1).max(59_999).optional(),
  /** p50 latency above this many ms makes the result down (the runbook's "5 s is level 3"). Below the timeout. */
  downMs: z.number().int().min(1).max(59_999).optional(),
  /** Re-probe within the run after a network failure only (never after an HTTP status or assertion). Default: none. */
  retries: retriesSpec.optional(),
};

const DEFAULT_INTERVAL_MS = 60_000;
const DEFAULT_TIMEOUT_MS = 10_000;
const MAX_TIMEOUT_MS = 60_000;

/**
 * Fills `interval` and `timeout` so that every documented range is valid with the other fields
 * left at their defaults:
 * - `timeout`: the smaller of 10 s and half the interval per sample and attempt
 *   (`interval / (2 × samples × (1 + retries.count))`: `interval: "10s"` alone gets 5 s), raised to 1 s above `downMs` / `degradedMs` when they
 *   are set higher (at most 60 s);
 * - `interval`: 1 minute, or the first whole minute longer than the longest run (`timeout ×
 *   samples`, with retries and their delays) when that is a minute or more (`timeout: "60s"` alone gets 2 minutes).
 * Values given are kept as they are; `checkLatency` then judges them.
 */
export function withTiming<
  T extends {
    interval?: number;
    timeout?: number;
    samples: number;
    degradedMs?: number;
    downMs?: number;
    retries?: { count: number; delay: number };
  },
>(m: T): Omit<T, "interval" | "timeout"> & { interval: number; timeout: number } {
  let timeout = m.timeout;
  // With retries, each sample may take 1 + count attempts.
  const attempts = 1 + (m.retries?.count ?? 0);
  if (timeout === undefined) {
    timeout = Math.min(DEFAULT_TIMEOUT_MS, m.interval === undefined ? Infinity : Math.floor(m.interval / (2 * m.samples * attempts)));
    const slowest = Math.max(m.downMs ?? 0, m.degradedMs ?? 0);
    if (slowest >= timeout) timeout = Math.min(MAX_TIMEOUT_MS, slowest + 1_000);
  }
  const interval =
    m.interval ?? Math.max(DEFAULT_INTERVAL_MS, (Math.floor(worstCaseRunMs(timeout, m.samples, m.retries) / 60_000) + 1) * 60_000);
  return { ...m, interval, timeout };
}

/** `withTiming`, then the cross-field checks: a refinement that fills the defaults. */
type Timed = Parameters<typeof withTiming>[0] & {
  regions?: readonly string[];
  locations?: readonly string[];
  quorum?: number;
  retries?: { count: number; delay: number };
};

export function timing<T extends Timed>(m: T, ctx: z.RefinementCtx) {
  const filled = withTiming(m);
  checkLatency(filled, ctx);
  return filled;
}

/** Cross-field checks every kind shares: thresholds in order, and below the timeout. */
function checkLatency(
  m: {
    timeout: number;
    interval: number;
    samples: number;
    degradedMs?: number;
    downMs?: number;
    regions?: readonly string[];
    locations?: readonly string[];
    quorum?: number;
    retries?: { count: number; delay: number };
  },
  ctx: z.RefinementCtx,
) {
  // A run must end before the next one starts: the same monitor never runs twice at once.
  if (m.timeout * m.samples >= m.interval) {
    ctx.addIssue({
      code: "custom",
      path: ["timeout"],
      message: `timeout × samples (${m.timeout * m.samples} ms) must be shorter than the interval (${m.interval} ms)`,
    });
  } else if (m.retries && worstCaseRunMs(m.timeout, m.samples, m.retries) >= m.interval) {
    const worst = worstCaseRunMs(m.timeout, m.samples, m.retries);
    const retries = `${m.retries.count} ${m.retries.count === 1 ? "retry" : "retries"}`;
    ctx.addIssue({
      code: "custom",
      path: ["retries"],
      message: `with ${retries} a run can take ${worst} ms (every attempt timing out, and the delays), which must be shorter than the interval (${m.interval} ms)`,
    });
  }
  const voters = voterCount(m);
  if (m.quorum !== undefined && m.quorum > voters) {
    const what = m.locations ? "regions and locations" : "regions";
    ctx.addIssue({ code: "custom", path: ["quorum"], message: `must be at most the number of ${what} (${voters}), got ${m.quorum}` });
  }
  if (m.regions && new Set(m.regions).size !== m.regions.length)
    ctx.addIssue({ code: "custom", path: ["regions"], message: "lists a region twice" });
  if (m.locations && new Set(m.locations).size !== m.locations.length)
    ctx.addIssue({ code: "custom", path: ["locations"], message: "lists a location twice" });
  if (m.degradedMs !== undefined && m.downMs !== undefined && m.degradedMs >= m.downMs) {
    ctx.addIssue({ code: "custom", path: ["degradedMs"], message: `must be below downMs (${m.downMs}), got ${m.degradedMs}` });
  }
  for (const key of ["degradedMs", "downMs"] as const) {
    const v = m[key];
    if (v !== undefined && v >= m.timeout)
      ctx.addIssue({ code: "custom", path: [key], message: `must be below the timeout (${m.timeout} ms), got ${v}` });
  }
}

/** How many places vote on a run: its regions and locations (0: probed once, from the edge). */
export function voterCount(m: { regions?: readonly string[]; locations?: readonly string[] }): number {
  return (m.regions?.length ?? 0) + (m.locations?.length ?? 0);
}

/** Down when this many voters agree: `quorum`, by default a majority. */
export function quorumOf(m: { regions?: readonly string[]; locations?: readonly string[]; quorum?: number }): number {
  return m.quorum ?? Math.floor(voterCount(m) / 2) + 1;
}

/** A DNS name or an IP address. */
export const host = z
  .string()
  .min(1)
  .max(253)
  .regex(
    /^(([a-zA-Z0-9_]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9])?\.)*[a-zA-Z0-9_]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9])?\.?|\d{1,3}(\.\d{1,3}){3}|\[?[0-9a-fA-F:]*:[0-9a-fA-F:.]*\]?)$/,
    "expected a host name or an IP address, without scheme or port",
  );
/** A DNS name (no IP address). */
export const hostname = z
  .string()
  .max(253)
  .regex(
    /^([a-zA-Z0-9_]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9])?\.)*[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.?$/,
    "expected a DNS name such as api.example.com",
  );
export const port = z.number().int().min(1).max(65_535);

/** A regular expression, validated by compiling it as the probe will. */
export const regexSource = z
  .string()
  .min(1)
  .superRefine((source, ctx) => {
    const problem = assertionProblem(() => compileRegex(source));
    if (problem) ctx.addIssue({ code: "custom", message: problem.message });
  });
/** Request headers; a value may name a secret (`{ env: "API_TOKEN" }`). */
export const headers = z.record(z.string(), z.union([z.string(), secretRef])).default({});

/** A status expectation: `200`, `"2xx"` or `"200-299"`. */
export const statusExpectation = z.union([
  z.number().int().min(100).max(599),
  z.string().regex(/^([1-5]xx|[1-5]\d\d-[1-5]\d\d)$/, 'expected a status code, "2xx" or a range like "200-299"'),
]);

const assertionValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const operator = z.enum(OPERATORS, { error: `expected one of ${OPERATORS.join(" ")}` });

/** `{ path: "$.db", op: "==", value: "up" }`, validated by the evaluator itself. */
export const jsonAssertion = z
  .strictObject({
    /** JSON path: `$`, `$.a.b`, `$.items[0].name`, `$["key with spaces"]`. */
    path: z.string().min(1),
    /** Operator. */
    op: operator,
    /** The value compared with (not for `exists`, where `false` means "must not exist"). */
    value: assertionValue.optional(),
  })
  .superRefine((a, ctx) => {
    const problem = assertionProblem(() => checkJson(a, undefined, false));
    if (problem) ctx.addIssue({ code: "custom", path: [problem.field], message: problem.message });
  });

/** `{ name: "content-type", op: "contains", value: "json" }`, validated by the evaluator itself. */
export const headerAssertion = z
  .strictObject({
    /** Response header name, case-insensitive. */
    name: z.string().min(1),
    /** Operator. */
    op: operator,
    /** The value compared with (not for `exists`, where `false` means "must not exist"). */
    value: assertionValue.optional(),
  })
  .superRefine((a, ctx) => {
    const problem = assertionProblem(() => checkHeader(a, null));
    if (problem) ctx.addIssue({ code: "custom", path: [problem.field], message: problem.message });
  });

/** One text or several: always a list once parsed. */
export const texts = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).transform((v) => (typeof v === "string" ? [v] : v));
