/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/) for probe requests: each run's
 * request carries `traceparent: 00-<trace-id>-<parent-id>-01`, so the target's own traces
 * show the probe as their parent, and the run's span (src/telemetry/otlp.ts) has the same ids.
 */
import { z } from "zod";
import type { SecretRef } from "../config/common";
import type { ProbeTrace } from "../contract/probe";

/**
 * Sends a W3C `traceparent` header (a new trace per run, sampled) with the probe's request.
 * Default `true`; `false` for a target that refuses unknown headers. A `traceparent` in the
 * monitor's own `headers` (http, websocket) is sent instead.
 */
export const traceparent = z.boolean().optional();

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

/** `n` random bytes as hex, never all zeros (an all-zero id is invalid: §3.2.2.3, §3.2.2.4). */
function randomId(n: number): string {
  for (;;) {
    const bytes = crypto.getRandomValues(new Uint8Array(n));
    if (bytes.some((b) => b !== 0)) return hex(bytes);
  }
}

/** A new trace: 16-byte trace id, 8-byte span id. */
export function newTrace(): ProbeTrace {
  return { traceId: randomId(16), spanId: randomId(8) };
}

/** The header value: version 00, sampled flag set (§3.2). */
export const traceparentHeader = (t: ProbeTrace) => `00-${t.traceId}-${t.spanId}-01`;

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;

/** The ids of a valid version-00 `traceparent`, or undefined. */
export function parseTraceparent(value: string): ProbeTrace | undefined {
  const m = TRACEPARENT.exec(value.trim());
  if (!m || /^0+$/.test(m[1]!) || /^0+$/.test(m[2]!)) return undefined;
  return { traceId: m[1]!, spanId: m[2]! };
}

/**
 * The trace a run's request carries, or undefined when it carries none of Vigil's:
 * `traceparent: false`, or the monitor's `headers` set their own (then its ids, when it is a
 * plain valid value, so the exported span matches what the target saw).
 */
export function probeTrace(spec: {
  traceparent?: boolean | undefined;
  headers?: Readonly<Record<string, string | SecretRef>>;
}): ProbeTrace | undefined {
  if (spec.traceparent === false) return undefined;
  const own = Object.entries(spec.headers ?? {}).find(([k]) => k.toLowerCase() === "traceparent");
  if (own) return typeof own[1] === "string" ? parseTraceparent(own[1]) : undefined;
  return newTrace();
}

/** Sets `traceparent` unless the headers already have one (the monitor's own value wins). */
export function applyTraceparent(headers: Headers, trace: ProbeTrace | undefined): void {
  if (trace && !headers.has("traceparent")) headers.set("traceparent", traceparentHeader(trace));
}
