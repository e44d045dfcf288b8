// Loads a Vigil config file (TypeScript) in Node and validates it with the worker's own code,
// so `npm run validate`, `npm start` and the worker print the same messages.
import { mkdirSync, rmSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { root } from "./lib.mjs";

let checks = 0;

/**
 * Bundles the config file together with src/config and imports the result.
 * Returns `{ problems: string[], config? }`.
 */
export async function checkConfig(configPath, env, { checkSecrets }) {
  const { build } = await import("esbuild");
  const outdir = resolve(root, ".vigil");
  mkdirSync(outdir, { recursive: true });
  // A new name per check: a module loader that caches by path (vitest's does, whatever the
  // query) would otherwise hand back the first version checked.
  const outfile = resolve(outdir, `config-check-${process.pid}-${++checks}.mjs`);
  const entry = `
    import source from ${JSON.stringify(resolve(configPath))};
    export { source };
    export { parseConfig, ConfigError } from ${JSON.stringify(resolve(root, "src/config/index.ts"))};
  `;
  try {
    await build({
      stdin: { contents: entry, resolveDir: root, loader: "ts" },
      bundle: true,
      format: "esm",
      platform: "neutral",
      // The probe kinds import it on use, in the worker only.
      external: ["cloudflare:*"],
      mainFields: ["module", "main"],
      outfile,
      logLevel: "silent",
    });
  } catch (err) {
    const lines = (err.errors ?? []).map((e) => `${e.location ? `${e.location.file}:${e.location.line}: ` : ""}${e.text}`);
    return { problems: lines.length ? lines : [String(err.message ?? err)] };
  }
  let mod;
  try {
    mod = await import(pathToFileURL(outfile).href);
  } finally {
    rmSync(outfile, { force: true });
  }
  try {
    const config = mod.parseConfig(mod.source, env, { checkSecrets });
    return { problems: [], config };
  } catch (err) {
    if (err instanceof mod.ConfigError) return { problems: err.issues };
    throw err;
  }
}
