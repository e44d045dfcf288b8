/**
 * Telemetry: each probe run exported as an OpenTelemetry span (OTLP/HTTP, JSON) to a collector,
 * with the trace ids the target received in `traceparent` (src/telemetry/otlp.ts).
 */
import { z } from "zod";
import { httpUrl, secretRef } from "./common";
import { duration } from "./duration";

/** An HTTP header name (RFC 9110 §5.6.2 token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * An OTLP/HTTP collector (JSON encoding). Each tick's (or probe batch's) runs are sent as one
 * request, after they are recorded and without delaying the schedule; a failed export is
 * logged, counted in `/metrics` (`vigil_otlp_exports_total{outcome="failed"}`) and not retried.
 */
export const otlpSpec = z.strictObject({
  /**
   * The collector's OTLP/HTTP address, e.g. `http://otel-collector:4318`: spans are POSTed to
   * `<endpoint>/v1/traces` (a URL already ending in `/v1/traces` is used as it is). Credentials
   * go in `headers`, not in the URL.
   */
  endpoint: httpUrl.refine((u) => !/^https?:\/\/[^/]*@/.test(u), 'must not hold credentials; put them in headers as { env: "NAME" }'),
  /** Request headers, e.g. an API key; a value may name a secret (`{ env: "OTLP_TOKEN" }`). */
  headers: z
    .record(z.string(), z.union([z.string(), secretRef]))
    .superRefine((h, ctx) => {
      for (const name of Object.keys(h))
        if (!HEADER_NAME.test(name)) ctx.addIssue({ code: "custom", path: [name], message: `"${name}" is not an HTTP header name` });
    })
    .default({}),
  /** Each export's timeout, connect to answer. Default `5s`. */
  timeout: duration({ min: "100ms", max: "30s" }).prefault("5s"),
  /** The spans' `service.name` resource attribute. Default `vigil`. */
  serviceName: z.string().min(1).max(120).default("vigil"),
});
export type OtlpSpec = z.infer<typeof otlpSpec>;

/** Where probe runs are exported as traces (optional; nothing is exported without it). */
export const telemetrySpec = z.strictObject({
  /** Export each probe run as an OTLP/HTTP span. */
  otlp: otlpSpec.optional(),
});
export type TelemetrySpec = z.infer<typeof telemetrySpec>;

/** The URL spans are POSTed to. */
export const tracesUrl = (endpoint: string) => (/\/v1\/traces\/?$/.test(endpoint) ? endpoint : `${endpoint.replace(/\/+$/, "")}/v1/traces`);
