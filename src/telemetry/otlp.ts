/**
 * Probe runs as OpenTelemetry spans, sent to a collector over OTLP/HTTP with JSON encoding
 * (opentelemetry-proto `ExportTraceServiceRequest`; https://opentelemetry.io/docs/specs/otlp/).
 *
 * 1. `buildTraces` (pure) turns one batch's runs into one request body: a CLIENT span per run
 *    (per region for a regional monitor) with the ids the target received in `traceparent`.
 * 2. `exportRuns` POSTs it to `<endpoint>/v1/traces` within the spec's timeout, counts the
 *    outcome in D1 for `/metrics` and logs one line on failure. Best effort: no queue, no
 *    retry; it never throws, and the scheduler runs it after the batch, off the schedule
 *    (`ctx.waitUntil`).
 */
import { headerSecrets, redact, reveal, type ConfigEnv } from "../config/common";
import { tracesUrl, type OtlpSpec } from "../config/telemetry";
import type { ProbeResult, ProbeStatus, ProbeTrace } from "../contract/probe";
import { newTrace } from "../probes/trace";
import { countOtlpExport } from "../store/otlp-exports";

/** One executed run, as the batch recorded it. */
export interface RunRecord {
  monitor: { id: string; type: string; service: string };
  result: ProbeResult;
  /** ms epoch when the run (retries included) finished. */
  endedAt: number;
  /** The probe itself failed: the run was recorded as unknown. */
  unknown: boolean;
}

type AnyValue = { stringValue: string } | { intValue: string } | { boolValue: boolean };
interface KeyValue {
  key: string;
  value: AnyValue;
}

/** An OTLP span in the JSON encoding (ids as hex, times as decimal strings of ns). */
export interface OtlpSpan {
  traceId: string;
  spanId: string;
  name: string;
  /** SPAN_KIND_CLIENT: the probe is the client of the target's request. */
  kind: 3;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: KeyValue[];
  /** STATUS_CODE_UNSET 0, OK 1, ERROR 2. */
  status: { code: 0 | 1 | 2; message?: string };
}

const nanos = (ms: number) => (BigInt(Math.round(ms)) * 1_000_000n).toString();
const attr = (key: string, value: string | number | boolean): KeyValue => ({
  key,
  value:
    typeof value === "string"
      ? { stringValue: value }
      : typeof value === "boolean"
        ? { boolValue: value }
        : { intValue: String(Math.round(value)) },
});

function span(
  run: RunRecord,
  part: {
    status: ProbeStatus | "unknown";
    latencyMs: number;
    reason?: string | undefined;
    trace?: ProbeTrace | undefined;
    region?: string;
  },
  start: number,
  end: number,
): OtlpSpan {
  const { monitor, result } = run;
  // A run whose request carried no traceparent of Vigil's (tcp, tls, opted out) still gets a span.
  const ids = part.trace ?? newTrace();
  const attributes = [
    attr("vigil.monitor.id", monitor.id),
    attr("vigil.monitor.type", monitor.type),
    attr("vigil.service", monitor.service),
    attr("vigil.status", part.status),
    attr("vigil.latency_ms", part.latencyMs),
    attr("vigil.traceparent_sent", part.trace !== undefined),
    ...(part.region !== undefined ? [attr("vigil.region", part.region)] : []),
    ...(part.reason !== undefined ? [attr("vigil.reason", part.reason)] : []),
    ...(result.statusCode !== undefined && part.region === undefined ? [attr("http.response.status_code", result.statusCode)] : []),
    ...(result.attempts !== undefined ? [attr("vigil.attempts", result.attempts)] : []),
  ];
  const status: OtlpSpan["status"] =
    part.status === "down"
      ? { code: 2, ...(part.reason !== undefined && { message: part.reason }) }
      : part.status === "unknown"
        ? { code: 0 }
        : { code: 1 };
  return {
    traceId: ids.traceId,
    spanId: ids.spanId,
    name: `probe ${monitor.id}`,
    kind: 3,
    startTimeUnixNano: nanos(start),
    endTimeUnixNano: nanos(Math.max(start, end)),
    attributes,
    status,
  };
}

/** The spans of one run: one, or one per region that measured for a regional monitor. */
export function runSpans(run: RunRecord): OtlpSpan[] {
  const { result } = run;
  const start = Date.parse(result.checkedAt);
  const regions = Object.entries(result.regions ?? {});
  if (regions.length > 0 && !run.unknown) return regions.map(([region, r]) => span(run, { ...r, region }, start, start + r.latencyMs));
  const status = run.unknown ? "unknown" : result.status;
  return [span(run, { status, latencyMs: result.latencyMs, reason: result.reason, trace: result.trace }, start, run.endedAt)];
}

/** The request body: `resourceSpans → scopeSpans → spans`. */
export function buildTraces(runs: readonly RunRecord[], resource: { serviceName: string; version: string }) {
  return {
    resourceSpans: [
      {
        resource: { attributes: [attr("service.name", resource.serviceName), attr("service.version", resource.version)] },
        scopeSpans: [{ scope: { name: "vigil", version: resource.version }, spans: runs.flatMap(runSpans) }],
      },
    ],
  };
}

export interface ExportOutcome {
  ok: boolean;
  spans: number;
  /** Why it failed, secrets redacted. */
  error?: string;
}

/**
 * Sends the runs to the collector, counts the outcome and logs a failure (one line, no secret).
 * Never throws; never takes much longer than `spec.timeout` (plus a D1 write).
 */
export async function exportRuns(
  env: ConfigEnv & { DB: D1Database },
  spec: OtlpSpec,
  runs: readonly RunRecord[],
  version: string,
): Promise<ExportOutcome> {
  const body = buildTraces(runs, { serviceName: spec.serviceName, version });
  const spans = body.resourceSpans[0]!.scopeSpans[0]!.spans.length;
  if (spans === 0) return { ok: true, spans };
  const secrets = headerSecrets(spec.headers, env);
  const headers = new Headers();
  for (const [k, v] of Object.entries(spec.headers)) headers.set(k, reveal(v, env));
  headers.set("content-type", "application/json");
  const url = new URL(tracesUrl(spec.endpoint));
  let error: string | undefined;
  const signal = AbortSignal.timeout(spec.timeout);
  try {
    const res = await fetch(url, { method: "POST", headers, body: JSON.stringify(body), signal });
    // The answer (an ExportTraceServiceResponse, maybe with partial_success) is not needed.
    await res.body?.cancel().catch(() => {});
    if (!res.ok) error = `collector ${url.host} answered HTTP ${res.status}`;
  } catch (err) {
    error = signal.aborted
      ? `collector ${url.host} did not answer within ${spec.timeout / 1000} s`
      : `collector ${url.host}: ${redact(String((err as Error)?.message ?? err), secrets)}`;
  }
  const outcome: ExportOutcome = error === undefined ? { ok: true, spans } : { ok: false, spans, error };
  if (error !== undefined) console.error(JSON.stringify({ msg: "otlp.export_failed", spans, error }));
  await countOtlpExport(env.DB, outcome.ok ? "ok" : "failed", spans).catch((err: unknown) =>
    console.error(JSON.stringify({ msg: "otlp.count_failed", error: String((err as Error)?.message ?? err) })),
  );
  return outcome;
}
