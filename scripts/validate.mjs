#!/usr/bin/env node
// `npm run validate [-- path]`: checks a Vigil config and prints every problem with its path.
// Exit 0 when valid, 1 when not. Secrets are not checked here (they live in Cloudflare).
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { checkConfig } from "./config.mjs";
import { ensureDeps, readVars, root } from "./lib.mjs";

const path = process.argv[2] ?? process.env.VIGIL_CONFIG ?? "vigil.config.ts";
if (!existsSync(resolve(path))) {
  console.error(`vigil: config file not found: ${path}`);
  process.exit(1);
}
await ensureDeps();
const env = { ...Object.fromEntries(readVars(resolve(root, ".dev.vars"))), ...process.env };
const { problems, config } = await checkConfig(path, env, { checkSecrets: false });
if (problems.length > 0) {
  console.error(`${path}: ${problems.length} problem${problems.length === 1 ? "" : "s"}`);
  for (const p of problems) console.error(`  ${p}`);
  process.exit(1);
}
console.log(`${path}: ok (${config.services.length} services, ${config.monitors.length} monitors, ${config.channels.length} channels, ${config.policies.length} policies)`);
