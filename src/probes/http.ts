/**
 * HTTP(S) probe: one request (redirects followed by hand, up to `maxRedirects`), one hard
 * deadline over connect, headers and body, a body cap, then the expectations from the spec.
 *
 * Observation and judgement are separate: `observeHttp` reports what came back,
 * `judgeHttp` (pure) says what is wrong with it in one line.
 */
import type { ProbeResult } from "../contract/probe";
import { reveal, type ConfigEnv, type HttpMonitor, type SecretRef } from "../config";
import { checkHeader, checkJson, compileRegex } from "./assertions";
import { Deadline, TimeoutError } from "./deadline";
import { explainTlsFailure } from "./tls";

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

/** Reads at most `cap` bytes of a body under the deadline; the rest is cancelled, never downloaded. */
async function readCapped(body: ReadableStream<Uint8Array> | null, cap: number, deadline: Deadline, decoder: TextDecoder): Promise<{ text: string; truncated: boolean }> {
  if (!body) return { text: "", truncated: false };
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  let ended = false;
  try {
    for (;;) {
      const { done, value } = await deadline.race(reader.read());
      if (done) {
        ended = true;
        break;
      }
      const room = cap - size;
      chunks.push(value.byteLength > room ? value.subarray(0, room) : value);
      size += Math.min(value.byteLength, room);
      if (value.byteLength >= room) {
        truncated = value.byteLength > room || !(await peekEnd(reader, deadline));
        break;
      }
    }
  } finally {
    // A body read to its end needs no cancel (one call and one promise fewer per probe).
    if (!ended) reader.cancel().catch(() => {});
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.byteLength;
  }
  return { text: decoder.decode(all), truncated };
}

/**
 * The body as text, at most `cap` bytes. An uncompressed body whose declared length fits the
 * cap is read in one native call (fewer calls into the runtime than a reader's loop); any other
 * is streamed and cut at the cap (a compressed body's length says nothing of its decoded size).
 */
async function readBody(res: Response, cap: number, deadline: Deadline): Promise<{ text: string; truncated: boolean }> {
  const decoder = decoderFor(res.headers.get("content-type"));
  const declared = Number(res.headers.get("content-length") ?? Number.NaN);
  if (declared >= 0 && declared <= cap && !res.headers.has("content-encoding")) {
    return { text: decoder.decode(await deadline.race(res.arrayBuffer())), truncated: false };
  }
  return readCapped(res.body, cap, deadline, decoder);
}

/** After exactly `cap` bytes: is that the end of the body? */
async function peekEnd(reader: ReadableStreamDefaultReader<Uint8Array>, deadline: Deadline): Promise<boolean> {
  for (;;) {
    const { done, value } = await deadline.race(reader.read());
    if (done) return true;
    if (value.byteLength > 0) return false;
  }
}

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

const shortUrl = (u: URL, base: URL) => (u.origin === base.origin ? u.pathname + u.search : u.href);

/** `hops` receives each URL as it is requested, so a caller can tell where a failure happened. */
export async function observeHttp(spec: HttpMonitor, env: ConfigEnv, deadline: Deadline, hops: string[] = []): Promise<HttpObservation> {
  const secretHeaders = new Set(Object.entries(spec.headers).filter(([, v]) => typeof v !== "string").map(([k]) => k.toLowerCase()));
  const headers = new Headers({ "user-agent": "Vigil/0.1 (+synthetic check)" });
  for (const [k, v] of Object.entries(spec.headers)) headers.set(k, reveal(v, env));
  let url = new URL(spec.url);
  const first = url;
  let method = spec.method;
  let body = spec.body;
  hops.push(url.href);
  for (;;) {
    const res = await deadline.race(fetch(url, { method, headers, body, redirect: "manual", signal: deadline.signal }), "waiting for the response headers");
    const location = res.headers.get("location");
    if (!REDIRECT.has(res.status) || spec.maxRedirects === 0 || location === null) {
      deadline.phase = "while reading the body";
      const read = method === "HEAD" ? { text: "", truncated: false } : await readBody(res, spec.maxBodyBytes, deadline);
      return { status: res.status, headers: res.headers, body: read.text, truncated: read.truncated, hops };
    }
    res.body?.cancel().catch(() => {});
    const next = new URL(location, url);
    const trail = () => [...hops.map((h) => shortUrl(new URL(h), first)), shortUrl(next, first)].join(" → ");
    if (hops.includes(next.href)) throw new HttpFailure(`redirect loop: ${trail()}`, res.status);
    if (hops.length > spec.maxRedirects) throw new HttpFailure(`more than ${spec.maxRedirects} redirects: ${trail()}`, res.status);
    if (next.protocol !== "http:" && next.protocol !== "https:") throw new HttpFailure(`redirected to ${next.protocol} URL, which is not HTTP`, res.status);
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
export function judgeHttp(spec: HttpMonitor, obs: HttpObservation): string | null {
  if (!statusMatches(obs.status, spec.expectedStatus)) return `expected status ${spec.expectedStatus.join(" or ")}, got ${obs.status}`;
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

/** Replaces every revealed secret in `text`: reasons must never carry one. */
export function redact(text: string, secrets: readonly string[]): string {
  return secrets.filter((s) => s.length > 0).reduce((t, s) => t.split(s).join("[redacted]"), text);
}

/** The revealed values of the header secrets (`{ env }`), to keep them out of reasons. */
export function headerSecrets(headers: Readonly<Record<string, string | SecretRef>>, env: ConfigEnv): string[] {
  return Object.values(headers).flatMap((v) => (typeof v === "string" ? [] : [reveal(v, env)]));
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

export async function probeHttp(spec: HttpMonitor, env: ConfigEnv): Promise<ProbeResult> {
  const started = Date.now();
  const checkedAt = new Date(started).toISOString();
  const deadline = new Deadline(spec.timeout);
  const secrets = headerSecrets(spec.headers, env);
  const down = failure(started, secrets);
  const hops: string[] = [];
  try {
    const obs = await observeHttp(spec, env, deadline, hops);
    const latencyMs = Date.now() - started;
    const failed = judgeHttp(spec, obs);
    if (failed) return down(failed, obs.status);
    return { status: "up", latencyMs, checkedAt, statusCode: obs.status };
  } catch (err) {
    if (err instanceof TimeoutError) return down(err.message);
    if (err instanceof HttpFailure) return down(err.message, err.statusCode);
    if (deadline.signal.aborted) return down(new TimeoutError(spec.timeout, deadline.phase).message);
    const where = deadline.phase === "while reading the body" ? "while reading the body" : "before any response";
    if (where === "before any response") {
      const explained = await explainTlsFailure(new URL(hops.at(-1) ?? spec.url), Math.min(deadline.remaining, 5_000));
      if (explained) return down(explained);
    }
    return down(`request to ${new URL(hops.at(-1) ?? spec.url).host} failed ${where}: ${(err as Error).message}`);
  } finally {
    deadline.clear();
  }
}
