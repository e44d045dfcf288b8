// Bundles the agent into one file runnable with plain `node` (Node ≥ 20): dist/agent/vigil-agent.mjs
// (or the path given as the first argument).
import { build } from "esbuild";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, constants } from "node:zlib";

const root = fileURLToPath(new URL("..", import.meta.url));

/**
 * Two dependency files that would load large parts of Node the agent never uses (measured in
 * BENCHMARKS.md, "Agent"). Each edit is checked: if a new version of the file no longer has
 * the expected text, the build fails instead of shipping an unpatched or broken file.
 *
 * - pg/lib/stream.js asks "am I in a Cloudflare Worker?" by building a fetch `Response` when
 *   there is no `navigator` (Node 20 has none): that loads Node's whole fetch implementation
 *   (~12 MiB resident alone). The agent runs on Node only: the answer is no.
 * - undici/lib/dispatcher/client-h2.js loads node:http2 (and with it tls, ~5 MiB) when the
 *   client is loaded. HTTP/2 is used only with `allowH2`, which the agent never sets; the
 *   file is replaced by a stub that says so if it is ever reached.
 * - undici's client and core/util.js load node:http (Node's own HTTP client and server, ~1.2
 *   MiB resident) for one number and one class: `http.maxHeaderSize` (Node's default, 16 KiB,
 *   unless node runs with --max-http-header-size, which the agent's unit does not) and
 *   `IncomingMessage`, compared with a request body's class (the agent's bodies are strings).
 */
const slimDependencies = {
  name: "vigil-agent-slim-dependencies",
  setup(b) {
    b.onLoad({ filter: /[\\/]node_modules[\\/]pg[\\/]lib[\\/]stream\.js$/ }, async (args) => {
      const text = await readFile(args.path, "utf8");
      const from = "function isCloudflareRuntime() {\n";
      if (!text.includes(from)) throw new Error(`${args.path}: isCloudflareRuntime() not found; review the patch in agent/build.mjs`);
      return { contents: text.replace(from, `${from}  return false // vigil-agent runs on Node.js (agent/build.mjs)\n`), loader: "js" };
    });
    b.onLoad({ filter: /[\\/]node_modules[\\/]undici[\\/]lib[\\/]dispatcher[\\/]client-h2\.js$/ }, async (args) => {
      const text = await readFile(args.path, "utf8");
      if (!text.includes("require('node:http2')")) throw new Error(`${args.path}: no longer loads node:http2; review the stub in agent/build.mjs`);
      return {
        contents: "module.exports = function connectH2 () { throw new Error('HTTP/2 is not part of the vigil-agent bundle (allowH2 is never set)') }\n",
        loader: "js",
      };
    });
    const undiciHttp = {
      "core/util.js": ["const { IncomingMessage } = require('node:http')", "const IncomingMessage = class IncomingMessage {} // agent/build.mjs: no node:http"],
      "dispatcher/client.js": ["const http = require('node:http')", "const http = { maxHeaderSize: 16 * 1024 } // agent/build.mjs: no node:http"],
    };
    b.onLoad({ filter: /[\\/]node_modules[\\/]undici[\\/]lib[\\/](core[\\/]util|dispatcher[\\/]client)\.js$/ }, async (args) => {
      const text = await readFile(args.path, "utf8");
      const [from, to] = undiciHttp[args.path.split(/[\\/]lib[\\/]/).at(-1).replaceAll("\\", "/")];
      if (!text.includes(from) || text.split("node:http").length !== 2) throw new Error(`${args.path}: its use of node:http changed; review the patch in agent/build.mjs`);
      return { contents: text.replace(from, to), loader: "js" };
    });
  },
};

const common = { bundle: true, platform: "node", format: "esm", target: "node20", minify: true, sourcemap: false, legalComments: "none", logLevel: "warning" };

/**
 * agent/schemas.ts (zod, the config schema, the report contract) built on its own and packed
 * with brotli into the main bundle: the running agent never loads it, and V8 keeps every
 * module's source text in the heap, so shipping it as plain text would cost each agent ~0.3 MiB.
 * `loadSchemas()` unpacks it and imports it as a data: URL (node: built-ins resolve from there).
 */
// The config lists the check kinds, whose runners import pg and undici on use only: left out here.
const runnerDeps = ["pg", "undici", `${root}agent/undici.ts`];
const schemas = await build({ ...common, entryPoints: [`${root}agent/schemas.ts`], external: runnerDeps, write: false, metafile: true });
const packedSchemas = brotliCompressSync(schemas.outputFiles[0].contents, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).toString("base64");
const packSchemas = {
  name: "vigil-agent-packed-schemas",
  setup(b) {
    b.onLoad({ filter: /[\\/]agent[\\/]schemas\.ts$/ }, () => ({
      loader: "js",
      contents: `export const loadSchemas = () => import("data:text/javascript;base64," + require("node:zlib").brotliDecompressSync(Buffer.from(${JSON.stringify(packedSchemas)}, "base64")).toString("base64"));\n`,
    }));
  },
};

const result = await build({
  ...common,
  entryPoints: [`${root}agent/cli.ts`],
  outfile: process.argv[2] ?? `${root}dist/agent/vigil-agent.mjs`,
  // pg loads the optional native binding only when asked to; it is not shipped.
  external: ["pg-native"],
  plugins: [slimDependencies, packSchemas],
  // CommonJS dependencies (pg) call require() for Node built-ins.
  banner: { js: "#!/usr/bin/env node\nimport { createRequire as __vigilCreateRequire } from 'node:module';\nconst require = __vigilCreateRequire(import.meta.url);" },
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
}
