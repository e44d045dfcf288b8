/**
 * `POST /v1/probe` (admin): "test before you save". Takes one monitor spec as it would appear
 * in the config, runs it now, and answers the probe result. An invalid spec is a 400 listing
 * every problem by path (`url: Invalid url`, `json[0].value: …`).
 */
import { Hono } from "hono";
import { monitorSpec, type ConfigEnv, type MonitorSpec } from "../config";
import type { Env } from "../env";
import { LIMITS } from "../limits";
import { runProbe } from "../probes";
import { jsonError, readJson } from "./errors";

/** A spec is small; anything bigger is a mistake. */
const MAX_SPEC_BYTES = 64 * 1024;

/** Header secrets (`{ env: "NAME" }`) whose variable is not set, as problem lines. */
export function missingSecrets(spec: MonitorSpec, env: ConfigEnv): string[] {
  if (spec.type !== "http" && spec.type !== "websocket") return [];
  return Object.entries(spec.headers).flatMap(([name, value]) =>
    typeof value === "string" || (typeof env[value.env] === "string" && env[value.env] !== "")
      ? []
      : [`headers.${name}: environment variable ${value.env} is not set`],
  );
}

const seconds = (ms: number) => (ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`);

/** The caller waits for the run: its worst case (every sample timing out) must fit the budget. */
export function tooSlowToWaitFor(spec: Pick<MonitorSpec, "samples" | "timeout">): string[] {
  const worst = spec.samples * spec.timeout;
  if (worst <= LIMITS.probeRequestMs) return [];
  return [
    `timeout: samples × timeout (${spec.samples} × ${seconds(spec.timeout)} = ${seconds(worst)}) must be at most ${seconds(LIMITS.probeRequestMs)} when testing a spec here; lower samples or timeout`,
  ];
}

export function probeRoutes() {
  const routes = new Hono<{ Bindings: Env }>();
  routes.post("/probe", async (c) => {
    const text = await c.req.text();
    if (new TextEncoder().encode(text).byteLength > MAX_SPEC_BYTES) return jsonError(c, 413, "too_large", `a monitor spec is at most ${MAX_SPEC_BYTES} bytes`);
    const spec = await readJson(c, monitorSpec, { code: "invalid_monitor", what: "monitor spec" });
    if (spec instanceof Response) return spec;
    const missing = missingSecrets(spec, c.env as ConfigEnv);
    if (missing.length > 0) return jsonError(c, 400, "invalid_monitor", "the monitor spec names secrets that are not set", missing);
    const slow = tooSlowToWaitFor(spec);
    if (slow.length > 0) return jsonError(c, 400, "invalid_monitor", `invalid monitor spec (${slow.length} problem)`, slow);
    return c.json(await runProbe(spec, c.env as ConfigEnv));
  });
  return routes;
}
