/**
 * DNS probe over HTTPS (RFC 8484): GET `resolver?dns=<query>` with
 * `accept: application/dns-message`, then checks the answers of the asked type against the
 * expected values.
 */
import { z } from "zod";
import { httpUrl } from "../config/common";
import { hostname, monitorBase, timing } from "../config/monitors";
import { probeKind } from "./kind";
import type { ProbeResult, ProbeTrace } from "../contract/probe";
import { ConnectWatch } from "./connect-failure";
import { Deadline, TimeoutError } from "./deadline";
import { explainRequestFailure } from "./tls";
import { applyTraceparent, probeTrace, traceparent } from "./trace";
import { RecordType, base64url, decodeResponse, encodeQuery, formatIpv6, parseIpv6 } from "./dns/wire";

export const DNS_RECORD_TYPES = ["A", "AAAA", "CNAME", "MX", "TXT"] as const;

export const dnsMonitor = z
  .strictObject({
    ...monitorBase,
    type: z.literal("dns"),
    /** The name to resolve. */
    name: hostname,
    recordType: z.enum(DNS_RECORD_TYPES).default("A"),
    /** DNS-over-HTTPS endpoint (RFC 8484). Default Cloudflare's. */
    resolver: httpUrl.default("https://cloudflare-dns.com/dns-query"),
    /**
     * Values that must be in the answer: `"192.0.2.1"`, `"mail.example.com"` or
     * `"10 mail.example.com"` (MX, priority optional), the TXT text. Empty: any answer will do.
     */
    expected: z.array(z.string().min(1)).default([]),
    /** `contains`: every expected value is answered (default); `exact`: nothing else is. */
    match: z.enum(["contains", "exact"]).default("contains"),
    traceparent,
  })
  .superRefine((m, ctx) => {
    const valid: Record<string, RegExp> = {
      A: /^\d{1,3}(\.\d{1,3}){3}$/,
      AAAA: /^[0-9a-fA-F:.]*:[0-9a-fA-F:.]*$/,
      CNAME: /^[^\s]+$/,
      MX: /^(\d{1,5}\s+)?[^\s]+$/,
      TXT: /^[\s\S]*$/,
    };
    m.expected.forEach((v, i) => {
      if (!valid[m.recordType]!.test(v))
        ctx.addIssue({ code: "custom", path: ["expected", i], message: `"${v}" is not a ${m.recordType} value` });
    });
  })
  .transform(timing);
export type DnsMonitor = z.infer<typeof dnsMonitor>;

const ASKING = "waiting for the resolver";
/** RFC 8484 responses are small; a resolver sending more than this is broken. */
const MAX_RESPONSE = 65_535;

/** An expected value in the form answers use, so spellings like "2001:DB8:0::1" still match. */
export function normaliseExpected(type: DnsMonitor["recordType"], value: string): string {
  if (type === "AAAA") {
    const bytes = parseIpv6(value);
    return bytes ? formatIpv6(bytes) : value;
  }
  if (type === "CNAME") return value.toLowerCase().replace(/\.$/, "");
  if (type === "MX") return value.trim().replace(/\s+/g, " ").toLowerCase().replace(/\.$/, "");
  return value;
}

/** What is wrong with the answers, or null. MX expectations without a priority match the host only. */
export function judgeAnswers(spec: Pick<DnsMonitor, "name" | "recordType" | "expected" | "match">, answers: string[]): string | null {
  const what = `${spec.recordType} ${spec.name}`;
  if (answers.length === 0) return `no ${spec.recordType} records for ${spec.name}`;
  const comparable = (expected: string) =>
    spec.recordType === "MX" && !/^\d+ /.test(expected) ? answers.map((a) => a.replace(/^\d+ /, "")) : answers;
  const expected = spec.expected.map((v) => normaliseExpected(spec.recordType, v));
  const got = `got ${answers.join(", ")}`;
  const missing = expected.filter((e) => !comparable(e).includes(e));
  if (missing.length > 0) return `${what} lacks ${missing.join(", ")} (${got})`;
  if (spec.match === "exact" && expected.length > 0) {
    const extra = answers.filter((a) => !expected.some((e) => e === a || (spec.recordType === "MX" && e === a.replace(/^\d+ /, ""))));
    if (extra.length > 0) return `${what} has unexpected ${extra.join(", ")} (expected only ${expected.join(", ")})`;
  }
  return null;
}

export async function probeDns(spec: DnsMonitor): Promise<ProbeResult> {
  const trace = probeTrace(spec);
  const result = await askOnce(spec, trace);
  return trace ? { ...result, trace } : result;
}

async function askOnce(spec: DnsMonitor, trace: ProbeTrace | undefined): Promise<ProbeResult> {
  const started = Date.now();
  const checkedAt = new Date(started).toISOString();
  const deadline = new Deadline(spec.timeout);
  const down = (reason: string, extra: Partial<ProbeResult> = {}): ProbeResult => ({
    status: "down",
    latencyMs: Date.now() - started,
    reason,
    checkedAt,
    ...extra,
  });
  const url = new URL(spec.resolver);
  const watch = new ConnectWatch(deadline, () => (deadline.phase === ASKING ? url : null));
  const timedOut = (err: TimeoutError) => {
    const reason = err.phase === ASKING ? watch.explain(err) : err.message;
    return down(reason === err.message ? reason : `resolver: ${reason}`);
  };
  try {
    url.searchParams.set("dns", base64url(encodeQuery(spec.name, spec.recordType)));
    const headers = new Headers({ accept: "application/dns-message" });
    applyTraceparent(headers, trace);
    const res = await deadline.race(fetch(url, { headers, signal: deadline.signal }), ASKING);
    if (res.status !== 200) {
      res.body?.cancel().catch(() => {});
      return down(`resolver ${url.host} answered HTTP ${res.status}`, { statusCode: res.status });
    }
    const type = res.headers.get("content-type") ?? "";
    if (!type.startsWith("application/dns-message")) {
      res.body?.cancel().catch(() => {});
      return down(`resolver ${url.host} answered ${type || "no content-type"}, not application/dns-message`, { statusCode: 200 });
    }
    deadline.phase = "while reading the resolver's answer";
    const body = new Uint8Array(await deadline.race(res.arrayBuffer()));
    if (body.byteLength > MAX_RESPONSE) return down(`resolver answer is ${body.byteLength} bytes, over the 64 KiB DNS limit`);
    const latencyMs = Date.now() - started;
    const response = decodeResponse(body);
    const answers = response.answers.filter((a) => a.type === RecordType[spec.recordType]).map((a) => a.value);
    const dns = { rcode: response.rcode, answers };
    if (response.rcode !== "NOERROR")
      return down(`resolver answered ${response.rcode} for ${spec.recordType} ${spec.name}`, { dns, latencyMs });
    const failed = judgeAnswers(spec, answers);
    if (failed) return { status: "down", latencyMs, reason: failed, checkedAt, dns };
    return { status: "up", latencyMs, checkedAt, dns };
  } catch (err) {
    if (err instanceof TimeoutError) return timedOut(err);
    if (deadline.signal.aborted) return timedOut(new TimeoutError(spec.timeout, deadline.phase));
    if (deadline.phase !== ASKING) return down(`resolver ${url.host} closed the connection while sending its answer`);
    return down(`resolver: ${await explainRequestFailure(url, err, Math.min(deadline.remaining, 5_000))}`);
  } finally {
    watch.stop();
    deadline.clear();
  }
}

export const dns = probeKind({
  type: "dns",
  schema: dnsMonitor,
  run: probeDns,
  target: (spec) => ({ path: "resolver", url: spec.resolver }),
});
