// A local `wrangler dev` with its own config and seeded D1, for the browser test and the
// status benchmark: the config module's text and the seed go into a temporary directory,
// and scripts/dev-server.mjs does the rest (own state, free port, wait for /health).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startDevServer } from "../../scripts/dev-server.mjs";

export { root } from "../../scripts/lib.mjs";

/**
 * Starts a seeded `wrangler dev`.
 * @param {{ configSource: string, seedSql: string, vars: Record<string, string>, readyTimeoutMs?: number, inspector?: false,
 *   logLevel?: "warn" | "info" | "log" }} options
 *   `configSource`: the text of the config module (aliased as `vigil-config`).
 * @returns {Promise<{ url: string, dir: string, logs: () => string, stop: () => Promise<void> }>}
 */
export async function startStatusServer(options) {
  const dir = mkdtempSync(join(tmpdir(), "vigil-status-"));
  const configPath = join(dir, "vigil.config.ts");
  writeFileSync(configPath, options.configSource);
  try {
    const server = await startDevServer({
      configPath,
      seedSql: options.seedSql,
      vars: options.vars,
      readyTimeoutMs: options.readyTimeoutMs,
      inspector: options.inspector,
      logLevel: options.logLevel,
    });
    return {
      ...server,
      dir,
      stop: async () => {
        await server.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
