// How `npm start` runs the worker locally, and how `npm run bench:scale` measures it.
//
// - By default through wrangler's API with the inspector off (scripts/dev-worker.mjs). The
//   `wrangler dev` CLI always attaches an inspector proxy, which posts every DevTools event
//   (three or more per fetch the worker makes) to wrangler's Node process on a new loopback
//   connection: at 2,000 monitors every 10 s that exhausted workerd's file descriptors within
//   the first minute and no probe ran after it (BENCHMARKS.md, "Scale: npm start").
// - `inspect: true` (`npm start -- --inspect`): the CLI with its inspector, for debugging
//   with DevTools at small scale.
// - Either way the output (after `transform`, npm start's narrator) goes through a log limiter (scripts/log-limit.mjs): a failure that
//   repeats is printed once a minute with its count.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { wranglerDevArgs } from "./dev-server.mjs";
import { createLogLimiter, lineSplitter } from "./log-limit.mjs";
import { root } from "./lib.mjs";

/**
 * @param {{ toml: string, port: number, persist: string, envFile: string, vars?: Record<string, string>,
 *   inspect?: boolean, watch?: boolean, logLevel?: string, cwd?: string, env?: NodeJS.ProcessEnv,
 *   transform?: (line: string) => string[],
 *   stdout?: NodeJS.WritableStream, stderr?: NodeJS.WritableStream }} options
 * @returns {Promise<import("node:child_process").ChildProcess>}
 */
export async function spawnWorker(options) {
  const { toml, port, persist, envFile, vars = {}, inspect = false, watch = true, logLevel = "log" } = options;
  const env = { WRANGLER_SEND_METRICS: "false", ...(options.env ?? process.env) };
  const transform = options.transform ?? ((line) => [line]);
  const child = inspect
    ? spawn(
        join(root, "node_modules/.bin/wrangler"),
        ["dev", "--config", toml, "--env-file", envFile, ...(await wranglerDevArgs({ port, persist, logLevel, vars }))],
        { cwd: options.cwd ?? root, env, stdio: ["ignore", "pipe", "pipe"] },
      )
    : spawn(
        process.execPath,
        [
          join(root, "scripts/dev-worker.mjs"),
          toml,
          String(port),
          persist,
          JSON.stringify(vars),
          logLevel,
          JSON.stringify({ envFile, watch }),
        ],
        { cwd: options.cwd ?? root, env, stdio: ["ignore", "pipe", "pipe"] },
      );
  for (const [from, to] of [
    [child.stdout, options.stdout ?? process.stdout],
    [child.stderr, options.stderr ?? process.stderr],
  ]) {
    const limiter = createLogLimiter({ write: (text) => to.write(text) });
    const lines = lineSplitter((line) => {
      for (const out of transform(line)) limiter.line(out);
    });
    from.setEncoding("utf8");
    from.on("data", (d) => lines.push(d));
    from.on("end", () => {
      lines.end();
      limiter.close();
    });
  }
  return child;
}
