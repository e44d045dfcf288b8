#!/usr/bin/env node
/**
 * `npm run bench:agent`: the host agent's resident memory and CPU per cycle against a bare
 * `node -e` process, printed as a markdown table with ratios.
 *
 * 1. Bring up the engine (scripts/podman-setup.sh) and one container to watch; a loopback
 *    sink that answers every report 202.
 * 2. Bare node: `node -e "setInterval(() => {}, 1000)"`, RSS after it settles.
 * 3. The bundled agent (`run`, interval BENCH_INTERVAL, default 5s) with docker + postgres +
 *    redis + host checks (BENCH_CHECKS to choose) pushing to the sink. After BENCH_WARMUP reports (default 2), CPU
 *    (user + system, from /proc/<pid>/stat) is read at each report for BENCH_CYCLES cycles
 *    (default 10); RSS (VmRSS) is sampled at each report and the highest value kept.
 * Goals (issue 5): RSS ≤ 1.3× bare node, CPU ≤ 15 ms per cycle. Linux only (/proc).
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { cpus, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const bundle = join(root, "dist/agent/vigil-agent.mjs");
const cycles = Number(process.env.BENCH_CYCLES ?? 10);
const warmup = Number(process.env.BENCH_WARMUP ?? 2);
const interval = process.env.BENCH_INTERVAL ?? "5s";
/** Which checks run (comma-separated kinds); default all four. For finding where the time goes. */
const kinds = (process.env.BENCH_CHECKS ?? "docker,postgres,redis,host").split(",");
const pgUrl = process.env.VIGIL_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const redisUrl = process.env.VIGIL_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const CONTAINER = "vigil-bench-app";
const PODMAN = ["--runtime", "runc", "--cgroup-manager", "cgroupfs", "--events-backend", "file"];
const CLK_TCK = 100; // USER_HZ on Linux

/** RSS in KiB from /proc/<pid>/status. */
const rssKiB = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]);
/** utime + stime in ms from /proc/<pid>/stat (fields 14 and 15, after the command name). */
function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// 1. Engine, container, sink.
const socket = execFileSync("bash", [join(root, "scripts/podman-setup.sh")], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim().split("\n").at(-1);
execFileSync("podman", [...PODMAN, "rm", "-f", "-t", "0", CONTAINER], { stdio: "ignore" });
execFileSync("podman", [...PODMAN, "run", "-d", "--name", CONTAINER, "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", "--network", "none", "--stop-timeout", "1", "localhost/vigil-busybox:latest", "sleep", "3600"], { stdio: "ignore" });

let received = 0;
const waiters = [];
const sink = createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    received++;
    res.writeHead(202).end("{}");
    for (const w of waiters.splice(0)) w();
  });
});
await new Promise((r) => sink.listen(0, "127.0.0.1", r));
const sinkUrl = `http://127.0.0.1:${sink.address().port}`;
const untilReports = async (n) => {
  while (received < n) await new Promise((r) => waiters.push(r));
};

// 2. Bare node.
const bare = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
await sleep(2000);
let bareRss = 0;
for (let i = 0; i < 5; i++) {
  bareRss = Math.max(bareRss, rssKiB(bare.pid));
  await sleep(200);
}
bare.kill();

// 3. The agent.
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
    checks: [
      { kind: "docker", container: CONTAINER },
      { kind: "postgres", url: pgUrl },
      { kind: "redis", url: redisUrl },
      { kind: "host" },
    ].filter((c) => kinds.includes(c.kind)),
  }),
);
const nodeFlags = (process.env.BENCH_NODE_FLAGS ?? "").split(" ").filter(Boolean);
const agent = spawn(process.execPath, [...nodeFlags, bundle, "run", "--config", configFile], {
  env: { ...process.env, BENCH_AGENT_SECRET: "bench-agent-secret-0123456789" },
  stdio: ["ignore", "ignore", "inherit"],
});
await untilReports(warmup);
const cpu0 = cpuMs(agent.pid);
let agentRss = rssKiB(agent.pid);
const perCycle = [];
let last = cpu0;
for (let i = 1; i <= cycles; i++) {
  await untilReports(warmup + i);
  const now = cpuMs(agent.pid);
  perCycle.push(now - last);
  last = now;
  agentRss = Math.max(agentRss, rssKiB(agent.pid));
}
const cpuPerCycle = (last - cpu0) / cycles;
agent.kill("SIGTERM");
await new Promise((r) => agent.on("close", r));
sink.close();
execFileSync("podman", [...PODMAN, "rm", "-f", "-t", "0", CONTAINER], { stdio: "ignore" });
rmSync(dir, { recursive: true, force: true });

// 4. Table.
const mib = (k) => (k / 1024).toFixed(1);
const rssRatio = agentRss / bareRss;
const ok = (b) => (b ? "met" : "NOT met");
const sorted = [...perCycle].sort((a, b) => a - b);
console.log(`\nAgent benchmark — Node ${process.version}${nodeFlags.length ? ` (agent run with ${nodeFlags.join(" ")})` : ""}, ${cpus().length} cores, ${cycles} cycles of ${kinds.join("+")} every ${interval}, pushed to a loopback sink\n`);
console.log("| process | peak RSS (MiB) | CPU per cycle (ms) | ratio to bare node | goal |");
console.log("|---|---:|---:|---:|---|");
console.log(`| bare \`node -e\` | ${mib(bareRss)} | (idle) | 1.00 | |`);
console.log(`| vigil-agent run | ${mib(agentRss)} | ${cpuPerCycle.toFixed(1)} (median ${sorted[Math.floor(sorted.length / 2)].toFixed(0)}, max ${sorted.at(-1).toFixed(0)}) | RSS ${rssRatio.toFixed(2)}×; CPU ${(cpuPerCycle / 15).toFixed(2)}× the 15 ms budget | RSS ≤ 1.3×: ${ok(rssRatio <= 1.3)}; CPU ≤ 15 ms: ${ok(cpuPerCycle <= 15)} |`);
console.log(`\nCPU is utime+stime from /proc (10 ms ticks; the mean over ${cycles} cycles is finer than one tick).`);
