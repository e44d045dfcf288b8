#!/usr/bin/env node
// `wrangler dev` through wrangler's own programmatic API (`unstable_startWorker`, the DevEnv
// the CLI runs), for benchmarks that need what the CLI cannot switch off: the inspector. With
// it on, every new Durable Object instance costs ~15 ms of CPU in wrangler's Node process and
// its inspector proxy (measured by bench:ingest), which on 2 cores competes with the worker.
// It is also how `npm start` runs the worker (scripts/worker-process.mjs): the CLI's inspector
// proxy posts every DevTools event (three or more per fetch the worker makes) to wrangler's
// Node process on a new loopback connection, which at 200 probes/s exhausts workerd's file
// descriptors within a minute (BENCHMARKS.md, "Scale: npm start").
// Usage (from scripts/dev-server.mjs, scripts/worker-process.mjs):
//   node scripts/dev-worker.mjs <wrangler.toml> <port> <persist dir> [vars JSON] [log level] [options JSON]
// options: { "envFile": "<path of a .dev.vars file>", "watch": true }
import { unstable_startWorker } from "wrangler";

const [config, port, persist, varsJson, logLevel = "warn", optionsJson] = process.argv.slice(2);
if (!config || !port || !persist) {
  console.error("usage: dev-worker.mjs <wrangler.toml> <port> <persist dir> [vars JSON]");
  process.exit(2);
}
const vars = JSON.parse(varsJson || "{}");
const { envFile, watch = false } = JSON.parse(optionsJson || "{}");
const worker = await unstable_startWorker({
  config,
  ...(envFile && { envFiles: [envFile] }),
  bindings: Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, { type: "plain_text", value: String(v) }])),
  dev: {
    inspector: false,
    persist,
    server: { hostname: "127.0.0.1", port: Number(port) },
    logLevel,
    watch,
    testScheduled: true,
  },
});
await worker.ready;
console.log(`ready on ${await worker.url}`);
const stop = async () => {
  await worker.dispose().catch(() => {});
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
