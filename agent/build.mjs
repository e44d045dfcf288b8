// Bundles the agent into one file runnable with plain `node` (Node ≥ 20): dist/agent/vigil-agent.mjs.
import { build } from "esbuild";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
await build({
  entryPoints: [`${root}agent/cli.ts`],
  outfile: `${root}dist/agent/vigil-agent.mjs`,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  minify: true,
  sourcemap: false,
  legalComments: "none",
  // pg loads the optional native binding only when asked to; it is not shipped.
  external: ["pg-native"],
  // CommonJS dependencies (pg, ioredis) call require() for Node built-ins.
  banner: { js: "#!/usr/bin/env node\nimport { createRequire as __vigilCreateRequire } from 'node:module';\nconst require = __vigilCreateRequire(import.meta.url);" },
  logLevel: "warning",
});
console.log("built dist/agent/vigil-agent.mjs");
