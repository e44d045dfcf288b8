// Loads a Vigil config file (TypeScript) in Node and validates it with the worker's own code,
// so `npm run validate`, `npm start` and the worker print the same messages.
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { root } from "./lib.mjs";

/**
 * Bundles the config file together with src/config and imports the result.
 * Returns `{ problems: string[], config? }`.
 */
export async function checkConfig(configPath, env, { checkSecrets }) {
  const { build } = await import("esbuild");
  const outdir = resolve(root, ".vigil");
  mkdirSync(outdir, { recursive: true });
  const outfile = resolve(outdir, `config-check-${process.pid}.mjs`);
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
      mainFields: ["module", "main"],
      outfile,
      logLevel: "silent",
    });
  } catch (err) {
    const lines = (err.errors ?? []).map((e) => `${e.location ? `${e.location.file}:${e.location.line}: ` : ""}${e.text}`);
    return { problems: lines.length ? lines : [String(err.message ?? err)] };
  }
  const mod = await import(`${pathToFileURL(outfile).href}?t=${Date.now()}`);
  try {
    const config = mod.parseConfig(mod.source, env, { checkSecrets });
    return { problems: [], config };
  } catch (err) {
    if (err instanceof mod.ConfigError) return { problems: err.problems };
    throw err;
  }
}
