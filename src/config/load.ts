/**
 * The deployed config: the module aliased as `vigil-config` (`vigil.config.ts` by default;
 * `npm start` points it at $VIGIL_CONFIG). Validated once per isolate and environment; an
 * invalid config is refused with every problem listed.
 *
 * Every Durable Object instance and request handler gets its own `env` object, so the cache
 * is keyed by what the config can read from it (its variables and secrets), not by identity:
 * a fleet of agent objects shares one parse instead of parsing a config of thousands of
 * agents each (which cost ~8 ms per report before).
 */
import * as configModule from "vigil-config";
import { ConfigError, parseConfig, type ConfigEnv, type VigilConfig } from "./index";

/**
 * Which config is live, as `npm start` tells it: the snapshot it serves exports `configStatus`
 * next to the config (scripts/live-config.mjs). A config deployed as is has none.
 */
export interface ConfigStatus {
  /** The config file, as named to `npm start`. */
  file: string;
  /** First 12 hex digits of the SHA-256 of the config as bundled. */
  hash: string;
  /** When this version was loaded (ISO). */
  loadedAt: string;
  /** A newer version that was refused, with its problems; the live one keeps serving. */
  refused: { hash: string; at: string; problems: string[] } | null;
}

/** The config module as a plain object: read through it, a config file without `configStatus`
 *  bundles without esbuild's "will always be undefined" warning. */
const configExports: Record<string, unknown> = configModule;
/** `configStatus` of the config module, when it has one. */
export const configStatus: ConfigStatus | null = (configExports.configStatus as ConfigStatus | undefined) ?? null;

type Result = VigilConfig | ConfigError;
const byEnv = new WeakMap<object, Result>();
let last: { key: string; result: Result } | null = null;

/**
 * The env's text values: what a config function or `{ env: "NAME" }` reads. (Bindings are
 * the same in every env of an isolate; only tests build envs whose vars differ.)
 */
function fingerprint(env: object): string {
  let out = "";
  for (const key of Object.keys(env).sort()) {
    const v = (env as Record<string, unknown>)[key];
    if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") out += `${key}\u0000${String(v)}\u0001`;
  }
  return out;
}

export function loadConfig(env: object): Result {
  const hit = byEnv.get(env);
  if (hit) return hit;
  const key = fingerprint(env);
  if (last?.key !== key) {
    let result: Result;
    try {
      result = parseConfig(configModule.default, env as ConfigEnv);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      result = err;
    }
    last = { key, result };
  }
  byEnv.set(env, last.result);
  return last.result;
}
