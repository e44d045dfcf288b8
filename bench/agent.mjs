#!/usr/bin/env node
/**
 * `npm run bench:agent`: the host agent's resident memory and CPU per cycle against a bare
 * `node -e` process, printed as a markdown table with ratios.
 *
 * 1. Bring up the engine (scripts/podman-setup.sh) and one container to watch; a loopback
 *    sink that answers every report 202.
 * 2. Bare node, default flags: `node -e "setInterval(() => {}, 1000)"`, the highest VmRSS of
 *    five samples after it settled.
 * 3. The bundled agent run as the shipped systemd unit runs it: the node flags (and any
 *    `Environment=`) of `ExecStart` in agent/vigil-agent.service, unless BENCH_NODE_FLAGS is
 *    set (then those flags instead; "" for none). `run` every BENCH_INTERVAL (default 5s) with
 *    docker + postgres + redis + host checks (BENCH_CHECKS to choose) pushing to the sink.
 *    - Warm-up: the first BENCH_WARMUP reports (default: those of the first 15 s, 4 at 5 s).
 *      They hold the start (modules, first connections, the config check in a child process)
 *      and V8's compaction of the start-up heap ~8 s in; their CPU is printed on its own.
 *    - Then BENCH_CYCLES cycles (default 20): CPU per cycle is the run time of all the
 *      agent's threads (/proc/<pid>/task/<tid>/schedstat, ns) between two reports; RSS
 *      (VmRSS) is sampled at each report and the highest value kept (VmHWM, the peak since
 *      the start, is printed beside it).
 * BENCH_LOCATIONS=1 makes the agent a private location too: `monitors` in its config, and the
 * sink answers each report with two monitors, parsed by the worker's own schema (an http one
 * against the sink's GET /health and a tcp one to its port), each every 10 s (a monitor's
 * shortest interval; every second cycle at the default BENCH_INTERVAL): the
 * agent then unpacks and runs the worker's probes (README, "Private locations").
 * BENCH_RUNS (default 1) repeats 2 and 3 and adds the median of the runs.
 * BENCH_BUNDLE runs another bundle than dist/agent/vigil-agent.mjs (one built from other code,
 * to compare).
 * Goals (issue 20): peak RSS (VmHWM) ≤ 64 MiB, CPU ≤ 15 ms per cycle. Linux only (/proc).
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const bundle = resolve(process.env.BENCH_BUNDLE ?? join(root, "dist/agent/vigil-agent.mjs"));
const interval = process.env.BENCH_INTERVAL ?? "5s";
const intervalMs = Number(/^(\d+)s$/.exec(interval)?.[1] ?? Number.NaN) * 1000 || Number(/^(\d+)m$/.exec(interval)?.[1]) * 60_000;
if (!intervalMs) throw new Error(`BENCH_INTERVAL: expected "<n>s" or "<n>m", got "${interval}"`);
const cycles = Number(process.env.BENCH_CYCLES ?? 20);
const warmup = Number(process.env.BENCH_WARMUP ?? Math.max(2, Math.ceil(15_000 / intervalMs) + 1));
const runs = Number(process.env.BENCH_RUNS ?? 1);
/** Which checks run (comma-separated kinds); default all four. For finding where the time goes. */
const kinds = (process.env.BENCH_CHECKS ?? "docker,postgres,redis,host").split(",");
const pgUrl = process.env.VIGIL_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const redisUrl = process.env.VIGIL_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const CONTAINER = "vigil-bench-app";
const PODMAN = ["--runtime", "runc", "--cgroup-manager", "cgroupfs", "--events-backend", "file"];
const CLK_TCK = 100; // USER_HZ on Linux
const locations = process.env.BENCH_LOCATIONS === "1";
const GOAL_HWM_KIB = 64 * 1024;

/** Node flags and environment of the agent as agent/vigil-agent.service starts it. */
function unitCommand() {
  const unit = readFileSync(join(root, "agent/vigil-agent.service"), "utf8");
  const exec = /^ExecStart=(.*)$/m.exec(unit)?.[1]?.trim().split(/\s+/) ?? [];
  const script = exec.findIndex((a) => a.endsWith("vigil-agent.mjs"));
  if (script < 1) throw new Error("agent/vigil-agent.service: no ExecStart=… vigil-agent.mjs run line");
  const env = {};
  for (const [, line] of unit.matchAll(/^Environment=(.*)$/gm)) {
    for (const [, k, v] of line.matchAll(/"?([A-Za-z_][A-Za-z0-9_]*)=([^"\s]*)"?/g)) env[k] = v;
  }
  return { flags: exec.slice(1, script), env };
}
const unit = unitCommand();
const asUnit = process.env.BENCH_NODE_FLAGS === undefined;
const nodeFlags = asUnit ? unit.flags : process.env.BENCH_NODE_FLAGS.split(" ").filter(Boolean);
const agentEnv = asUnit ? unit.env : {};

/** VmRSS / VmHWM in KiB from /proc/<pid>/status. */
const status = (pid, key) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]);
/** Where resident memory is, KiB: anonymous (heaps, JIT code) and file-backed (the node binary's pages in use). */
const rssSplit = (pid) => ({ anon: status(pid, "RssAnon"), file: status(pid, "RssFile") });
/** Run time of all the process's threads, ms (schedstat: ns on the CPU). */
function runMs(pid) {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
    } catch {
      /* the thread ended */
    }
  }
  return ns / 1e6;
}
/** utime + stime in ms from /proc/<pid>/stat (10 ms ticks; includes ended threads): the cross-check. */
function tickMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// 1. Engine, container, sink.
const socket = execFileSync("bash", [join(root, "scripts/podman-setup.sh")], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] })
  .trim()
  .split("\n")
  .at(-1);
execFileSync("podman", [...PODMAN, "rm", "-f", "-t", "0", CONTAINER], { stdio: "ignore" });
execFileSync(
  "podman",
  [
    ...PODMAN,
    "run",
    "-d",
    "--name",
    CONTAINER,
    "--ulimit",
    "nofile=1024:1024",
    "--ulimit",
    "nproc=1024:1024",
    "--network",
    "none",
    "--stop-timeout",
    "1",
    "localhost/vigil-busybox:latest",
    "sleep",
    "3600",
  ],
  { stdio: "ignore" },
);

let received = 0;
const waiters = [];
let answer = "{}";
const sink = createServer((req, res) => {
  if (req.method === "GET") return void res.writeHead(200, { "content-type": "text/plain" }).end("ok");
  req.resume();
  req.on("end", () => {
    received++;
    res.writeHead(202, { "content-type": "application/json" }).end(answer);
    for (const w of waiters.splice(0)) w();
  });
});
await new Promise((r) => sink.listen(0, "127.0.0.1", r));
const sinkUrl = `http://127.0.0.1:${sink.address().port}`;
if (locations) answer = JSON.stringify({ accepted: true, monitors: await locationMonitors(sink.address().port) });

/** The monitors the sink hands the agent, as the worker parses them (src/probes/kinds.ts, bundled here by esbuild). */
async function locationMonitors(port) {
  const { build } = await import("esbuild");
  const out = await build({
    stdin: { contents: 'export { monitorSpec } from "./src/probes/kinds.ts";', resolveDir: root, loader: "ts" },
    bundle: true,
    external: ["cloudflare:sockets"],
    platform: "node",
    format: "esm",
    write: false,
    logLevel: "warning",
  });
  const file = join(mkdtempSync(join(tmpdir(), "vigil-bench-spec-")), "spec.mjs");
  writeFileSync(file, out.outputFiles[0].contents);
  const { monitorSpec } = await import(file);
  const common = { service: "bench", interval: "10s", timeout: "2s", locations: ["agent:bench"] };
  return [
    { ...common, id: "bench-http", type: "http", url: `${sinkUrl}/health`, keyword: "ok" },
    { ...common, id: "bench-tcp", type: "tcp", host: "127.0.0.1", port },
  ].map((m) => JSON.parse(JSON.stringify(monitorSpec.parse(m))));
}
const untilReports = async (n) => {
  while (received < n) await new Promise((r) => waiters.push(r));
};

async function bareNode() {
  const bare = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
  await sleep(2000);
  let rss = 0;
  for (let i = 0; i < 5; i++) {
    rss = Math.max(rss, status(bare.pid, "VmRSS"));
    await sleep(200);
  }
  const split = rssSplit(bare.pid);
  bare.kill();
  return { rss, split };
}

async function agentRun() {
  const dir = mkdtempSync(join(tmpdir(), "vigil-bench-agent-"));
  const configFile = join(dir, "agent.config.json");
  writeFileSync(
    configFile,
    JSON.stringify({
      agent: { id: "bench", hostname: "bench" },
      worker: { url: sinkUrl, secret: { env: "BENCH_AGENT_SECRET" } },
      interval,
      stateDir: join(dir, "state"),
      docker: { socket },
      logLevel: "warn",
      ...(locations && { monitors: { secrets: [] } }),
      checks: [
        { kind: "docker", container: CONTAINER },
        { kind: "postgres", url: pgUrl },
        { kind: "redis", url: redisUrl },
        { kind: "host" },
      ].filter((c) => kinds.includes(c.kind)),
    }),
  );
  received = 0;
  const agent = spawn(process.execPath, [...nodeFlags, bundle, "run", "--config", configFile], {
    env: { ...process.env, ...agentEnv, BENCH_AGENT_SECRET: "bench-agent-secret-0123456789" },
    stdio: ["ignore", "ignore", "inherit"],
  });
  try {
    await untilReports(warmup);
    const startup = runMs(agent.pid);
    const ticks0 = tickMs(agent.pid);
    let rss = status(agent.pid, "VmRSS");
    const perCycle = [];
    let last = startup;
    for (let i = 1; i <= cycles; i++) {
      await untilReports(warmup + i);
      const now = runMs(agent.pid);
      perCycle.push(now - last);
      last = now;
      rss = Math.max(rss, status(agent.pid, "VmRSS"));
    }
    return {
      rss,
      split: rssSplit(agent.pid),
      hwm: status(agent.pid, "VmHWM"),
      startup,
      perCycle,
      mean: (last - startup) / cycles,
      tickMean: (tickMs(agent.pid) - ticks0) / cycles,
    };
  } finally {
    agent.kill("SIGTERM");
    await new Promise((r) => agent.on("close", r));
    rmSync(dir, { recursive: true, force: true });
  }
}

// 2 and 3, BENCH_RUNS times.
const results = [];
const loads = [loadavg()[0]];
for (let r = 0; r < runs; r++) {
  const bare = await bareNode();
  const agent = await agentRun();
  results.push({ bare: bare.rss, bareSplit: bare.split, ...agent });
  loads.push(loadavg()[0]);
}
sink.close();
execFileSync("podman", [...PODMAN, "rm", "-f", "-t", "0", CONTAINER], { stdio: "ignore" });

// 4. Table.
const mib = (k) => (k / 1024).toFixed(1);
const ok = (b) => (b ? "met" : "NOT met");
const how = asUnit
  ? `as agent/vigil-agent.service runs it: node ${[...Object.entries(agentEnv).map(([k, v]) => `${k}=${v}`), ...nodeFlags].join(" ") || "(no flags)"}`
  : `with BENCH_NODE_FLAGS: node ${nodeFlags.join(" ") || "(no flags)"}`;
console.log(
  `\nAgent benchmark — Node ${process.version}, ${cpus().length} cores, load average ${loads.map((l) => l.toFixed(2)).join(" → ")}`,
);
console.log(
  `agent ${how}; ${kinds.join("+")} every ${interval}${locations ? ", plus an http and a tcp monitor every 10s as a private location" : ""}, pushed to a loopback sink; ${warmup} warm-up reports, then ${cycles} cycles${runs > 1 ? `; ${runs} runs` : ""}\n`,
);
console.log(
  "| run | bare `node -e` RSS | agent peak RSS (VmHWM) | RSS ratio | CPU per cycle: mean (median, max) | start + warm-up CPU | goal peak RSS ≤ 64 MiB | goal CPU ≤ 15 ms |",
);
console.log("|---|---:|---:|---:|---:|---:|---|---|");
for (const [i, r] of results.entries()) {
  const ratio = r.rss / r.bare;
  console.log(
    `| ${i + 1} | ${mib(r.bare)} MiB | ${mib(r.rss)} MiB (${mib(r.hwm)}) | ${ratio.toFixed(2)}× | ${r.mean.toFixed(1)} ms (${median(r.perCycle).toFixed(1)}, ${Math.max(...r.perCycle).toFixed(1)}) | ${r.startup.toFixed(0)} ms | ${ok(r.hwm <= GOAL_HWM_KIB)} | ${ok(r.mean <= 15)} |`,
  );
}
if (runs > 1) {
  const ratio = median(results.map((r) => r.rss / r.bare));
  const mean = median(results.map((r) => r.mean));
  console.log(
    `| median | ${mib(median(results.map((r) => r.bare)))} MiB | ${mib(median(results.map((r) => r.rss)))} MiB (${mib(median(results.map((r) => r.hwm)))}) | ${ratio.toFixed(2)}× | ${mean.toFixed(1)} ms (${median(results.map((r) => median(r.perCycle))).toFixed(1)}, ${median(results.map((r) => Math.max(...r.perCycle))).toFixed(1)}) | ${median(results.map((r) => r.startup)).toFixed(0)} ms | ${ok(median(results.map((r) => r.hwm)) <= GOAL_HWM_KIB)} | ${ok(mean <= 15)} |`,
  );
}
console.log(
  `\nResident memory at the end (anonymous + file-backed): bare node ${results.map((r) => `${mib(r.bareSplit.anon)} + ${mib(r.bareSplit.file)}`).join(", ")} MiB; agent ${results.map((r) => `${mib(r.split.anon)} + ${mib(r.split.file)}`).join(", ")} MiB.`,
);
console.log(
  `CPU: run time of all the agent's threads (schedstat, ns). Cross-check, utime+stime in 10 ms ticks: ${results.map((r) => `${r.tickMean.toFixed(1)} ms`).join(", ")} per cycle.`,
);
