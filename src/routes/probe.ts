/**
 * `POST /v1/probe` (admin): "test before you save". Takes one monitor spec as it would appear
 * in the config, runs it now, and answers the probe result. An invalid spec is a 400 listing
 * every problem by path (`url: Invalid url`, `json[0].value: …`).
 */
import { Hono } from "hono";
import { monitorSpec, type ConfigEnv, type MonitorSpec } from "../config";
import type { Env } from "../env";
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

export function probeRoutes() {
  const routes = new Hono<{ Bindings: Env }>();
  routes.post("/probe", async (c) => {
    const text = await c.req.text();
    if (new TextEncoder().encode(text).byteLength > MAX_SPEC_BYTES) return jsonError(c, 413, "too_large", `a monitor spec is at most ${MAX_SPEC_BYTES} bytes`);
    const spec = await readJson(c, monitorSpec, { code: "invalid_monitor", what: "monitor spec" });
    if (spec instanceof Response) return spec;
    const missing = missingSecrets(spec, c.env as ConfigEnv);
    if (missing.length > 0) return jsonError(c, 400, "invalid_monitor", "the monitor spec names secrets that are not set", missing);
    return c.json(await runProbe(spec, c.env as ConfigEnv));
  });
  return routes;
}
