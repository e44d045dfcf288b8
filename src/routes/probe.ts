/**
 * `POST /v1/probe` (admin): "test before you save". Takes one monitor spec as it would appear
 * in the config, runs it now, and answers the probe result. An invalid spec is a 400 listing
 * every problem by path (`url: Invalid url`, `json[0].value: …`).
 *
 * It reaches no further than the config already does: a header secret (`{ env: "NAME" }`)
 * only if the configured monitor of the same id sends it, and a private, loopback or
 * link-local address only if a configured monitor targets that host. (A DNS name is judged
 * by its text: one that resolves to a private address is not caught here.)
 */
import { Hono } from "hono";
import { formatPath, monitorSpec, visitSecrets, type ConfigEnv, type MonitorSpec, type VigilConfig } from "../config";
import type { Env } from "../env";
import { LIMITS } from "../limits";
import { runProbe } from "../probes";
import { probes } from "../probes/kinds";
import { jsonError, readJson } from "./errors";

/** A spec is small; anything bigger is a mistake. */
const MAX_SPEC_BYTES = 64 * 1024;

/** Secrets (`{ env: "NAME" }`) anywhere in the spec, whatever its kind, with their paths (`headers.authorization`). */
function secretsOf(spec: MonitorSpec): { path: string; env: string }[] {
  const out: { path: string; env: string }[] = [];
  visitSecrets(spec, (ref, path) => out.push({ path: formatPath(path), env: ref.env }));
  return out;
}

/** Secrets whose variable is not set, as problem lines. */
export function missingSecrets(spec: MonitorSpec, env: ConfigEnv): string[] {
  return secretsOf(spec).flatMap(({ path, env: name }) => (typeof env[name] === "string" && env[name] !== "" ? [] : [`${path}: environment variable ${name} is not set`]));
}

/** Secrets the spec names that its configured monitor does not send, as problem lines. */
export function unconfiguredSecrets(spec: MonitorSpec, config: VigilConfig): string[] {
  const m = config.monitors.find((x) => x.id === spec.id);
  const allowed = new Set(m ? secretsOf(m).map((s) => s.env) : []);
  return secretsOf(spec).flatMap(({ path, env: name }) =>
    allowed.has(name)
      ? []
      : [`${path}: the config's monitor "${spec.id}" sends no secret ${name}; a spec tested here may send only the secrets its configured monitor already sends`],
  );
}

/** The host a spec connects to, canonical as a URL has it (`127.0.0.1`, `[::1]`), with the field that names it. */
function target(spec: MonitorSpec): { path: string; host: string } | null {
  const hostOf = (url: string) => {
    try {
      return new URL(url).hostname.toLowerCase();
    } catch {
      return null;
    }
  };
  const bare = (host: string) => hostOf(`http://${host.includes(":") && !host.startsWith("[") ? `[${host}]` : host}/`);
  const t = probes.target(spec);
  const found = { path: t.path, host: "url" in t ? hostOf(t.url) : bare(t.host) };
  return found.host === null ? null : { path: found.path, host: found.host };
}

const v4 = (host: string): number[] | null => {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  return m ? m.slice(1).map(Number) : null;
};

function privateV4([a, b]: number[]): boolean {
  return a === 0 || a === 10 || a === 127 || (a === 169 && b === 254) || (a === 172 && b! >= 16 && b! <= 31) || (a === 192 && b === 168) || (a === 100 && b! >= 64 && b! <= 127);
}

/**
 * A host that is loopback, private (RFC 1918, RFC 4193), link-local, carrier-grade NAT,
 * unspecified or `localhost`, given canonical as a URL parser leaves it (`[::1]`, `127.0.0.1`).
 */
export function isPrivateHost(host: string): boolean {
  const h = host.toLowerCase();
  if (h === "localhost" || h.endsWith(".localhost")) return true;
  const four = v4(h);
  if (four) return privateV4(four);
  if (!h.startsWith("[")) return false;
  const six = h.slice(1, -1);
  if (six === "::" || six === "::1") return true;
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(six);
  if (mapped) {
    const hi = parseInt(mapped[1]!, 16);
    return privateV4([hi >> 8, hi & 0xff]);
  }
  const first = parseInt(six.split(":")[0] || "0", 16);
  return (first & 0xfe00) === 0xfc00 || (first & 0xffc0) === 0xfe80;
}

/** A private target that no configured monitor targets, as a problem line. */
export function unconfiguredPrivateTarget(spec: MonitorSpec, config: VigilConfig): string[] {
  const t = target(spec);
  if (!t || !isPrivateHost(t.host)) return [];
  const configured = config.monitors.some((m) => target(m)?.host === t.host);
  if (configured) return [];
  return [`${t.path}: ${t.host} is a private, loopback or link-local address; a spec tested here may reach one only when a configured monitor targets the same host`];
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
  const routes = new Hono<{ Bindings: Env; Variables: { config: VigilConfig } }>();
  routes.post("/probe", async (c) => {
    const text = await c.req.text();
    if (new TextEncoder().encode(text).byteLength > MAX_SPEC_BYTES) return jsonError(c, 413, "too_large", `a monitor spec is at most ${MAX_SPEC_BYTES} bytes`);
    const spec = await readJson(c, monitorSpec, { code: "invalid_monitor", what: "monitor spec" });
    if (spec instanceof Response) return spec;
    const config = c.get("config");
    const beyond = [...unconfiguredSecrets(spec, config), ...unconfiguredPrivateTarget(spec, config)];
    if (beyond.length > 0) return jsonError(c, 400, "invalid_monitor", "the monitor spec reaches further than the config allows", beyond);
    const missing = missingSecrets(spec, c.env as ConfigEnv);
    if (missing.length > 0) return jsonError(c, 400, "invalid_monitor", "the monitor spec names secrets that are not set", missing);
    const slow = tooSlowToWaitFor(spec);
    if (slow.length > 0) return jsonError(c, 400, "invalid_monitor", `invalid monitor spec (${slow.length} problem)`, slow);
    return c.json(await runProbe(spec, c.env as ConfigEnv));
  });
  return routes;
}
