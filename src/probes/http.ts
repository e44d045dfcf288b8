/**
 * HTTP(S) probe: one request (redirects followed by hand, up to `maxRedirects`), one hard
 * deadline over connect, headers and body, a body cap, then the expectations from the spec.
 *
 * Observation and judgement are separate: `observeHttp` reports what came back,
 * `judgeHttp` (pure) says what is wrong with it in one line.
 */
import type { ProbeResult, ProbeTrace } from "../contract/probe";
import { z } from "zod";
import { headerSecrets, httpUrl, redact, reveal, type ConfigEnv } from "../config/common";
import { headerAssertion, headers, jsonAssertion, monitorBase, regexSource, statusExpectation, texts, timing } from "../config/monitors";
import { probeKind } from "./kind";
import { readAtMost, type CappedBody, type Waiter } from "../body";
import { checkHeader, checkJson, compileRegex } from "./assertions";
import { ConnectWatch, cloudflareErrorReason, endpointOf } from "./connect-failure";
import { Deadline, TimeoutError } from "./deadline";
import { explainRequestFailure } from "./tls";
import { applyTraceparent, probeTrace, traceparent } from "./trace";

/** One HTTP exchange: the request besides its URL, and what the response must show. The `api` kind's steps share it. */
export const httpExchange = {
  /** HTTP method. */
  method: z.enum(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]).default("GET"),
  /** Request headers; a value may name a secret (`{ env: "API_TOKEN" }`). */
  headers,
  body: z.string().max(65_536).optional(),
  /** Accepted status codes. Default `["2xx"]`. */
  expectedStatus: z.array(statusExpectation).min(1).default(["2xx"]),
  /** The body must contain this text. Same as `contains` (kept for existing configs). */
  keyword: z.string().min(1).optional(),
  /** The body must contain each of these. */
  contains: texts.optional(),
  /** The body must contain none of these. */
  notContains: texts.optional(),
  /** The body must match this regular expression. */
  matches: regexSource.optional(),
  /** Assertions on the JSON body. */
  json: z.array(jsonAssertion).default([]),
  /** Assertions on response headers. */
  responseHeaders: z.array(headerAssertion).default([]),
  /** Follow at most this many redirects; 0 = do not follow (the 3xx is the answer). Default 5. */
  maxRedirects: z.number().int().min(0).max(20).default(5),
  /** Never read more than this many bytes of body. Default 1 MiB. */
  maxBodyBytes: z
    .number()
    .int()
    .min(1)
    .max(10 * 1024 * 1024)
    .default(1024 * 1024),
};

/** A GET or HEAD request has no body (a refinement for schemas built with `httpExchange`). */
export function bodyNeedsMethod(m: { method: string; body?: unknown }, ctx: z.RefinementCtx, path: (string | number)[] = []) {
  if (m.body !== undefined && (m.method === "GET" || m.method === "HEAD")) {
    ctx.addIssue({ code: "custom", path: [...path, "body"], message: `a ${m.method} request cannot have a body; use POST, PUT or PATCH` });
  }
}

export const httpMonitor = z
  .strictObject({
    ...monitorBase,
    type: z.literal("http"),
    url: httpUrl,
    ...httpExchange,
    traceparent,
  })
  .superRefine((m, ctx) => bodyNeedsMethod(m, ctx))
  .transform(timing);
export type HttpMonitor = z.infer<typeof httpMonitor>;

/** Does `status` satisfy one of the expectations (`200`, `"2xx"`, `"200-299"`)? */
export function statusMatches(status: number, expected: readonly (number | string)[]): boolean {
  return expected.some((e) => {
    if (typeof e === "number") return status === e;
    if (/^[1-5]xx$/.test(e)) return Math.floor(status / 100) === Number(e[0]);
    const [lo, hi] = e.split("-").map(Number);
    return status >= lo! && status <= hi!;
  });
}

/** A byte count the way people say it: `1 MiB`, `512 KiB`, `300 bytes`. */
export function formatBytes(n: number): string {
  if (n >= 1 << 20 && n % (1 << 20) === 0) return `${n / (1 << 20)} MiB`;
  if (n >= 1 << 10 && n % (1 << 10) === 0) return `${n / (1 << 10)} KiB`;
  return `${n} bytes`;
}

const decoders = new Map<string, TextDecoder>();

/**
 * A decoder for the response's charset (`text/html; charset=euc-kr`), UTF-8 when absent or
 * unknown. Decoders are kept per charset: `decode` without `stream` carries no state.
 */
export function decoderFor(contentType: string | null): TextDecoder {
  const charset = (/charset="?([\w.:-]+)"?/i.exec(contentType ?? "")?.[1] ?? "utf-8").toLowerCase();
  let decoder = decoders.get(charset);
  if (!decoder) {
    try {
      decoder = new TextDecoder(charset);
    } catch {
      decoder = decoderFor(null);
    }
    if (decoders.size < 64) decoders.set(charset, decoder);
  }
  return decoder;
}

/** The phase in which fetch() has neither connected nor answered, as far as the probe can tell. */
export const WAITING_FOR_HEADERS = "waiting for the response headers";
const REDIRECT = new Set([301, 302, 303, 307, 308]);
/** Headers never carried to another origin on a redirect (besides those holding secrets). */
const CREDENTIAL_HEADERS = ["authorization", "cookie", "proxy-authorization"];

export interface HttpObservation {
  status: number;
  headers: Headers;
  body: string;
  /** The body was longer than the cap; `body` holds the first `maxBodyBytes` only. */
  truncated: boolean;
  /** URLs visited, the request URL first. */
  hops: string[];
  /** ms epoch when the headers of the response that decided arrived. */
  headersAt: number;
}

/** A request failure as a one-line reason; secrets are already gone from it. */
export class HttpFailure extends Error {
  override readonly name = "HttpFailure";
  constructor(
    message: string,
    readonly statusCode?: number,
  ) {
    super(message);
  }
}

/** What `observeHttp` needs of a spec: an `http` monitor, or an `api` monitor's step. */
export type HttpRequestSpec = Pick<HttpMonitor, "url" | "method" | "headers" | "maxRedirects" | "maxBodyBytes"> & {
  /** Text, or a fresh body for each request made (a generated upload, streamed; sent again on a 307 / 308). */
  body?: string | (() => BodyInit);
  /** Reads the final response's body instead of `readAtMost` (a timed download). */
  readBody?: (res: Response, limit: number, wait: Waiter) => Promise<CappedBody>;
};
/** What `judgeHttp` reads of a spec. */
export type HttpExpectations = Pick<
  HttpMonitor,
  "url" | "expectedStatus" | "responseHeaders" | "keyword" | "contains" | "notContains" | "matches" | "json" | "maxBodyBytes"
>;

const shortUrl = (u: URL, base: URL) => (u.origin === base.origin ? u.pathname + u.search : u.href);

/**
 * `hops` receives each URL as it is requested, so a caller can tell where a failure happened.
 * Every request, each redirect hop included, carries `traceparent` for `trace` (default: a new
 * one, per the spec's `headers`; pass the caller's to report its ids; the spec's own header wins).
 */
export async function observeHttp(
  spec: HttpRequestSpec,
  env: ConfigEnv,
  deadline: Deadline,
  hops: string[] = [],
  trace: ProbeTrace | undefined = probeTrace(spec),
): Promise<HttpObservation> {
  const secretHeaders = new Set(
    Object.entries(spec.headers)
      .filter(([, v]) => typeof v !== "string")
      .map(([k]) => k.toLowerCase()),
  );
  const headers = new Headers({ "user-agent": "Vigil/0.1 (+synthetic check)" });
  for (const [k, v] of Object.entries(spec.headers)) headers.set(k, reveal(v, env));
  applyTraceparent(headers, trace);
  let url = new URL(spec.url);
  const first = url;
  let method = spec.method;
  let body = spec.body;
  hops.push(url.href);
  for (;;) {
    const init: RequestInit = { method, headers, redirect: "manual", signal: deadline.signal };
    // A generated body is a stream: Node's fetch (the agent, running private locations) sends a
    // stream only when told it is half duplex; workerd reads the same field and ignores it.
    if (typeof body === "function") Object.assign(init, { body: body(), duplex: "half" });
    else if (body !== undefined) init.body = body;
    const res = await deadline.race(fetch(url, init), WAITING_FOR_HEADERS);
    const headersAt = Date.now();
    const location = res.headers.get("location");
    if (!REDIRECT.has(res.status) || spec.maxRedirects === 0 || location === null) {
      deadline.phase = "while reading the body";
      if (method === "HEAD") return { status: res.status, headers: res.headers, body: "", truncated: false, hops, headersAt };
      const read = await (spec.readBody ?? readAtMost)(res, spec.maxBodyBytes, (work) => deadline.race(work));
      const body = decoderFor(res.headers.get("content-type")).decode(read.bytes);
      return { status: res.status, headers: res.headers, body, truncated: read.overflow, hops, headersAt };
    }
    res.body?.cancel().catch(() => {});
    const next = new URL(location, url);
    const trail = () => [...hops.map((h) => shortUrl(new URL(h), first)), shortUrl(next, first)].join(" → ");
    if (hops.includes(next.href)) throw new HttpFailure(`redirect loop: ${trail()}`, res.status);
    if (hops.length > spec.maxRedirects) throw new HttpFailure(`more than ${spec.maxRedirects} redirects: ${trail()}`, res.status);
    if (next.protocol !== "http:" && next.protocol !== "https:")
      throw new HttpFailure(`redirected to ${next.protocol} URL, which is not HTTP`, res.status);
    // Fetch standard §4.4: 303 becomes GET; 301/302 turn POST into GET; 307/308 keep both.
    if ((res.status === 303 && method !== "HEAD") || ((res.status === 301 || res.status === 302) && method === "POST")) {
      method = "GET";
      body = undefined;
      headers.delete("content-type");
    }
    if (next.origin !== url.origin) for (const h of [...CREDENTIAL_HEADERS, ...secretHeaders]) headers.delete(h);
    url = next;
    hops.push(url.href);
  }
}

const quoteList = (xs: string[]) => xs.map((x) => `'${x}'`).join(", ");

/**
 * What is wrong with a response, worst first: status, headers, body text, JSON. Null when
 * nothing is. Each check reads only what it needs, so a 503 is reported as a 503.
 */
export function judgeHttp(spec: HttpExpectations, obs: HttpObservation): string | null {
  if (!statusMatches(obs.status, spec.expectedStatus)) {
    const edge = cloudflareErrorReason(obs.status, obs.body, new URL(obs.hops.at(-1) ?? spec.url).hostname);
    return `expected status ${spec.expectedStatus.join(" or ")}, got ${obs.status}${edge ? `: ${edge}` : ""}`;
  }
  for (const a of spec.responseHeaders) {
    const failed = checkHeader(a, obs.headers);
    if (failed) return failed;
  }
  const partial = obs.truncated ? ` (read the first ${formatBytes(spec.maxBodyBytes)} of a longer body)` : "";
  const contains = [...(spec.keyword !== undefined ? [spec.keyword] : []), ...(spec.contains ?? [])];
  const missing = contains.filter((t) => !obs.body.includes(t));
  if (missing.length > 0) return `body lacks ${quoteList(missing)}${partial}`;
  const present = (spec.notContains ?? []).filter((t) => obs.body.includes(t));
  if (present.length > 0) return `body contains ${quoteList(present)}, which it must not`;
  if (spec.matches !== undefined && !compileRegex(spec.matches).test(obs.body)) return `body does not match /${spec.matches}/${partial}`;
  if (spec.json.length > 0) {
    if (obs.truncated) return `body is larger than maxBodyBytes (${formatBytes(spec.maxBodyBytes)}), so its JSON cannot be checked`;
    let doc: unknown;
    try {
      doc = JSON.parse(obs.body);
    } catch {
      const type = obs.headers.get("content-type") ?? "no content-type";
      return `body is not JSON (${type}): ${obs.body.slice(0, 60).replace(/\s+/g, " ")}${obs.body.length > 60 ? "…" : ""}`;
    }
    for (const a of spec.json) {
      const failed = checkJson(a, doc);
      if (failed) return failed;
    }
  }
  return null;
}

/** Builds a probe's "down" results: latency from `started`, secrets redacted from the reason. */
export function failure(started: number, secrets: readonly string[]) {
  const checkedAt = new Date(started).toISOString();
  return (reason: string, statusCode?: number): ProbeResult => ({
    status: "down",
    latencyMs: Date.now() - started,
    reason: redact(reason, secrets),
    checkedAt,
    ...(statusCode !== undefined && { statusCode }),
  });
}

/**
 * Why `observeHttp` threw, in one line (secrets not yet redacted): the timeout and its phase
 * (a connect timeout told apart by `watch`), a redirect problem, a closed connection, a refusal
 * or a TLS failure at `at`, the URL being requested.
 */
export async function explainHttpFailure(
  err: unknown,
  deadline: Deadline,
  watch: ConnectWatch,
  at: URL,
): Promise<{ reason: string; statusCode?: number }> {
  const timedOut = (e: TimeoutError) => ({ reason: e.phase === WAITING_FOR_HEADERS ? watch.explain(e) : e.message });
  if (err instanceof TimeoutError) return timedOut(err);
  if (err instanceof HttpFailure) return { reason: err.message, ...(err.statusCode !== undefined && { statusCode: err.statusCode }) };
  if (deadline.signal.aborted) return timedOut(new TimeoutError(deadline.ms, deadline.phase));
  if (deadline.phase === "while reading the body")
    return { reason: `${endpointOf(at).hostPort} closed the connection while sending the body` };
  return { reason: await explainRequestFailure(at, err, Math.min(deadline.remaining, 5_000)) };
}

export async function probeHttp(spec: HttpMonitor, env: ConfigEnv): Promise<ProbeResult> {
  const trace = probeTrace(spec);
  const result = await requestOnce(spec, env, trace);
  return trace ? { ...result, trace } : result;
}

async function requestOnce(spec: HttpMonitor, env: ConfigEnv, trace: ProbeTrace | undefined): Promise<ProbeResult> {
  const started = Date.now();
  const checkedAt = new Date(started).toISOString();
  const deadline = new Deadline(spec.timeout);
  const secrets = headerSecrets(spec.headers, env);
  const down = failure(started, secrets);
  const hops: string[] = [];
  const current = () => new URL(hops.at(-1) ?? spec.url);
  const watch = new ConnectWatch(deadline, () => (deadline.phase === WAITING_FOR_HEADERS ? current() : null));
  try {
    const obs = await observeHttp(spec, env, deadline, hops, trace);
    const latencyMs = Date.now() - started;
    const firstByteMs = obs.headersAt - started;
    const failed = judgeHttp(spec, obs);
    if (failed) return { ...down(failed, obs.status), firstByteMs };
    return { status: "up", latencyMs, checkedAt, statusCode: obs.status, firstByteMs };
  } catch (err) {
    const failed = await explainHttpFailure(err, deadline, watch, current());
    return down(failed.reason, failed.statusCode);
  } finally {
    watch.stop();
    deadline.clear();
  }
}

/** The `http` kind: CONTRIBUTING.md, "Adding a kind". */
export const http = probeKind({
  type: "http",
  schema: httpMonitor,
  run: probeHttp,
  target: (spec) => ({ path: "url", url: spec.url }),
});
