#!/usr/bin/env node
// `npm start`: everything needed to run Vigil locally, from a fresh clone.
//
// 1. Install dependencies if missing.
// 2. Make sure .dev.vars has an admin token (and the shared secrets the config names), generating
//    what is missing. Secrets are written to .dev.vars, never printed.
// 3. Start the demo target (scripts/demo-target.mjs) on $VIGIL_DEMO_PORT (default PORT + 10) and
//    the local notification receiver (scripts/local-receiver.mjs) on $VIGIL_RECEIVER_PORT
//    (default PORT + 11); the default config watches the one and notifies the other.
// 4. Load the config ($VIGIL_CONFIG, default vigil.config.ts) as a validated snapshot that is
//    reloaded on every save; an invalid edit is refused and the last valid one keeps running
//    (scripts/live-config.mjs).
// 5. Apply the D1 migrations to the local database ($VIGIL_STATE_DIR, default .wrangler/state),
//    in one line.
// 6. Run the worker on $PORT (default 8787) through a generated .vigil/start-<PORT>/wrangler.toml,
//    with the inspector off unless `--inspect` (scripts/worker-process.mjs), its output narrated
//    (scripts/narrate.mjs; VIGIL_VERBOSE=1 shows all of it) and repeated lines counted
//    (scripts/log-limit.mjs). VIGIL_WATCH=0: no reload on file changes.
// 7. Fire the cron trigger once when ready and then at every minute.
// 8. Keys: d switches the demo target off and on, q quits.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { appendFileSync, existsSync, mkdirSync, rmSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import { startDemoTarget } from "./demo-target.mjs";
import { ensureDeps, maskPingKeys, root, writeDevWranglerConfig } from "./lib.mjs";
import { createLiveConfig } from "./live-config.mjs";
import { clock, createNarrator } from "./narrate.mjs";
import { spawnWorker } from "./worker-process.mjs";

const say = (line) => console.log(line);
const fail = (line) => {
  console.error(`vigil: ${line}`);
  process.exit(1);
};
const portFrom = (name, fallback) => {
  const value = process.env[name] ?? String(fallback);
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) fail(`${name} must be a port number from 1 to 65535, got "${value}"`);
  return n;
};
const port = portFrom("PORT", 8787);
const demoPort = portFrom("VIGIL_DEMO_PORT", port + 10 <= 65535 ? port + 10 : port - 10);
const receiverPort = portFrom("VIGIL_RECEIVER_PORT", port + 11 <= 65535 ? port + 11 : port - 11);
const configPath = resolve(process.env.VIGIL_CONFIG ?? "vigil.config.ts");
if (!existsSync(configPath)) fail(`config file not found: ${configPath} (set VIGIL_CONFIG or create vigil.config.ts)`);
const configName = relative(process.cwd(), configPath) || configPath;
const selfUrl = `http://127.0.0.1:${port}`;
const verbose = /^(1|true|yes)$/i.test(process.env.VIGIL_VERBOSE ?? "");

// 1. (What needs the dependencies is imported after.)
await ensureDeps();
const { readVars } = await import("./dev-vars.mjs");
const { startReceiver } = await import("./local-receiver.mjs");

// Stopping: wrangler first (its exit ends the rest), or, before it runs, everything at once.
/** @type {import("node:child_process").ChildProcess | null} */
let dev = null;
let stopping = false;
/** The live config (step 4), and its folder `.vigil/start-<PORT>`, removed at the end (it is made anew at every start). */
let live = null;
let workDir = null;
/** @type {{ close(): Promise<void> }[]} */
const servers = [];
let timer;
async function shutdown(code) {
  clearTimeout(timer);
  live?.close();
  await Promise.all(servers.map((s) => s.close()));
  if (workDir) rmSync(workDir, { recursive: true, force: true });
  process.exit(code);
}
const stop = () => {
  if (stopping) return;
  stopping = true;
  say("vigil: stopping");
  if (process.stdin.isTTY) process.stdin.setRawMode(false);
  if (dev && dev.exitCode === null) dev.kill("SIGINT");
  else void shutdown(130);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);

// 2.
// VIGIL_VARS_FILE: the secrets file elsewhere (a service keeps it beside its state: docs/single-machine.md).
const devVars = resolve(process.env.VIGIL_VARS_FILE ?? resolve(root, ".dev.vars"));
/** How the lines below name the secrets file: `.dev.vars`, or the path VIGIL_VARS_FILE gave. */
const varsName = process.env.VIGIL_VARS_FILE ? devVars : ".dev.vars";
mkdirSync(dirname(devVars), { recursive: true });
function addVar(name, value, why) {
  appendFileSync(devVars, `${existsSync(devVars) ? "" : "# Local secrets for `wrangler dev` (git-ignored).\n"}${name}=${value}\n`, {
    mode: 0o600,
  });
  say(`vigil: generated ${name} in ${varsName} (${why})`);
}
if (!readVars(devVars).get("VIGIL_ADMIN_TOKEN"))
  addVar("VIGIL_ADMIN_TOKEN", randomBytes(24).toString("hex"), "admin API bearer token; read it there");

// 3.
const listenOrFail = async (what, envName, start) => {
  try {
    return await start();
  } catch (err) {
    fail(`could not start the ${what}: ${err.code === "EADDRINUSE" ? "its port is in use" : err.message} (set ${envName} to another port)`);
  }
};
const demo = await listenOrFail("demo target", "VIGIL_DEMO_PORT", () =>
  startDemoTarget({
    port: demoPort,
    onChange: (up, how) =>
      say(`${clock()} demo target switched ${up ? "on" : "off"}${how ? ` (${how})` : ""}; Vigil probes it every few seconds`),
  }),
);
/** The env var holding the local receiver's secret, once the config names it. */
let receiverSecretName = null;
servers.push(demo);
const receiver = await listenOrFail("local notification receiver", "VIGIL_RECEIVER_PORT", () =>
  startReceiver({
    port: receiverPort,
    secret: () => (receiverSecretName ? (readVars(devVars).get(receiverSecretName) ?? process.env[receiverSecretName]) : undefined),
    print: (line) => say(`${clock()} ⇢ ${line}`),
  }),
);
servers.push(receiver);

// 4.
const vars = { VIGIL_SELF_URL: selfUrl, VIGIL_DEMO_URL: demo.url, VIGIL_LOCAL_WEBHOOK_URL: receiver.url };
const env = () => ({ ...Object.fromEntries(readVars(devVars)), ...process.env, ...vars });
let usesDemo = false;
const startDir = resolve(root, ".vigil", `start-${port}`);
workDir = startDir;
live = createLiveConfig({
  configPath,
  dir: startDir,
  env,
  onLoaded: ({ hash, config, first }) => {
    const webhook = config.channels.find((c) => c.type === "webhook" && typeof c.url === "string" && c.url.startsWith(receiver.url));
    receiverSecretName = webhook?.secret?.env ?? null;
    usesDemo = config.monitors.some((m) => typeof m.url === "string" && m.url.startsWith(demo.url));
    const what = `${config.services.length} services, ${config.monitors.length} monitors`;
    if (!first) say(`${clock()} ${configName} reloaded: config ${hash} is live (${what})`);
    else say(`vigil: ${configName} is valid: config ${hash} (${what})`);
  },
  onRefused: ({ hash, problems, live: current }) => {
    console.error(
      `${clock()} ${configName} refused (config ${hash}, ${problems.length} problem${problems.length === 1 ? "" : "s"}); config ${current.hash} from ${clock(Date.parse(current.loadedAt))} keeps running:`,
    );
    for (const p of problems) console.error(`    ${p}`);
  },
  onRestored: ({ hash }) => say(`${clock()} ${configName} is config ${hash} again, the one running; nothing refused`),
});
let problems = await live.load();
// Shared secrets (a webhook's signing secret, an agent's) are made here; a receiver or an agent
// is given the same value. Secrets of other services (API keys, tokens) are the user's to set.
const missingShared = problems.map((p) => /environment variable (\w*_SECRET) is not set/.exec(p)?.[1]).filter(Boolean);
// Secrets Vigil itself checks whatever their name (an agent's key, a job's ping key, the page token).
const missingOwn = problems
  .map((p) => /^(?:agents\[\d+\]\.secret|jobs\[\d+\]\.key|statusPage\.token): environment variable (\w+) is not set/.exec(p)?.[1])
  .filter(Boolean);
if (missingShared.length > 0 || missingOwn.length > 0) {
  for (const name of new Set(missingShared)) {
    if (name.endsWith("WEBHOOK_SECRET"))
      addVar(name, `whsec_${randomBytes(24).toString("base64")}`, "webhook signing secret; a receiver verifies with the same value");
    else addVar(name, randomBytes(32).toString("hex"), "shared secret; give the same value to the agent or job that uses it");
  }
  for (const name of new Set(missingOwn.filter((n) => !missingShared.includes(n))))
    addVar(name, randomBytes(24).toString("hex"), "named by the config; read it there");
  problems = await live.load();
}
if (problems.length > 0) {
  console.error(`vigil: ${configName} is invalid (${problems.length} problem${problems.length === 1 ? "" : "s"}):`);
  for (const p of problems) console.error(`  ${p}`);
  process.exit(1);
}

// 5.
const wrangler = resolve(root, "node_modules/.bin/wrangler");
const wranglerEnv = {
  ...process.env,
  // No update banner, no telemetry notice, no attempt to fetch Request.cf from the internet.
  WRANGLER_HIDE_BANNER: "true",
  WRANGLER_SEND_METRICS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: process.env.CLOUDFLARE_CF_FETCH_ENABLED ?? "false",
};
const stateDir = resolve(process.env.VIGIL_STATE_DIR ?? resolve(root, ".wrangler/state"));
const local = ["--config", writeDevWranglerConfig(live.path, startDir), "--persist-to", stateDir, "--env-file", devVars];
{
  const out = await capture(wrangler, ["d1", "migrations", "apply", "DB", "--local", ...local], { ...wranglerEnv, CI: "true" });
  if (out.code !== 0) {
    console.error(out.text);
    fail(`the database migrations failed (exit ${out.code}); see above`);
  }
  const applied = /About to apply (\d+) migration/.exec(out.text)?.[1];
  const where = stateDir.startsWith(root) ? relative(root, stateDir) : stateDir;
  say(`vigil: database ${where}: ${applied ? `${applied} migration${applied === "1" ? "" : "s"} applied` : "up to date"}`);
}

// 6.
// Through wrangler's API with the inspector off, unless `npm start -- --inspect`
// (scripts/worker-process.mjs: the CLI's inspector proxy exhausts workerd's file descriptors
// at scale); the output narrated, then repeated lines counted (scripts/log-limit.mjs).
const narrate = createNarrator({ verbose });
dev = await spawnWorker({
  toml: local[1],
  port,
  persist: stateDir,
  envFile: devVars,
  vars,
  env: wranglerEnv,
  inspect: process.argv.includes("--inspect"),
  watch: process.env.VIGIL_WATCH !== "0",
  // Ping keys masked first: wrangler logs every request's path (shown with VIGIL_VERBOSE=1).
  transform: (line) => narrate(maskPingKeys(line)),
});

// Whatever ends wrangler (Ctrl-C, q, a crash) ends npm start, with the servers beside it.
dev.on("exit", (code) => void shutdown(code ?? 0));

// 7.
/** How long the trigger waits for a tick: a tick runs its minute's probes, so ~60 s, and more
 *  when a probe that started late in the minute runs to its timeout. */
const TICK_TIMEOUT_MS = 150_000;
const fireCron = async () => {
  const minute = clock(Math.floor(Date.now() / 60_000) * 60_000).slice(0, 5);
  try {
    const res = await fetch(`${selfUrl}/__scheduled?cron=${encodeURIComponent("* * * * *")}`, {
      signal: AbortSignal.timeout(TICK_TIMEOUT_MS),
    });
    if (!res.ok) say(`${clock()} the tick of ${minute} failed: HTTP ${res.status} ${(await res.text()).split("\n")[0].slice(0, 200)}`);
  } catch (err) {
    if (stopping) return;
    if (err.name === "TimeoutError") say(`${clock()} the tick of ${minute} was still running after ${TICK_TIMEOUT_MS / 1000} s`);
    // A reload (a config saved) ends the tick in flight; the next minute's tick runs as usual.
    else say(`${clock()} the tick of ${minute} was cut short (${err.cause?.code ?? err.message}); the worker reloaded?`);
  }
};
const everyMinute = () => {
  timer = setTimeout(
    () => {
      void fireCron();
      everyMinute();
    },
    60_000 - (Date.now() % 60_000),
  );
};

const ready = await waitForHealth();
if (ready) {
  const status = live.status();
  say("");
  say(`Vigil is running: ${selfUrl}  (status page; admin API token: VIGIL_ADMIN_TOKEN in ${varsName})`);
  say(`  config   ${configName} (config ${status?.hash}): saved edits load live; an invalid one is refused and this one keeps running`);
  if (usesDemo) say(`  demo     ${demo.url}/health: press d to switch it off and on, or curl -X POST ${demo.url}/down (/up)`);
  if (receiverSecretName) say(`  alerts   ${receiver.url}: a local receiver checks each notification's signature and prints it here (⇢)`);
  say(`  ${process.stdin.isTTY ? "q or Ctrl-C quits" : "Ctrl-C quits"}; VIGIL_VERBOSE=1 shows wrangler's own output`);
  say("");
  void fireCron();
  everyMinute();
}

// 8.
if (process.stdin.isTTY) {
  process.stdin.setRawMode(true);
  process.stdin.resume();
  process.stdin.on("data", (key) => {
    const k = key.toString();
    if (k === "\u0003" || k === "q") stop();
    else if (k === "d") demo.set(!demo.isUp(), "key d");
  });
}

/** Runs a command with its output captured; resolves to `{ code, text }`. */
function capture(cmd, args, childEnv) {
  return new Promise((ok) => {
    const child = spawn(cmd, args, { cwd: root, env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
    let text = "";
    child.stdout.on("data", (d) => (text += d));
    child.stderr.on("data", (d) => (text += d));
    child.on("exit", (code, signal) => ok({ code: code ?? (signal ? 1 : 0), text }));
  });
}

/** Waits until /health answers 200 (true), or wrangler exits (false). */
async function waitForHealth() {
  while (dev.exitCode === null && !stopping) {
    try {
      const res = await fetch(`${selfUrl}/health`, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  return false;
}
