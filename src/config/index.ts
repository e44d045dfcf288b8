/**
 * Loading and validating the config. `vigil.config.ts` default-exports `defineConfig(...)`;
 * the value may be a config object or a function of the environment (bindings and secrets),
 * so one file can serve several deployments.
 */
import { ConfigError, formatIssues, formatPath } from "../../lib/config-error";
import { configSchema, visitSecrets, type ConfigEnv, type MonitorSpec, type VigilConfig, type VigilConfigInput } from "./schema";
import { agentLocation } from "../contract/report-constants";
import { envSecretProblems, minimumAt, shortSecret } from "./secrets";

export * from "./schema";
export { parseDuration, formatDuration } from "../../lib/duration";
export { MIN_SECRET_LENGTH } from "./secrets";

export type ConfigSource = VigilConfigInput | ((env: ConfigEnv) => VigilConfigInput);

/** Identity helper that gives `vigil.config.ts` full types and editor completion. */
export function defineConfig<T extends ConfigSource>(config: T): T {
  return config;
}

export { ConfigError, formatIssues, formatPath };

export interface ParseOptions {
  /** Check that every `{ env: "NAME" }` secret is set in `env`. Default true (the worker); the
   * `validate` CLI turns it off, since production secrets live in Cloudflare, not locally. */
  checkSecrets?: boolean;
}

/** Validates raw config; throws `ConfigError` listing every problem. */
export function parseConfig(source: ConfigSource, env: ConfigEnv = {}, options: ParseOptions = {}): VigilConfig {
  let raw: unknown;
  try {
    raw = typeof source === "function" ? source(env) : source;
  } catch (err) {
    throw new ConfigError([`(root): the config function threw: ${(err as Error).message}`]);
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(formatIssues(parsed.error.issues));
  const missing = options.checkSecrets === false ? [] : missingSecrets(parsed.data, env);
  // Lengths are checked for every secret that is set, also when unset ones are not missed.
  const short = [...shortSecrets(parsed.data, env), ...envSecretProblems(env)];
  if (missing.length > 0 || short.length > 0) throw new ConfigError([...missing, ...short]);
  return parsed.data;
}

/** Secret references that are set but shorter than their minimum (secrets.ts), as problem lines. */
function shortSecrets(config: VigilConfig, env: ConfigEnv): string[] {
  const out: string[] = [];
  visitSecrets(config, (ref, path) => {
    const min = minimumAt(path);
    const line = min === undefined ? null : shortSecret(formatPath(path), ref.env, env[ref.env], min);
    if (line) out.push(line);
  });
  return out;
}

/** Secret references whose environment variable is not set, as problem lines. */
function missingSecrets(config: VigilConfig, env: ConfigEnv): string[] {
  const out: string[] = [];
  // A monitor with `locations` and no `regions` runs only on its agents, which read its
  // secrets from their own environment: the worker never needs them.
  const agentsOnly = (path: (string | number)[]) => {
    const m = path[0] === "monitors" && typeof path[1] === "number" ? config.monitors[path[1]] : undefined;
    return m !== undefined && (m.locations?.length ?? 0) > 0 && (m.regions?.length ?? 0) === 0;
  };
  visitSecrets(config, (ref, path) => {
    if ((typeof env[ref.env] !== "string" || env[ref.env] === "") && !agentsOnly(path)) {
      out.push(
        `${formatPath(path)}: environment variable ${ref.env} is not set (add it to .dev.vars locally, or \`wrangler secret put ${ref.env}\`)`,
      );
    }
  });
  return out;
}

const monitorsByConfig = new WeakMap<VigilConfig, Map<string, MonitorSpec[]>>();

/**
 * The enabled monitors that list this agent in `locations`, as the config parsed them: the
 * agent runs them (README, "Private locations"). Secrets stay `{ env }` references.
 */
export function locationMonitors(config: VigilConfig, agentId: string): MonitorSpec[] {
  let map = monitorsByConfig.get(config);
  if (!map) monitorsByConfig.set(config, (map = new Map()));
  let list = map.get(agentId);
  if (!list) {
    const location = agentLocation(agentId);
    map.set(agentId, (list = config.monitors.filter((m) => m.enabled && m.locations?.includes(location))));
  }
  return list;
}
