/**
 * The deployed config: the module aliased as `vigil-config` (`vigil.config.ts` by default;
 * `npm start` points it at $VIGIL_CONFIG). Validated once per environment object; an invalid
 * config is refused with every problem listed.
 */
import source from "vigil-config";
import { ConfigError, parseConfig, type ConfigEnv, type VigilConfig } from "./index";

let cached: { env: object; result: VigilConfig | ConfigError } | null = null;

export function loadConfig(env: object): VigilConfig | ConfigError {
  if (cached?.env === env) return cached.result;
  let result: VigilConfig | ConfigError;
  try {
    result = parseConfig(source, env as ConfigEnv);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    result = err;
  }
  cached = { env, result };
  return result;
}
