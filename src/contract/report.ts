/**
 * The agent → worker report: one zod schema, imported by the worker's ingest route and by
 * the host agent (`agent/`), so the two sides cannot drift apart.
 *
 * Versioning: `schemaVersion` is optional and defaults to the current version. The worker
 * accepts the current and the previous version (`SUPPORTED_REPORT_VERSIONS`).
 */
import { z } from "zod";
import type { DnsInfo, ProbeResult, TlsInfo } from "./probe";
import { ID_PATTERN, ID_RULE } from "../../lib/agent-id";
import { CHECK_ID_PATTERN, REPORT_CAPS, REPORT_SCHEMA_VERSION, RESERVED_CHECK_IDS, SUPPORTED_REPORT_VERSIONS } from "./report-constants";

// The plain values live in report-constants.ts (the agent imports them without zod).
export {
  AGENT_LOCATION_PREFIX,
  agentLocation,
  CHECK_ID_PATTERN,
  MAX_REPORT_BYTES,
  REPORT_CAPS,
  RESERVED_CHECK_IDS,
  REPORT_SCHEMA_VERSION,
  SUPPORTED_REPORT_VERSIONS,
  diskMetricKey,
} from "./report-constants";

export const checkStatus = z.enum(["ok", "warn", "critical", "unknown"]);
export type CheckStatus = z.infer<typeof checkStatus>;

const isoTime = z.iso.datetime({ offset: true });

/** The caps of {@link REPORT_CAPS} as paths for `jsonSizeIssues`. */
export const reportSizeLimits = {
  caps: {
    checks: REPORT_CAPS.checks,
    remediations: REPORT_CAPS.remediations,
    "checks[].metrics": REPORT_CAPS.metrics,
    probes: REPORT_CAPS.probes,
  },
  depth: 8,
};

/** An agent's check id ({@link CHECK_ID_PATTERN}), not one the worker reserves. */
export const agentCheckId = z
  .string()
  .max(200)
  .regex(CHECK_ID_PATTERN, "1–200 of A–Z a–z 0–9 . _ : @ / = + ~ - (starting with a letter or digit)")
  .superRefine((id, ctx) => {
    if (RESERVED_CHECK_IDS.includes(id))
      ctx.addIssue({ code: "custom", message: `"${id}" is reserved by the worker (its dead-man check)` });
  });

export const checkResult = z.object({
  /** Stable id, `<kind>:<name>`, e.g. `docker:safework-postgres`. */
  id: agentCheckId,
  kind: z.string().min(1).max(40),
  status: checkStatus,
  summary: z.string().max(1000),
  observedAt: isoTime,
  durationMs: z.number().nonnegative(),
  metrics: z
    .record(z.string(), z.number())
    .refine((m) => Object.keys(m).length <= REPORT_CAPS.metrics, `at most ${REPORT_CAPS.metrics} metrics`)
    .optional(),
});
export type CheckResult = z.infer<typeof checkResult>;

/** The disk use a check reports, per mount (only finite values from 0 to 100). */
export function diskUsage(check: Pick<CheckResult, "kind" | "metrics">): { mount: string; usedPct: number }[] {
  if (check.kind !== "host" || !check.metrics) return [];
  const out: { mount: string; usedPct: number }[] = [];
  for (const [key, value] of Object.entries(check.metrics)) {
    if (!key.startsWith("disk:") || !key.endsWith(":usedPct") || key.length <= "disk::usedPct".length) continue;
    if (!Number.isFinite(value) || value < 0 || value > 100) continue;
    out.push({ mount: key.slice("disk:".length, -":usedPct".length), usedPct: value });
  }
  return out;
}

export const remediation = z.object({
  check: agentCheckId,
  action: z.string().min(1).max(40),
  attempt: z.number().int().positive(),
  outcome: z.enum(["succeeded", "failed", "skipped", "dry-run"]),
  at: isoTime,
  detail: z.string().max(1000).optional(),
});
export type Remediation = z.infer<typeof remediation>;

const probeStatus = z.enum(["up", "degraded", "down"]);

const transfer = z.object({
  direction: z.enum(["upload", "download"]),
  bytes: z.number().nonnegative(),
  ms: z.number().nonnegative(),
  MBps: z.number().nonnegative(),
});

/**
 * A probe result as an agent reports it (`ProbeResult`, src/contract/probe.ts). Not strict:
 * fields a newer agent adds are dropped, not refused. It also knows the result fields of the
 * kinds merged beside private locations (`domain`, `api`'s `steps` and `throughput`, `trace`,
 * the TLS baseline), so results of those kinds keep their details.
 */
export const reportedProbeResult = z.object({
  status: probeStatus,
  latencyMs: z.number().nonnegative(),
  reason: z.string().max(1000).optional(),
  checkedAt: isoTime,
  statusCode: z.number().int().optional(),
  firstByteMs: z.number().nonnegative().optional(),
  latency: z.object({ samples: z.number().int(), p50Ms: z.number(), maxMs: z.number() }).optional(),
  tls: z
    .object({
      notAfter: isoTime,
      daysLeft: z.number().int(),
      subject: z.string().max(1000),
      sans: z.array(z.string().max(300)).max(200),
      issuer: z.string().max(1000),
      chainLength: z.number().int().nonnegative(),
      hostnameMatches: z.boolean(),
      selfSigned: z.boolean(),
      protocol: z.enum(["TLSv1.2", "TLSv1.3"]),
      cipherSuite: z.string().max(100).optional(),
      key: z
        .object({
          type: z.enum(["RSA", "EC", "Ed25519", "Ed448", "DSA", "unknown"]),
          bits: z.number().int().optional(),
          curve: z.string().max(40).optional(),
        })
        .optional(),
      signatureAlgorithm: z.string().max(100).optional(),
      chainComplete: z.boolean().optional(),
      legacyProtocol: z.enum(["SSLv3", "TLSv1", "TLSv1.1", "none"]).optional(),
      weaknesses: z.array(z.string().max(300)).max(20).optional(),
    })
    .optional(),
  dns: z.object({ rcode: z.string().max(20), answers: z.array(z.string().max(1000)).max(100) }).optional(),
  attempts: z.number().int().positive().optional(),
  domain: z
    .object({
      expiresAt: isoTime,
      daysLeft: z.number().int(),
      registrar: z.string().max(300).optional(),
      status: z.array(z.string().max(100)).max(50),
      rdapUrl: z.string().max(2000),
    })
    .optional(),
  steps: z
    .array(
      z.object({
        name: z.string().max(80),
        request: z.string().max(2100),
        status: probeStatus,
        latencyMs: z.number().nonnegative(),
        firstByteMs: z.number().nonnegative().optional(),
        statusCode: z.number().int().optional(),
        throughput: transfer.optional(),
      }),
    )
    .max(50)
    .optional(),
  throughput: transfer.optional(),
  trace: z.object({ traceId: z.string().regex(/^[0-9a-f]{32}$/), spanId: z.string().regex(/^[0-9a-f]{16}$/) }).optional(),
});

/**
 * One run of a worker monitor that lists this agent in its `locations` (`agent:<id>`): the
 * worker counts it as that location's vote (README, "Private locations").
 */
export const locationProbe = z.object({
  /** The monitor's id, as the worker's answer named it. */
  monitor: z.string().regex(ID_PATTERN, ID_RULE),
  result: reportedProbeResult,
});
export type LocationProbe = z.infer<typeof locationProbe>;

// Every field of a probe result, but the worker's own `regions`, has its schema above: a field
// added to ProbeResult (or TlsInfo, DnsInfo) and missing here does not compile, naming the field.
type Covers<Missing extends never> = Missing;
type Reported = z.infer<typeof reportedProbeResult>;
export type ReportedResultCoversProbeResult = Covers<Exclude<keyof ProbeResult, keyof Reported | "regions">>;
export type ReportedResultCoversTls = Covers<Exclude<keyof TlsInfo, keyof NonNullable<Reported["tls"]>>>;
export type ReportedResultCoversDns = Covers<Exclude<keyof DnsInfo, keyof NonNullable<Reported["dns"]>>>;

export const agentReport = z.object({
  schemaVersion: z
    .number()
    .int()
    .refine((v) => (SUPPORTED_REPORT_VERSIONS as readonly number[]).includes(v), {
      message: `unsupported schemaVersion; supported: ${SUPPORTED_REPORT_VERSIONS.join(", ")}`,
    })
    .default(REPORT_SCHEMA_VERSION),
  agent: z.object({
    id: z.string().regex(ID_PATTERN, ID_RULE),
    version: z.string().min(1).max(40),
    hostname: z.string().min(1).max(255),
  }),
  /** Strictly increasing per agent, kept across agent restarts. */
  seq: z.number().int().nonnegative(),
  sentAt: isoTime,
  /** The agent's promise: the dead-man grace derives from it. */
  intervalSeconds: z.number().int().min(5).max(86_400),
  checks: z.array(checkResult).max(REPORT_CAPS.checks),
  remediations: z.array(remediation).max(REPORT_CAPS.remediations).default([]),
  /**
   * Results of the worker's monitors run from this host (`locations: ["agent:<id>"]`), at most
   * one per monitor: the latest. Optional, added without a version change: a worker that does
   * not know it ignores it, and a report without it is the report it always was.
   */
  probes: z.array(locationProbe).max(REPORT_CAPS.probes).optional(),
});
export type AgentReport = z.infer<typeof agentReport>;
/** What an agent builds before zod fills defaults. */
export type AgentReportInput = z.input<typeof agentReport>;
