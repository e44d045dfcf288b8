/**
 * Minimum secret lengths. A secret shorter than its minimum is a config problem, reported by
 * `npm run validate` (for the values it can see), by `npm start` and by the worker, which
 * then refuses every request with the problem listed. Values are never printed: only their
 * length. `npm start` generates 48 hex characters (24 random bytes) for what it generates.
 */
import type { ConfigEnv } from "./index";

/** Characters at least, by what the secret guards. */
export const MIN_SECRET_LENGTH = {
  /** `VIGIL_ADMIN_TOKEN`: the admin API (all of it). */
  adminToken: 32,
  /** `VIGIL_LINK_SECRET`: signs acknowledge links. */
  linkSecret: 32,
  /** An agent's report signing key (`agents[].secret`). */
  agentSecret: 32,
  /** A job's ping key (`jobs[].key`): it sits in a URL, so it is the whole credential. */
  pingKey: 16,
  /** The private status page's token (`statusPage.token`). */
  statusToken: 16,
  /** `VIGIL_METRICS_TOKEN`: the /metrics scrape. */
  metricsToken: 16,
} as const;

/** Secrets the worker reads from its environment directly, not through the config. */
const ENV_SECRETS: [name: string, min: number][] = [
  ["VIGIL_ADMIN_TOKEN", MIN_SECRET_LENGTH.adminToken],
  ["VIGIL_LINK_SECRET", MIN_SECRET_LENGTH.linkSecret],
  ["VIGIL_METRICS_TOKEN", MIN_SECRET_LENGTH.metricsToken],
];

/** The minimum for the secret reference at this config path, if it has one. */
export function minimumAt(path: readonly (string | number)[]): number | undefined {
  const [top, , field] = path;
  if (top === "agents" && field === "secret" && path.length === 3) return MIN_SECRET_LENGTH.agentSecret;
  if (top === "jobs" && field === "key" && path.length === 3) return MIN_SECRET_LENGTH.pingKey;
  if (top === "statusPage" && path[1] === "token" && path.length === 2) return MIN_SECRET_LENGTH.statusToken;
  return undefined;
}

/** The problem line for a set secret shorter than `min`, naming its variable, never its value. */
export function shortSecret(where: string, name: string, value: unknown, min: number): string | null {
  if (typeof value !== "string" || value === "" || value.length >= min) return null;
  return `${where}: ${name} is ${value.length} characters; at least ${min} are required (generate one with \`openssl rand -hex 24\`)`;
}

/** Problems with the worker's own secrets (admin token, link secret, metrics token) that are set. */
export function envSecretProblems(env: ConfigEnv): string[] {
  return ENV_SECRETS.flatMap(([name, min]) => shortSecret(name, name, env[name], min) ?? []);
}
