/**
 * How far a spec tested with `POST /v1/probe` (./admin/probe.ts) may reach.
 *
 * It reaches no further than the config already does: a header secret (`{ env: "NAME" }`)
 * only if the configured monitor of the same id sends it, and a private, loopback or
 * link-local address only if a configured monitor targets that host. (A DNS name is judged
 * by its text: one that resolves to a private address is not caught here.)
 */
import { formatPath, visitSecrets, type ConfigEnv, type MonitorSpec, type VigilConfig } from "../config";
import { LIMITS } from "../limits";
import { probes } from "../probes/kinds";
import { worstCaseRunMs } from "../engine/retry";

/** Secrets (`{ env: "NAME" }`) anywhere in the spec, whatever its kind, with their paths (`headers.authorization`). */
function secretsOf(spec: MonitorSpec): { path: string; env: string }[] {
  const out: { path: string; env: string }[] = [];
  visitSecrets(spec, (ref, path) => out.push({ path: formatPath(path), env: ref.env }));
  return out;
}

/** Secrets whose variable is not set, as problem lines. */
export function missingSecrets(spec: MonitorSpec, env: ConfigEnv): string[] {
  return secretsOf(spec).flatMap(({ path, env: name }) =>
    typeof env[name] === "string" && env[name] !== "" ? [] : [`${path}: environment variable ${name} is not set`],
  );
}

/** Secrets the spec names that its configured monitor does not send, as problem lines. */
export function unconfiguredSecrets(spec: MonitorSpec, config: VigilConfig): string[] {
  const m = config.monitors.find((x) => x.id === spec.id);
  const allowed = new Set(m ? secretsOf(m).map((s) => s.env) : []);
  return secretsOf(spec).flatMap(({ path, env: name }) =>
    allowed.has(name)
      ? []
      : [
          `${path}: the config's monitor "${spec.id}" sends no secret ${name}; a spec tested here may send only the secrets its configured monitor already sends`,
        ],
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
  return (
    a === 0 ||
    a === 10 ||
    a === 127 ||
    (a === 169 && b === 254) ||
    (a === 172 && b! >= 16 && b! <= 31) ||
    (a === 192 && b === 168) ||
    (a === 100 && b! >= 64 && b! <= 127)
  );
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
  // A monitor probed only by host agents (`locations`, no `regions`) gives the edge no reach.
  const fromEdge = (m: MonitorSpec) => !m.locations?.length || (m.regions?.length ?? 0) > 0;
  const configured = config.monitors.some((m) => fromEdge(m) && target(m)?.host === t.host);
  if (configured) return [];
  return [
    `${t.path}: ${t.host} is a private, loopback or link-local address; a spec tested here may reach one only when a configured monitor targets the same host`,
  ];
}

const seconds = (ms: number) => (ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`);

/** The caller waits for the run: its worst case (every sample timing out) must fit the budget. */
export function tooSlowToWaitFor(spec: Pick<MonitorSpec, "samples" | "timeout" | "retries">): string[] {
  const worst = worstCaseRunMs(spec.timeout, spec.samples, spec.retries);
  if (worst <= LIMITS.probeRequestMs) return [];
  if (spec.retries) {
    return [
      `retries: with ${spec.retries.count} ${spec.retries.count === 1 ? "retry" : "retries"} a run can take ${seconds(worst)}, which must be at most ${seconds(LIMITS.probeRequestMs)} when testing a spec here; lower them`,
    ];
  }
  return [
    `timeout: samples × timeout (${spec.samples} × ${seconds(spec.timeout)} = ${seconds(worst)}) must be at most ${seconds(LIMITS.probeRequestMs)} when testing a spec here; lower samples or timeout`,
  ];
}
