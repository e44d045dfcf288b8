#!/usr/bin/env node
// `npm run validate [-- path]`: checks a Vigil config and prints every problem with its path.
// Exit 0 when valid, 1 when not. Secrets are not checked here (they live in Cloudflare).
//
// `--bundled PATH` is wrangler.toml's `[build]` command: a plain `wrangler deploy` (or
// `--dry-run`) of the project's wrangler.toml bundles PATH, so it is validated first, and a
// $VIGIL_CONFIG naming another file stops the build instead of being silently ignored.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { checkConfig } from "./config.mjs";
import { ensureDeps, root } from "./lib.mjs";

const bundled = process.argv[2] === "--bundled";
const path = bundled ? process.argv[3] : (process.argv[2] ?? process.env.VIGIL_CONFIG ?? "vigil.config.ts");
if (bundled && process.env.VIGIL_CONFIG && resolve(process.env.VIGIL_CONFIG) !== resolve(path)) {
  console.error(
    `vigil: VIGIL_CONFIG is ${process.env.VIGIL_CONFIG}, but this wrangler.toml bundles ${path}; deploy with \`npm run deploy\` (or build with \`npm run build\`), which bundle VIGIL_CONFIG`,
  );
  process.exit(1);
}
if (!path || !existsSync(resolve(path))) {
  console.error(`vigil: config file not found: ${path}`);
  process.exit(1);
}
await ensureDeps();
const { readVars } = await import("./dev-vars.mjs");
const env = { ...Object.fromEntries(readVars(resolve(root, ".dev.vars"))), ...process.env };
const { problems, config } = await checkConfig(path, env, { checkSecrets: false });
if (problems.length > 0) {
  console.error(`${path}: ${problems.length} problem${problems.length === 1 ? "" : "s"}`);
  for (const p of problems) console.error(`  ${p}`);
  process.exit(1);
}
console.log(
  `${path}: ok (${config.services.length} services, ${config.monitors.length} monitors, ${config.channels.length} channels, ${config.policies.length} policies)`,
);
