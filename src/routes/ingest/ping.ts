/**
 * Ping URLs for jobs, Healthchecks.io style (GET or POST; HEAD through GET):
 *   /ping/:key            success
 *   /ping/:key/start      a run started (run time is measured from here)
 *   /ping/:key/fail       failure: down at once
 *   /ping/:key/log        keep the body as the log excerpt, change nothing else
 *   /ping/:key/:exitCode  0 = success, 1–255 = failure
 * A POST body's first 10 KiB is kept as the job's last log excerpt.
 *
 * Answers are plain `OK` (cron scripts use `curl -fsS`; only the status code matters to them);
 * refusals are the usual JSON errors. Keys are secrets: they are looked up by their SHA-256, so
 * the lookup's timing does not reveal them, and no answer or log line Vigil writes contains one
 * ({@link redactPingPath}). The platform's own request logs do show URLs, keys included:
 * `wrangler dev`'s request log (which `npm start` masks) and, deployed, Cloudflare's Workers
 * Logs, Logpush and `wrangler tail` (docs/security.md).
 */
import type { Context } from "hono";
import { z } from "zod";
import { toHex } from "../../../lib/encoding";
import { sha256 } from "../../../lib/hmac";
import { reveal, type JobSpec, type VigilConfig } from "../../config";
import type { Env } from "../../env";
import { PING_EXCERPT_BYTES, type Ping } from "../../objects/heartbeat";
import { readAtMost } from "../../body";
import { jsonError } from "../errors";
import { answer, declarer, on, refusal, routes, type App, type InputHook } from "../openapi";
import { authGate, tooManyAttempts } from "../throttle";

/** A path with its ping key masked: `/ping/<key>/start`. Use it wherever a path is shown or logged. */
export function redactPingPath(path: string): string {
  return path.replace(/^\/ping\/[^/]*/, "/ping/<key>");
}

const keyIndexes = new WeakMap<VigilConfig, Promise<Map<string, JobSpec>>>();

const sha256Hex = async (text: string) => toHex(await sha256(text));

function keyIndex(config: VigilConfig, env: Env): Promise<Map<string, JobSpec>> {
  let index = keyIndexes.get(config);
  if (!index) {
    index = Promise.all(config.jobs.map(async (j) => [await sha256Hex(reveal(j.key, env)), j] as const)).then((pairs) => new Map(pairs));
    keyIndexes.set(config, index);
  }
  return index;
}

const lossyUtf8 = new TextDecoder("utf-8");

async function handlePing(c: Context<App>, kind: Ping["kind"], exitCode?: number) {
  const gate = await authGate(c, "ping");
  if (gate.blockedMs > 0) return tooManyAttempts(c, gate.blockedMs);
  const job = (await keyIndex(c.get("config"), c.env)).get(await sha256Hex(c.req.param("key") ?? ""));
  if (!job) {
    await gate.fail();
    return jsonError(c, 404, "unknown_ping_key", "no job has this ping key");
  }
  if (!job.enabled) return jsonError(c, 403, "job_disabled", `job "${job.id}" is disabled in the config; the ping was ignored`);
  const ping: Ping = { kind };
  if (exitCode !== undefined) ping.exitCode = exitCode;
  if (c.req.method === "POST") {
    const body = await readAtMost(c.req.raw, PING_EXCERPT_BYTES, undefined, "drain");
    ping.excerpt = lossyUtf8.decode(body.bytes);
    ping.truncated = body.overflow;
  }
  await c.env.HEARTBEAT.getByName(job.id).ping(job.id, ping);
  return c.text("OK", 200);
}

const route = declarer("ping-key", "ingest");
const keyParam = z.object({ key: z.string().describe("The job's ping key (a secret)") });
const exitCode = z
  .string()
  .regex(/^\d{1,3}$/)
  .refine((text) => Number(text) <= 255)
  .describe("Exit code 0–255: 0 is success, anything else failure");

/** One ping URL, for GET and for POST (whose body's first 10 KiB is kept as the job's log excerpt). */
function pingRoutePair<const P extends string, const Params extends z.ZodObject>(path: P, summary: string, params: Params) {
  const responses = {
    200: answer("OK", "text/plain"),
    400: refusal("Invalid exit code"),
    403: refusal("Job disabled"),
    404: refusal("Unknown ping key"),
  };
  const body = { content: { "text/plain": { schema: z.string().describe("First 10 KiB kept as the job's log excerpt") } } };
  return [
    route({ method: "get", path, summary, request: { params }, responses }),
    route({ method: "post", path, summary, request: { params, body }, responses }),
  ] as const;
}

export const pingSuccess = pingRoutePair("/ping/{key}", "Job succeeded", keyParam);
export const pingStart = pingRoutePair("/ping/{key}/start", "Job started", keyParam);
export const pingFail = pingRoutePair("/ping/{key}/fail", "Job failed", keyParam);
export const pingLog = pingRoutePair("/ping/{key}/log", "Keep a log excerpt, change nothing else", keyParam);
export const pingExitCode = pingRoutePair("/ping/{key}/{code}", "Job finished with an exit code", keyParam.extend({ code: exitCode }));

/** A path segment that is no exit code (nor start, fail, log). */
const notACode: InputHook = (result, c) =>
  result.success
    ? undefined
    : jsonError(c, 400, "invalid_ping", `expected /ping/<key>/start, /fail, /log or an exit code 0–255, got "${c.req.param("code")}"`);

// Hono answers HEAD with the GET route.
export function pingRoutes() {
  const app = routes();
  for (const r of pingSuccess) on(app, r, (c) => handlePing(c, "success"));
  for (const r of pingStart) on(app, r, (c) => handlePing(c, "start"));
  for (const r of pingFail) on(app, r, (c) => handlePing(c, "fail"));
  for (const r of pingLog) on(app, r, (c) => handlePing(c, "log"));
  for (const r of pingExitCode) {
    on(
      app,
      r,
      (c) => {
        const code = Number(c.req.valid("param").code);
        return handlePing(c, code === 0 ? "success" : "fail", code);
      },
      notACode,
    );
  }
  return app;
}
