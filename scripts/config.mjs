// Loads a Vigil config file (TypeScript) in Node and validates it with the worker's own code,
// so `npm run validate`, `npm start` and the worker print the same messages.
import { resolve } from "node:path";
import { bundleForNode, importOnce, root } from "./lib.mjs";

/**
 * Bundles the config file together with src/config and imports the result.
 * Returns `{ problems: string[], config? }`.
 */
export async function checkConfig(configPath, env, { checkSecrets }) {
  const entry = `
    import source from ${JSON.stringify(resolve(configPath))};
    export { source };
    export { parseConfig, ConfigError } from ${JSON.stringify(resolve(root, "src/config/index.ts"))};
  `;
  let outfile;
  try {
    outfile = await bundleForNode(entry, "config-check");
  } catch (err) {
    const lines = (err.errors ?? []).map((e) => `${e.location ? `${e.location.file}:${e.location.line}: ` : ""}${e.text}`);
    return { problems: lines.length ? lines : [String(err.message ?? err)] };
  }
  const mod = await importOnce(outfile);
  try {
    const config = mod.parseConfig(mod.source, env, { checkSecrets });
    return { problems: [], config };
  } catch (err) {
    if (err instanceof mod.ConfigError) return { problems: err.issues };
    throw err;
  }
}
