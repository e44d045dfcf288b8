/**
 * Loading and validating the config. `vigil.config.ts` default-exports `defineConfig(...)`;
 * the value may be a config object or a function of the environment (bindings and secrets),
 * so one file can serve several deployments.
 */
import { z } from "zod";
import { configSchema, type SecretRef, type VigilConfig, type VigilConfigInput } from "./schema";
import { envSecretProblems, minimumAt, shortSecret } from "./secrets";

export * from "./schema";
export { parseDuration, formatDuration } from "./duration";
export { MIN_SECRET_LENGTH } from "./secrets";

export type ConfigEnv = Record<string, unknown>;
export type ConfigSource = VigilConfigInput | ((env: ConfigEnv) => VigilConfigInput);

/** Identity helper that gives `vigil.config.ts` full types and editor completion. */
export function defineConfig<T extends ConfigSource>(config: T): T {
  return config;
}

/** Formats a zod path as `monitors[2].url`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else out += out === "" ? String(seg) : `.${String(seg)}`;
  }
  return out || "(root)";
}

/** Every issue, one line each: `monitors[2].url: Invalid url`. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((i) => `${formatPath(i.path)}: ${i.message}`);
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(readonly problems: string[]) {
    super(`invalid Vigil config (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n  ${problems.join("\n  ")}`);
  }
}

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

/** Calls `fn` for every `{ env: "NAME" }` in the config, with its path. */
function visitSecrets(config: VigilConfig, fn: (ref: SecretRef, path: (string | number)[]) => void) {
  const visit = (value: unknown, path: (string | number)[]) => {
    if (Array.isArray(value)) value.forEach((v, i) => visit(v, [...path, i]));
    else if (value && typeof value === "object") {
      const ref = value as Partial<SecretRef>;
      if (typeof ref.env === "string" && Object.keys(value).length === 1) return fn(ref as SecretRef, path);
      for (const [k, v] of Object.entries(value)) visit(v, [...path, k]);
    }
  };
  visit(config, []);
}

/** Secret references whose environment variable is not set, as problem lines. */
function missingSecrets(config: VigilConfig, env: ConfigEnv): string[] {
  const out: string[] = [];
  visitSecrets(config, (ref, path) => {
    if (typeof env[ref.env] !== "string" || env[ref.env] === "") {
      out.push(`${formatPath(path)}: environment variable ${ref.env} is not set (add it to .dev.vars locally, or \`wrangler secret put ${ref.env}\`)`);
    }
  });
  return out;
}

/**
 * The values a secret accepts: `NAME` and, while a rotation is under way, `NAME_NEXT` (set the
 * new value as `NAME_NEXT`, move the clients over, then make it `NAME` and delete `NAME_NEXT`:
 * docs/deploy.md). Unset and empty values are left out.
 */
export function secretValues(env: ConfigEnv, name: string): string[] {
  return [env[name], env[`${name}_NEXT`]].filter((v): v is string => typeof v === "string" && v !== "");
}

/** Every value a secret or plain value accepts (`secretValues` for a reference). */
export function revealAll(value: string | SecretRef, env: ConfigEnv): string[] {
  return typeof value === "string" ? [value] : secretValues(env, value.env);
}

/** Reads a secret or plain value. Only call after `parseConfig` checked the references. */
export function reveal(value: string | SecretRef, env: ConfigEnv): string {
  return typeof value === "string" ? value : String(env[value.env]);
}
