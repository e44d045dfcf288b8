// Bundles the agent into one file runnable with plain `node` (Node ≥ 20): dist/agent/vigil-agent.mjs
// (or the path given as the first argument).
import { build } from "esbuild";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, constants } from "node:zlib";

const root = fileURLToPath(new URL("..", import.meta.url));

// Dependencies are bundled as published: no plugin edits their source, so a patch release of
// pg cannot break the agent silently (issue 20). The cost, measured (BENCHMARKS.md, "Agent"):
// on Node 20, which has no `navigator`, pg's "am I in a Cloudflare Worker?" probe
// (pg/lib/stream.js) builds a fetch `Response` and so loads Node's fetch, ~9 MiB resident;
// Node 21 and later have `navigator` and skip it.
const common = {
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  minify: true,
  sourcemap: false,
  legalComments: "none",
  logLevel: "warning",
};

/**
 * agent/schemas.ts (zod, the config schema, the report contract) built on its own and packed
 * with brotli into the main bundle: the running agent never loads it, and V8 keeps every
 * module's source text in the heap, so shipping it as plain text would cost each agent ~0.3 MiB.
 * `loadSchemas()` unpacks it and imports it as a data: URL (node: built-ins resolve from there).
 */
// The config lists the check kinds; their runners load pg and undici on use only (undici, CommonJS,
// could not load inside this data: URL module): pg is left out here, undici is never reached.
const schemas = await build({ ...common, entryPoints: [`${root}agent/schemas.ts`], external: ["pg"], write: false, metafile: true });
// agent/probes.ts (the worker's probes, for private locations) the same way: loaded only when the
// worker gives the agent monitors. `cloudflare:sockets` is never reached there (the agent hands
// the probes its node:net socket), so it stays an import that is never made.
const probes = await build({
  ...common,
  entryPoints: [`${root}agent/probes.ts`],
  external: ["cloudflare:sockets"],
  write: false,
  metafile: true,
});
const pack = (built) =>
  brotliCompressSync(built.outputFiles[0].contents, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).toString("base64");
const packedSchemas = pack(schemas);
const packedProbes = pack(probes);
const loader = (name, packed) =>
  `export const ${name} = () => import("data:text/javascript;base64," + require("node:zlib").brotliDecompressSync(Buffer.from(${JSON.stringify(packed)}, "base64")).toString("base64"));\n`;
const packSchemas = {
  name: "vigil-agent-packed-schemas",
  setup(b) {
    b.onLoad({ filter: /[\\/]agent[\\/]schemas\.ts$/ }, () => ({ loader: "js", contents: loader("loadSchemas", packedSchemas) }));
    b.onLoad({ filter: /[\\/]agent[\\/]probes\.ts$/ }, () => ({ loader: "js", contents: loader("loadProbes", packedProbes) }));
  },
};

const result = await build({
  ...common,
  entryPoints: [`${root}agent/cli.ts`],
  outfile: process.argv[2] ?? `${root}dist/agent/vigil-agent.mjs`,
  // pg loads the optional native binding only when asked to; it is not shipped.
  external: ["pg-native"],
  plugins: [packSchemas],
  // CommonJS dependencies (pg) call require() for Node built-ins.
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __vigilCreateRequire } from 'node:module';\nconst require = __vigilCreateRequire(import.meta.url);",
  },
  metafile: true,
});
console.log(`built ${process.argv[2] ?? "dist/agent/vigil-agent.mjs"}`);
if (process.env.VIGIL_AGENT_SIZES) {
  // What the bundle is made of, by package: for keeping the agent small (BENCHMARKS.md, "Agent").
  const sizes = {};
  for (const [file, { bytesInOutput }] of Object.entries(Object.values(result.metafile.outputs)[0].inputs)) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
    const key = m ? m[1] : file.split("/").slice(0, 2).join("/");
    sizes[key] = (sizes[key] ?? 0) + bytesInOutput;
  }
  for (const [key, bytes] of Object.entries(sizes).sort((a, b) => b[1] - a[1])) console.log(`${String(bytes).padStart(8)}  ${key}`);
  console.log(`(agent/schemas.ts: ${schemas.outputFiles[0].contents.length} bytes built, ${packedSchemas.length} packed)`);
  console.log(`(agent/probes.ts: ${probes.outputFiles[0].contents.length} bytes built, ${packedProbes.length} packed)`);
}
