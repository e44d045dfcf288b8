/**
 * API probe: ordered HTTP steps, each with the `http` monitor's request and assertions, values
 * read from one response feeding the next request, and timed uploads and downloads. Every
 * request goes through `observeHttp` and is judged by `judgeHttp` (./http.ts), so a step sees
 * what an `http` monitor sees and fails in the same words, prefixed with the step.
 */
import { z } from "zod";
import type { ProbeResult, ProbeStatus, ProbeTrace, StepInfo, TransferInfo } from "../contract/probe";
import type { CappedBody, Waiter } from "../body";
import { httpUrl, redact, reveal, secretRef, type ConfigEnv, type SecretRef } from "../config/common";
import { duration } from "../config/duration";
import { headers, monitorBase, regexSource, timing } from "../config/monitors";
import { assertionProblem, compileRegex, lookup, parsePath, render } from "./assertions";
import { ConnectWatch } from "./connect-failure";
import { Deadline, formatMs } from "./deadline";
import {
  bodyNeedsMethod,
  explainHttpFailure,
  formatBytes,
  httpExchange,
  judgeHttp,
  observeHttp,
  statusMatches,
  WAITING_FOR_HEADERS,
  type HttpObservation,
} from "./http";
import { probeKind } from "./kind";
import { probeTrace, traceparent } from "./trace";

/**
 * The most a step uploads or downloads: 32 MiB. The body is streamed, never held, but every
 * chunk costs the invocation CPU time, which the batch's other probes share; and at the
 * runbook's 1 MB/s, 32 MiB already takes longer than the longest `timeout` (60 s).
 */
export const MAX_TRANSFER_BYTES = 32 * 1024 * 1024;
/** Bytes per generated chunk of an upload (the largest `crypto.getRandomValues` fills). */
const CHUNK = 65_536;
const MiB = 1024 * 1024;

const VARIABLE = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
/** `{{name}}` in a URL, header or body; spaces inside the braces are allowed. */
const REFERENCE = /\{\{(.*?)\}\}/g;
const variableName = z.string().regex(VARIABLE, "a variable name is a letter or _, then letters, digits or _ (at most 64)");

const jsonPath = z
  .string()
  .min(1)
  .superRefine((path, ctx) => {
    const problem = assertionProblem(() => parsePath(path));
    if (problem) ctx.addIssue({ code: "custom", message: problem.message });
  });

/** Where an extracted value comes from: exactly one of `json`, `header`, `regex`. */
const extractor = z
  .strictObject({
    /** A JSON path into the body: `$.project_id`. A string, number or boolean. */
    json: jsonPath.optional(),
    /** A response header, case-insensitive. */
    header: z
      .string()
      .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, "expected a header name")
      .optional(),
    /** A regular expression on the body: its first capture group, else the whole match. */
    regex: regexSource.optional(),
    /** The value is a credential (a session token): it never appears in a reason. */
    secret: z.boolean().default(false),
  })
  .superRefine((x, ctx) => {
    const given = (["json", "header", "regex"] as const).filter((k) => x[k] !== undefined);
    if (given.length !== 1)
      ctx.addIssue({
        code: "custom",
        message: `give exactly one of json, header or regex${given.length > 1 ? `, not ${given.join(" and ")}` : ""}`,
      });
  });

const apiStep = z.strictObject({
  /** Names the step in reasons: `step 2 "file owner" (GET /files/42): expected status 200, got 403`. */
  name: z.string().min(1).max(80),
  /** The path after `baseUrl`, starting with `/`; `{{name}}` inserts a variable, URL-encoded: `/files/{{fileId}}`. */
  url: z.string().startsWith("/", "must be a path under baseUrl, starting with /").max(2048),
  ...httpExchange,
  /** Request headers, after the monitor's `headers`; a value may use `{{name}}` or name a secret (`{ env: "API_TOKEN" }`). */
  headers,
  /** Request body (POST, PUT, PATCH); `{{name}}` inserts a variable as it is. */
  body: z.string().max(65_536).optional(),
  /** What an unexpected status means, added to the reason: `{ 403: "no read permission" }`. */
  statusNotes: z.record(z.string().regex(/^[1-5]\d\d$/, "expected a status code such as 403"), z.string().min(1).max(200)).default({}),
  /**
   * Values read from this step's response for later steps, by name, each from one of `json` (a
   * JSON path to a string, number or boolean: `{ projectId: { json: "$.project_id" } }`), `header`
   * (`{ etag: { header: "etag" } }`) or `regex` (its first group, else the match: `{ csrf: { regex:
   * "csrf=(\\w+)" } }`); `secret` true marks a credential, kept out of reasons. A value that
   * cannot be read fails the step.
   */
  extract: z.record(variableName, extractor).default({}),
  /** Hard limit for this step. Default and at most: what is left of the monitor's `timeout`, which bounds the whole run. */
  timeout: duration({ min: "100ms", max: "60s" }).optional(),
  /** The step taking longer than this many ms (request to the end of the body) makes the check degraded. */
  degradedMs: z.number().int().min(1).max(59_999).optional(),
  /** The step taking longer than this many ms makes the check down. */
  downMs: z.number().int().min(1).max(59_999).optional(),
  /**
   * Send a generated body (random bytes, streamed) and time it from the request to the answer,
   * which the server sends once it has received it all: `{ bytes: 5 * 1024 * 1024, field: "file" }`.
   * At most 32 MiB: streaming keeps memory flat, but each chunk costs the invocation CPU time, and
   * at the runbook's 1 MB/s 32 MiB outlasts the longest timeout. A target behind Cloudflare also
   * refuses request bodies over its plan's limit (100 MB on Free and Pro).
   */
  upload: z
    .strictObject({
      /** Size of the generated file, 1 byte to 32 MiB. */
      bytes: z.number().int().min(1).max(MAX_TRANSFER_BYTES),
      /** Send it as `multipart/form-data` in this form field (`file`, as the runbook's upload does); absent: the raw bytes. */
      field: z
        .string()
        .min(1)
        .max(100)
        .regex(/^[^"\r\n]+$/, "no quotes or line breaks")
        .optional(),
      /** The file name in the multipart part. Default `vigil-probe.bin`. */
      filename: z
        .string()
        .min(1)
        .max(100)
        .regex(/^[^"\r\n]+$/, "no quotes or line breaks")
        .default("vigil-probe.bin"),
    })
    .optional(),
  /**
   * Read the whole response body, at most 32 MiB (the rest is not downloaded), and time it from
   * the headers to its end. Only the first `maxBodyBytes` are kept for the body assertions.
   */
  download: z.boolean().default(false),
  /** An upload or download slower than this many MB/s (MB = 1,048,576 bytes) makes the check degraded: the runbook's `1`. */
  minMBps: z.number().positive().max(100_000).optional(),
});
type ApiStep = z.infer<typeof apiStep>;

/** Ordered HTTP steps against one API: values read from a response feed later requests; uploads and downloads are timed. */
export const apiMonitor = z
  .strictObject({
    ...monitorBase,
    type: z.literal("api"),
    /**
     * Every step's `url` is a path under this URL: `https://nucleus.example.com/api/v1`. It is the
     * host `POST /v1/probe` checks, and the origin the monitor's secrets are sent to.
     */
    baseUrl: httpUrl,
    /** Values steps use as `{{name}}`: text, or a secret (`{ env: "API_TOKEN" }`), which never appears in a reason. */
    variables: z.record(variableName, z.union([z.string().max(2048), secretRef])).default({}),
    /** Headers every step sends (a step's own win); a value may use `{{name}}` or name a secret: `authorization: "Bearer {{token}}"`. */
    headers,
    /** Every step's requests carry the run's `traceparent` (one trace per run). */
    traceparent,
    /** The steps, in order (1 to 10); the first one down ends the run. The whole run is bounded by `timeout`. */
    steps: z.array(apiStep).min(1).max(10),
  })
  .superRefine(checkSteps)
  .transform(timing);
export type ApiMonitor = z.infer<typeof apiMonitor>;

/** Names `{{…}}` references in `text`; a malformed one is an issue at `path`. */
function references(text: string, path: (string | number)[], ctx: z.RefinementCtx): string[] {
  const names: string[] = [];
  for (const m of text.matchAll(REFERENCE)) {
    const name = m[1]!.trim();
    if (VARIABLE.test(name)) names.push(name);
    else ctx.addIssue({ code: "custom", path, message: `"${m[0]}" is not a variable: a name is a letter or _, then letters, digits or _` });
  }
  return names;
}

/** Each step uses only variables defined before it; the fields of a step agree with each other. */
function checkSteps(
  m: { variables: Record<string, unknown>; headers: Record<string, unknown>; steps: ApiStep[] },
  ctx: z.RefinementCtx,
): void {
  const defined = new Map<string, string>(Object.keys(m.variables).map((k) => [k, "variables"]));
  const later = (name: string, after: number) => {
    const j = m.steps.findIndex((s, k) => k >= after && name in s.extract);
    return j >= 0 ? ` (step ${j + 1} extracts it, later)` : "";
  };
  const use = (text: unknown, path: (string | number)[], step: number) => {
    if (typeof text !== "string") return;
    for (const name of references(text, path, ctx)) {
      if (!defined.has(name))
        ctx.addIssue({
          code: "custom",
          path,
          message: `uses {{${name}}}, which neither variables nor an earlier step's extract defines${later(name, step)}`,
        });
    }
  };
  for (const [k, v] of Object.entries(m.headers)) use(v, ["headers", k], 0);
  m.steps.forEach((s, i) => {
    const at = (...p: (string | number)[]) => ["steps", i, ...p];
    use(s.url, at("url"), i);
    use(s.body, at("body"), i);
    for (const [k, v] of Object.entries(s.headers)) use(v, at("headers", k), i);
    bodyNeedsMethod(s, ctx, at());
    if (s.upload) {
      if (s.body !== undefined)
        ctx.addIssue({ code: "custom", path: at("upload"), message: "a step sends either a body or an upload, not both" });
      if (s.download) ctx.addIssue({ code: "custom", path: at("download"), message: "a step either uploads or downloads, not both" });
      if (s.method === "GET" || s.method === "HEAD")
        ctx.addIssue({ code: "custom", path: at("method"), message: `an upload cannot be sent with ${s.method}; use POST, PUT or PATCH` });
    }
    if (s.download && s.method === "HEAD")
      ctx.addIssue({ code: "custom", path: at("download"), message: "a HEAD response has no body to download" });
    if (s.minMBps !== undefined && !s.upload && !s.download)
      ctx.addIssue({ code: "custom", path: at("minMBps"), message: "needs an upload or download in the same step" });
    if (s.degradedMs !== undefined && s.downMs !== undefined && s.degradedMs >= s.downMs)
      ctx.addIssue({ code: "custom", path: at("degradedMs"), message: `must be below downMs (${s.downMs}), got ${s.degradedMs}` });
    for (const name of Object.keys(s.extract)) {
      const before = defined.get(name);
      if (before) ctx.addIssue({ code: "custom", path: at("extract", name), message: `${name} is already defined by ${before}` });
      else defined.set(name, `step ${i + 1}`);
    }
  });
}

/** The run's variables and the revealed secrets that must stay out of reasons. */
class Scope {
  readonly values = new Map<string, string>();
  private readonly secretNames = new Set<string>();
  private readonly hidden: string[] = [];

  /** The values to redact, longest first: a secret holding another is redacted whole. */
  get secrets(): string[] {
    return [...this.hidden].sort((a, b) => b.length - a.length);
  }

  /** A value holding a secret's text (a token echoed back, `Bearer <token>`) is a secret itself. */
  set(name: string, value: string, secret: boolean): void {
    this.values.set(name, value);
    if (secret || this.hidden.some((s) => s !== "" && value.includes(s))) {
      this.secretNames.add(name);
      this.hide(value);
    }
  }

  /** Keeps `value` (and its URL-encoded form) out of every reason. */
  hide(value: string): void {
    this.hidden.push(value, encodeURIComponent(value));
  }

  /** `text` with its `{{name}}` filled in (URL-encoded for a URL), and whether a secret went in. */
  fill(text: string, encode = false): { text: string; secret: boolean } {
    let secret = false;
    const filled = text.replace(REFERENCE, (_, raw: string) => {
      const name = raw.trim();
      if (this.secretNames.has(name)) secret = true;
      const value = this.values.get(name) ?? "";
      return encode ? encodeURIComponent(value) : value;
    });
    return { text: filled, secret };
  }
}

/** workerd's stream of a declared length: a body piped through it is sent with a content-length, not chunked. */
type LengthStream = new (length: number) => TransformStream<Uint8Array, Uint8Array>;
const FixedLength = (globalThis as { FixedLengthStream?: LengthStream }).FixedLengthStream;

/**
 * A streamed body of `size` random bytes between `head` and `tail`, made afresh for each request
 * (a redirect sends it again). Under workerd it declares its length; elsewhere it goes chunked.
 */
function generated(head: Uint8Array, size: number, tail: Uint8Array): () => ReadableStream<Uint8Array> {
  const random = crypto.getRandomValues(new Uint8Array(Math.min(CHUNK, size)));
  const total = head.byteLength + size + tail.byteLength;
  return () => {
    let sent = 0;
    let stage = 0;
    const source = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (stage === 0) {
          stage = 1;
          if (head.byteLength > 0) return controller.enqueue(head.slice());
        }
        if (stage === 1 && sent < size) {
          const n = Math.min(CHUNK, size - sent);
          sent += n;
          return controller.enqueue(random.slice(0, n));
        }
        if (stage === 1) {
          stage = 2;
          if (tail.byteLength > 0) return controller.enqueue(tail.slice());
        }
        controller.close();
      },
    });
    if (!FixedLength) return source;
    const fixed = new FixedLength(total);
    // Ends when the request does; an aborted request errors the pipe, which nobody waits on.
    source.pipeTo(fixed.writable).catch(() => undefined);
    return fixed.readable;
  };
}

/** The upload's body and its `content-type`. */
function uploadBody(upload: NonNullable<ApiStep["upload"]>): { body: () => BodyInit; headers: Record<string, string> } {
  const encoder = new TextEncoder();
  if (upload.field === undefined) {
    return {
      body: generated(new Uint8Array(0), upload.bytes, new Uint8Array(0)),
      headers: { "content-type": "application/octet-stream" },
    };
  }
  const boundary = `vigil-${[...crypto.getRandomValues(new Uint8Array(12))].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
  const head = encoder.encode(
    `--${boundary}\r\ncontent-disposition: form-data; name="${upload.field}"; filename="${upload.filename}"\r\ncontent-type: application/octet-stream\r\n\r\n`,
  );
  const tail = encoder.encode(`\r\n--${boundary}--\r\n`);
  return {
    body: generated(head, upload.bytes, tail),
    headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
  };
}

/** A body reader for `observeHttp` that reads to the end (at most `MAX_TRANSFER_BYTES`), keeping the first `limit` bytes. */
function timedDownload(into: { bytes: number; ms: number }) {
  return async (res: Response, limit: number, wait: Waiter): Promise<CappedBody> => {
    const started = Date.now();
    const kept = new Uint8Array(limit);
    let size = 0;
    let ended = false;
    const reader = res.body?.getReader();
    try {
      while (reader && size < MAX_TRANSFER_BYTES) {
        const { done, value } = await wait(reader.read());
        if (done) {
          ended = true;
          break;
        }
        if (size < limit) kept.set(value.subarray(0, limit - size), size);
        size += value.byteLength;
      }
      ended ||= !reader;
    } finally {
      if (!ended) reader?.cancel().catch(() => undefined);
    }
    into.bytes = Math.min(size, MAX_TRANSFER_BYTES);
    into.ms = Date.now() - started;
    return { bytes: kept.slice(0, Math.min(size, limit)), overflow: size > limit };
  };
}

function transfer(direction: TransferInfo["direction"], bytes: number, ms: number): TransferInfo {
  const seconds = Math.max(1, ms) / 1000;
  return { direction, bytes, ms, MBps: Math.round((bytes / MiB / seconds) * 100) / 100 };
}

/** A value read from the response, or the reason it could not be. */
function extract(x: ApiStep["extract"][string], obs: HttpObservation, doc: () => unknown): { value: string } | { problem: string } {
  if (x.header !== undefined) {
    const value = obs.headers.get(x.header);
    return value === null ? { problem: `header ${x.header.toLowerCase()} is missing` } : { value };
  }
  if (x.regex !== undefined) {
    const m = compileRegex(x.regex).exec(obs.body);
    return m ? { value: m[1] ?? m[0] } : { problem: `body does not match /${x.regex}/` };
  }
  const parsed = doc();
  if (parsed === undefined) return { problem: "body is not JSON" };
  const found = lookup(parsed, parsePath(x.json!));
  if (!found.found) return { problem: `${x.json} is missing` };
  const v = found.value;
  if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") return { value: String(v) };
  return { problem: `${x.json} is ${render(v)}, not a string, number or boolean` };
}

interface StepOutcome {
  info: StepInfo;
  /** Why the step is down or degraded (without the step's label). */
  problem?: string;
}

async function runStep(
  spec: ApiMonitor,
  step: ApiStep,
  scope: Scope,
  env: ConfigEnv,
  runEnds: number,
  trace: ProbeTrace | undefined,
): Promise<StepOutcome> {
  const path = scope.fill(step.url, true).text;
  const url = spec.baseUrl.replace(/\/+$/, "") + path;
  const request = `${step.method} ${path}`;
  // Headers that carry a secret variable are passed as secrets, so a redirect to another origin drops them.
  const stepEnv: ConfigEnv = { ...env };
  const sent: Record<string, string | SecretRef> = {};
  const upload = step.upload ? uploadBody(step.upload) : null;
  for (const [k, v] of Object.entries({ ...spec.headers, ...step.headers, ...upload?.headers })) {
    if (typeof v !== "string") {
      sent[k] = v;
      continue;
    }
    const filled = scope.fill(v);
    if (!filled.secret) sent[k] = filled.text;
    else {
      const name = `\u0000api:${k}`;
      stepEnv[name] = filled.text;
      sent[k] = { env: name };
    }
  }
  const body = upload ? upload.body : step.body === undefined ? undefined : scope.fill(step.body).text;
  const downloaded = { bytes: 0, ms: 0 };

  const started = Date.now();
  const left = runEnds - started;
  const own = step.timeout ?? spec.timeout;
  const info = (fields: Partial<StepInfo> & { status: ProbeStatus }): StepInfo => ({
    name: step.name,
    request: redact(request, scope.secrets),
    latencyMs: Date.now() - started,
    ...fields,
  });
  if (left <= 0) return { info: info({ status: "down" }), problem: `not started: the run's ${formatMs(spec.timeout)} timeout had passed` };
  const deadline = new Deadline(Math.min(own, left));
  const hops: string[] = [];
  const current = () => new URL(hops.at(-1) ?? url);
  const watch = new ConnectWatch(deadline, () => (deadline.phase === WAITING_FOR_HEADERS ? current() : null));
  let obs: HttpObservation;
  try {
    obs = await observeHttp(
      { ...step, url, headers: sent, body, ...(step.download && { readBody: timedDownload(downloaded) }) },
      stepEnv,
      deadline,
      hops,
      trace,
    );
  } catch (err) {
    const failed = await explainHttpFailure(err, deadline, watch, current());
    const whose = left < own && deadline.signal.aborted ? ` (the run's ${formatMs(spec.timeout)} timeout)` : "";
    return {
      info: info({ status: "down", ...(failed.statusCode !== undefined && { statusCode: failed.statusCode }) }),
      problem: failed.reason + whose,
    };
  } finally {
    watch.stop();
    deadline.clear();
  }
  const firstByteMs = obs.headersAt - started;
  const latencyMs = Date.now() - started;
  const answered = { statusCode: obs.status, firstByteMs, latencyMs };
  const failed = judgeHttp({ ...step, url }, obs);
  if (failed) {
    const note = statusMatches(obs.status, step.expectedStatus) ? undefined : step.statusNotes[String(obs.status)];
    return { info: info({ status: "down", ...answered }), problem: note ? `${failed}: ${note}` : failed };
  }
  let parsed: { doc: unknown } | null = null;
  const doc = () => {
    if (!parsed) {
      try {
        parsed = { doc: JSON.parse(obs.body) };
      } catch {
        parsed = { doc: undefined };
      }
    }
    return parsed.doc;
  };
  for (const [name, x] of Object.entries(step.extract)) {
    const got = extract(x, obs, doc);
    if ("problem" in got) return { info: info({ status: "down", ...answered }), problem: `cannot extract ${name}: ${got.problem}` };
    scope.set(name, got.value, x.secret);
  }
  const rate = upload
    ? transfer("upload", step.upload!.bytes, firstByteMs)
    : step.download
      ? transfer("download", downloaded.bytes, downloaded.ms)
      : undefined;
  const measured = { ...answered, ...(rate && { throughput: rate }) };
  const took = `took ${formatMs(latencyMs)}`;
  if (step.downMs !== undefined && latencyMs > step.downMs)
    return { info: info({ status: "down", ...measured }), problem: `${took}, over the step's ${formatMs(step.downMs)} limit (downMs)` };
  const slow: string[] = [];
  if (step.degradedMs !== undefined && latencyMs > step.degradedMs)
    slow.push(`${took}, over the step's ${formatMs(step.degradedMs)} degraded threshold (degradedMs)`);
  if (rate && step.minMBps !== undefined && rate.MBps < step.minMBps)
    slow.push(
      `${rate.direction} at ${rate.MBps} MB/s (${formatBytes(rate.bytes)} in ${formatMs(rate.ms)}), under the ${step.minMBps} MB/s minimum (minMBps)`,
    );
  if (slow.length > 0) return { info: info({ status: "degraded", ...measured }), problem: slow.join(", ") };
  return { info: info({ status: "up", ...measured }) };
}

export async function probeApi(spec: ApiMonitor, env: ConfigEnv): Promise<ProbeResult> {
  const started = Date.now();
  const checkedAt = new Date(started).toISOString();
  const scope = new Scope();
  const trace = probeTrace(spec);
  for (const [k, v] of Object.entries(spec.variables)) scope.set(k, reveal(v, env), typeof v !== "string");
  for (const h of [spec.headers, ...spec.steps.map((s) => s.headers)])
    for (const v of Object.values(h)) if (typeof v !== "string") scope.hide(reveal(v, env));

  const steps: StepInfo[] = [];
  const degraded: string[] = [];
  for (const [i, step] of spec.steps.entries()) {
    const label = `step ${i + 1} "${step.name}" (${step.method} ${scope.fill(step.url, true).text})`;
    const { info, problem } = await runStep(spec, step, scope, env, started + spec.timeout, trace);
    steps.push(info);
    const reason = problem === undefined ? undefined : redact(`${label}: ${problem}`, scope.secrets);
    if (info.status === "down") {
      return {
        status: "down",
        latencyMs: Date.now() - started,
        reason: reason!,
        checkedAt,
        ...(info.statusCode !== undefined && { statusCode: info.statusCode }),
        ...summary(steps),
        ...(trace && { trace }),
      };
    }
    if (reason !== undefined) degraded.push(reason);
  }
  return {
    status: degraded.length > 0 ? "degraded" : "up",
    latencyMs: Date.now() - started,
    ...(degraded.length > 0 && { reason: degraded.join("; ") }),
    checkedAt,
    ...summary(steps),
    ...(trace && { trace }),
  };
}

/** The steps and the slowest transfer, for the result. */
function summary(steps: StepInfo[]): Pick<ProbeResult, "steps" | "throughput"> {
  const rates = steps.flatMap((s) => (s.throughput ? [s.throughput] : []));
  const slowest = rates.reduce<TransferInfo | undefined>((a, b) => (a === undefined || b.MBps < a.MBps ? b : a), undefined);
  return { steps, ...(slowest && { throughput: slowest }) };
}

/** The `api` kind: CONTRIBUTING.md, "Adding a kind". */
export const api = probeKind({
  type: "api",
  schema: apiMonitor,
  run: probeApi,
  target: (spec) => ({ path: "baseUrl", url: spec.baseUrl }),
});
