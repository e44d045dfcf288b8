// A local `wrangler dev` with its own config and seeded D1, for the browser test and the
// status benchmark. State lives in a fresh temporary directory (`--persist-to`), so nothing
// touches the developer's .wrangler/state and nothing leaks between runs.
//
// 1. Write the config module and the seed SQL into the temporary directory.
// 2. Apply the migrations and the seed with `wrangler d1 … --local --persist-to`.
// 3. Start `wrangler dev` on a free loopback port and wait until /health answers.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const root = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const wrangler = join(root, "node_modules/.bin/wrangler");

/** Environment for wrangler: no telemetry, no update checks, no prompts. */
const quietEnv = () => ({ ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false", NO_UPDATE_NOTIFIER: "1", WRANGLER_LOG: "warn" });

function runWrangler(args, what) {
  return new Promise((res, rej) => {
    const child = spawn(wrangler, args, { cwd: root, env: quietEnv(), stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("error", rej);
    child.on("exit", (code) => (code === 0 ? res(out) : rej(new Error(`${what} failed (exit ${code}):\n${out.slice(-4000)}`))));
  });
}

/** The project's wrangler.toml with absolute paths and `vigil-config` pointing at `configPath`. */
export function projectWranglerToml(configPath) {
  let text = readFileSync(join(root, "wrangler.toml"), "utf8");
  const swap = (re, value, what) => {
    if (!re.test(text)) throw new Error(`wrangler.toml: cannot find ${what} to rewrite`);
    text = text.replace(re, value);
  };
  swap(/^main\s*=\s*"[^"]*"/m, `main = ${JSON.stringify(join(root, "src/index.ts"))}`, "main");
  swap(/^migrations_dir\s*=\s*"[^"]*"/m, `migrations_dir = ${JSON.stringify(join(root, "migrations"))}`, "migrations_dir");
  swap(/^"vigil-config"\s*=\s*"[^"]*"/m, `"vigil-config" = ${JSON.stringify(configPath)}`, "the vigil-config alias");
  return text;
}

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once("error", rej);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

/**
 * Starts a seeded `wrangler dev`.
 * @param {{ configSource: string, seedSql: string, vars: Record<string, string>, readyTimeoutMs?: number }} options
 *   `configSource`: the text of the config module (aliased as `vigil-config`).
 * @returns {Promise<{ url: string, dir: string, logs: () => string, stop: () => Promise<void> }>}
 */
export async function startStatusServer(options) {
  // 1.
  const dir = mkdtempSync(join(tmpdir(), "vigil-status-"));
  const configPath = join(dir, "vigil.config.ts");
  const seedPath = join(dir, "seed.sql");
  writeFileSync(configPath, options.configSource);
  writeFileSync(seedPath, options.seedSql);
  const persist = join(dir, "state");
  // `wrangler dev` 4.86 ignores `--alias` (only `deploy` reads it), so the config module is
  // swapped in a copy of wrangler.toml whose relative paths are made absolute.
  const wranglerConfig = join(dir, "wrangler.toml");
  writeFileSync(wranglerConfig, projectWranglerToml(configPath));
  const cfg = ["--config", wranglerConfig];
  try {
    // 2.
    await runWrangler(["d1", "migrations", "apply", "DB", "--local", "--persist-to", persist, ...cfg], "wrangler d1 migrations apply");
    await runWrangler(["d1", "execute", "DB", "--local", "--persist-to", persist, "--file", seedPath, "--yes", ...cfg], "wrangler d1 execute (seed)");
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  // 3.
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const vars = Object.entries(options.vars).flatMap(([k, v]) => ["--var", `${k}:${v}`]);
  const child = spawn(
    wrangler,
    ["dev", ...cfg, "--port", String(port), "--ip", "127.0.0.1", "--persist-to", persist, "--show-interactive-dev-session=false", "--log-level", "warn", ...vars],
    { cwd: root, env: quietEnv(), stdio: ["ignore", "pipe", "pipe"], detached: true },
  );
  let logs = "";
  child.stdout.on("data", (d) => (logs += d));
  child.stderr.on("data", (d) => (logs += d));
  let exited = null;
  child.on("exit", (code) => (exited = code));

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

  const deadline = Date.now() + (options.readyTimeoutMs ?? 90_000);
  for (;;) {
    if (exited !== null) {
      await stop();
      throw new Error(`wrangler dev exited (${exited}) before it was ready:\n${logs.slice(-4000)}`);
    }
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) break;
      if (res.status === 500) {
        const body = await res.text();
        await stop();
        throw new Error(`the fixture config is invalid: ${body}`);
      }
    } catch (err) {
      if (err instanceof Error && err.message.startsWith("the fixture config")) throw err;
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`wrangler dev did not answer /health within ${options.readyTimeoutMs ?? 90_000} ms:\n${logs.slice(-4000)}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { url, dir, logs: () => logs, stop };
}
