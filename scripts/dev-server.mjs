// A throw-away local `wrangler dev` for tests and benchmarks: its own config module, its own
// D1 / Durable Object state in a temporary directory, a free loopback port.
//
// 1. Write .../config/wrangler.toml (the project's, absolute paths, `vigil-config` aliased to
//    `configPath`; `wrangler dev --alias` is ignored by wrangler 4.86).
// 2. Apply the migrations (and an optional seed) to .../persist.
// 3. With `snapshot`, bundle the worker once and serve that bundle, so edits to src/ during
//    a long measurement do not restart the worker mid-run.
// 4. Start `wrangler dev` from the config folder (it reloads when files near its config
//    change, so state lives apart) and wait until /health answers.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { maskPingKeys, root, writeDevWranglerConfig } from "./lib.mjs";

const wrangler = join(root, "node_modules/.bin/wrangler");

/** Environment for wrangler: no telemetry, no update checks, no prompts. */
const quietEnv = () => ({ ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false", NO_UPDATE_NOTIFIER: "1" });

function runWrangler(args, what, cwd = root) {
  return new Promise((ok, fail) => {
    const child = spawn(wrangler, args, { cwd, env: { ...quietEnv(), WRANGLER_LOG: "warn" }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("error", fail);
    child.on("exit", (code) => (code === 0 ? ok(out) : fail(new Error(`${what} failed (exit ${code}):\n${out.slice(-4000)}`))));
  });
}

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once("error", fail);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

/**
 * The `wrangler dev` CLI arguments (after "dev") shared by the test dev server and `npm start -- --inspect`:
 * loopback `port`, a free inspector port, local state in `persist`, `vars` as `--var`s.
 * @param {{ port: number, persist: string, logLevel: string, vars?: Record<string, string | number> }} o
 */
export async function wranglerDevArgs({ port, persist, logLevel, vars = {} }) {
  return [
    ...["--port", String(port), "--ip", "127.0.0.1", "--inspector-port", String(await freePort()), "--persist-to", persist],
    ...["--test-scheduled", "--show-interactive-dev-session=false", "--log-level", logLevel],
    ...Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`]),
  ];
}

/**
 * @param {{ configPath: string, vars?: Record<string, string | number>, seedSql?: string,
 *   snapshot?: boolean, logLevel?: "warn" | "info" | "log", readyTimeoutMs?: number, stateRoot?: string,
 *   inspector?: false,
 *   onLine?: (line: string) => void }} options
 * @returns {Promise<{ url: string, pid: number, dir: string, logs: () => string, stop: () => Promise<void> }>}
 */
export async function startDevServer(options) {
  const dir = mkdtempSync(join(options.stateRoot ?? tmpdir(), "vigil-dev-"));
  const cfgDir = join(dir, "config");
  const persist = join(dir, "persist");
  mkdirSync(persist, { recursive: true });
  // 1.
  const toml = writeDevWranglerConfig(options.configPath, cfgDir);
  const cfg = ["--config", toml];
  try {
    // 2.
    await runWrangler(["d1", "migrations", "apply", "DB", "--local", "--persist-to", persist, ...cfg], "wrangler d1 migrations apply");
    if (options.seedSql) {
      const seed = join(dir, "seed.sql");
      writeFileSync(seed, options.seedSql);
      await runWrangler(
        ["d1", "execute", "DB", "--local", "--persist-to", persist, "--file", seed, "--yes", ...cfg],
        "wrangler d1 execute (seed)",
      );
    }
    // 3.
    if (options.snapshot) {
      await runWrangler(["deploy", "--dry-run", "--outdir", join(cfgDir, "dist"), ...cfg], "wrangler deploy --dry-run");
      writeFileSync(
        toml,
        readFileSync(toml, "utf8")
          .replace(/^main = ".*"$/m, `main = ${JSON.stringify(join(cfgDir, "dist/index.js"))}\nno_bundle = true`)
          .replace(/^\[alias\]\n"vigil-config" = .*$/m, ""),
      );
    }
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  // 4.
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child =
    options.inspector === false
      ? // The same dev server through wrangler's API, which can switch the inspector off.
        spawn(
          process.execPath,
          [
            join(root, "scripts/dev-worker.mjs"),
            toml,
            String(port),
            persist,
            JSON.stringify(options.vars ?? {}),
            options.logLevel ?? "warn",
          ],
          {
            cwd: cfgDir,
            env: quietEnv(),
            stdio: ["ignore", "pipe", "pipe"],
            detached: true,
          },
        )
      : spawn(
          wrangler,
          ["dev", ...cfg, ...(await wranglerDevArgs({ port, persist, logLevel: options.logLevel ?? "warn", vars: options.vars }))],
          { cwd: cfgDir, env: quietEnv(), stdio: ["ignore", "pipe", "pipe"], detached: true },
        );
  // The output is kept to its last MAX_LOG characters; `onLine` sees every line.
  const MAX_LOG = 4_000_000;
  let logs = "";
  let partial = "";
  // Ping keys are masked as the output arrives: wrangler logs request paths (at info level).
  const onData = (raw) => {
    const d = maskPingKeys(String(raw));
    logs += d;
    if (logs.length > MAX_LOG) logs = logs.slice(-MAX_LOG / 2);
    if (!options.onLine) return;
    partial += d;
    const parts = partial.split("\n");
    partial = parts.pop() ?? "";
    for (const line of parts) options.onLine(line);
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);
  let exited = null;
  child.on("exit", (code) => (exited = code ?? 1));

  const stop = async () => {
    if (exited === null) {
      // The whole process group: wrangler starts workerd as a child.
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {}
      await new Promise((r) => {
        const t = setTimeout(() => {
          try {
            process.kill(-child.pid, "SIGKILL");
          } catch {}
          r();
        }, 5000);
        child.once("exit", () => {
          clearTimeout(t);
          r();
        });
      });
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const timeout = options.readyTimeoutMs ?? 120_000;
  const deadline = Date.now() + timeout;
  for (;;) {
    if (exited !== null) {
      await stop();
      throw new Error(`wrangler dev exited (${exited}) before it was ready:\n${logs.slice(-4000)}`);
    }
    let invalid = null;
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) break;
      if (res.status === 500) invalid = await res.text();
    } catch {
      // not listening yet
    }
    if (invalid) {
      await stop();
      throw new Error(`the config is invalid: ${invalid}`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`wrangler dev did not answer /health within ${timeout} ms:\n${logs.slice(-4000)}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    url,
    pid: child.pid,
    dir,
    logs: () => logs,
    stop,
    runtime: () => findRuntime(child.pid, port),
    cpuMs: () => groupCpuMs(child.pid),
  };
}

/**
 * The workerd socket that serves the worker itself, behind the dev proxy `wrangler dev` puts
 * in front of it (the URL it prints; the proxy pauses requests during reloads and exists only
 * in development). Found among the listening sockets of workerd processes in the dev server's
 * process group (Linux: `ss`, `/proc`) as the one that answers `/health` like the proxy does.
 * Undefined when it cannot be found.
 * @returns {Promise<{ url: string, pid: number } | undefined>}
 */
async function findRuntime(pgid, proxyPort) {
  const { execFileSync } = await import("node:child_process");
  let listing = "";
  try {
    listing = execFileSync("ss", ["-ltnpH"], { encoding: "utf8", timeout: 5000 });
  } catch {
    return undefined;
  }
  const candidates = [];
  for (const line of listing.split("\n")) {
    const m = /127\.0\.0\.1:(\d+)\s.*"workerd",pid=(\d+)/.exec(line);
    if (m && Number(m[1]) !== proxyPort && procStat(Number(m[2]))?.pgrp === pgid)
      candidates.push({ port: Number(m[1]), pid: Number(m[2]) });
  }
  for (const c of candidates) {
    try {
      const url = `http://127.0.0.1:${c.port}`;
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
      if (res.ok && (await res.json()).status === "ok") return { url, pid: c.pid };
    } catch {}
  }
  return undefined;
}

/** Process group and CPU time (user + system, ms) of a process, from /proc/<pid>/stat. */
function procStat(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after "(comm) ": state ppid pgrp … utime is field 14, stime 15 (1-based).
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { pgrp: Number(f[2]), cpuMs: ((Number(f[11]) + Number(f[12])) * 1000) / 100 };
  } catch {
    return undefined;
  }
}

/** CPU time (ms) used so far by every process of the dev server's group, by pid. */
function groupCpuMs(pgid) {
  const out = new Map();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const st = procStat(Number(name));
    if (st?.pgrp === pgid) out.set(Number(name), st.cpuMs);
  }
  return out;
}
