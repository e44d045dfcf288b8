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
import { Hono, type Context } from "hono";
import { reveal, type JobSpec, type VigilConfig } from "../../config";
import type { Env } from "../../env";
import { jobCheckId, PING_EXCERPT_BYTES, type Ping } from "../../objects/heartbeat";
import { loadStates } from "../../store/check-state";
import { readAtMost } from "../../body";
import { jsonError } from "../errors";
import { authGate, tooManyAttempts } from "../throttle";

type App = { Bindings: Env; Variables: { config: VigilConfig } };

/** A path with its ping key masked: `/ping/<key>/start`. Use it wherever a path is shown or logged. */
export function redactPingPath(path: string): string {
  return path.replace(/^\/ping\/[^/]*/, "/ping/<key>");
}

const keyIndexes = new WeakMap<VigilConfig, Promise<Map<string, JobSpec>>>();

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

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

export function pingRoutes() {
  const app = new Hono<App>();
  const methods = ["GET", "POST"]; // Hono answers HEAD with the GET route
  app.on(methods, "/ping/:key", (c) => handlePing(c, "success"));
  app.on(methods, "/ping/:key/start", (c) => handlePing(c, "start"));
  app.on(methods, "/ping/:key/fail", (c) => handlePing(c, "fail"));
  app.on(methods, "/ping/:key/log", (c) => handlePing(c, "log"));
  app.on(methods, "/ping/:key/:code", (c) => {
    const text = c.req.param("code");
    const code = /^\d{1,3}$/.test(text) ? Number(text) : NaN;
    if (!(code >= 0 && code <= 255)) {
      return jsonError(c, 400, "invalid_ping", `expected /ping/<key>/start, /fail, /log or an exit code 0–255, got "${text}"`);
    }
    return handlePing(c, code === 0 ? "success" : "fail", code);
  });
  return app;
}

/** Admin views (behind the admin bearer token): `/jobs`, `/jobs/:id`. */
export function jobAdminRoutes() {
  const app = new Hono<App>();
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

  app.get("/jobs", async (c) => {
    const config = c.get("config");
    const states = await loadStates(c.env.DB, config.jobs.map((j) => jobCheckId(j.id)));
    return c.json({
      jobs: config.jobs.map((j) => {
        const s = states.get(jobCheckId(j.id));
        return {
          id: j.id,
          service: j.service,
          enabled: j.enabled,
          schedule: j.cron !== undefined ? { cron: j.cron, timezone: j.timezone ?? config.timezone } : { periodSeconds: j.period! / 1000 },
          graceSeconds: j.grace / 1000,
          state: s ? { status: s.status, since: iso(s.since), reason: s.reason } : { status: "new", since: null, reason: null },
        };
      }),
    });
  });

  app.get("/jobs/:id", async (c) => {
    const job = c.get("config").jobs.find((j) => j.id === c.req.param("id"));
    if (!job) return jsonError(c, 404, "not_found", `no job "${c.req.param("id")}" in the config`);
    const v = await c.env.HEARTBEAT.getByName(job.id).describe();
    return c.json({
      job: {
        id: job.id,
        service: job.service,
        status: v.status,
        lastPingAt: iso(v.lastPingAt),
        lastPingKind: v.lastPingKind,
        lastExitCode: v.lastExitCode,
        runningSince: iso(v.runningSince),
        lastDurationMs: v.lastDurationMs,
        lastExcerpt: v.lastExcerpt,
        excerptTruncated: v.excerptTruncated,
        expectedAt: iso(v.expectedAt),
        lateAt: iso(v.lateAt),
        downReason: v.downReason,
        markedDownAt: iso(v.markedDownAt),
        history: v.history.map((h) => ({ ...h, at: iso(h.at) })),
      },
    });
  });

  return app;
}
