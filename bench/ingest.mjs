#!/usr/bin/env node
/**
 * `npm run bench:ingest`: signed agent reports against a local `wrangler dev`, and dead-man
 * lateness for agents going silent.
 *
 * 1. Start a throw-away `wrangler dev` (scripts/dev-server.mjs) on a free port with
 *    bench/ingest.config.ts as `vigil-config`, the secrets as `--var`s, serving a snapshot
 *    bundle so edits to src/ during the run do not restart it mid-measurement; its local D1
 *    and Durable Object state in tmpfs (BENCH_STATE_DIR overrides).
 * 2. For each path in BENCH_PATHS (default proxy,runtime: the URL wrangler dev prints, which
 *    is its dev-only proxy, and the workerd socket behind it): GET /health as the ceiling,
 *    then for each N in BENCH_PARALLEL (default 10,50,100), N agents each send signed reports
 *    back to back (seq 1, 2, …; 3 checks each) for BENCH_SECONDS (default 10 s): reports/s,
 *    latency p50/p99 (client-side, send → answer), and server CPU per request read from /proc.
 * 3. Dead-man: BENCH_SILENT (default 500) fresh agents with a BENCH_GRACE (default 30 s) grace
 *    report twice and go silent together. Lateness = when the object wrote "down" minus its
 *    deadline (both from the object's clock), read back from GET /v1/agents/:id.
 * Prints a markdown table. Every request has a timeout.
 */
import { createHmac } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import http from "node:http";
import { cpus, loadavg } from "node:os";
import { startDevServer } from "../scripts/dev-server.mjs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import pLimit from "p-limit";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const SECRET = "bench-agent-secret-8c1f0e2d7a6b5c4d";
const ADMIN = "bench-admin-token-0123456789abcdef";
const parallels = (process.env.BENCH_PARALLEL ?? "10,50,100").split(",").map(Number);
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const silent = Number(process.env.BENCH_SILENT ?? 500);
const graceText = process.env.BENCH_GRACE ?? "30s";
const graceMs = Number(/^(\d+)s$/.exec(graceText)?.[1] ?? NaN) * 1000;
if (!Number.isFinite(graceMs)) throw new Error(`BENCH_GRACE: expected whole seconds like "30s", got "${graceText}"`);
const paths = (process.env.BENCH_PATHS ?? "proxy,runtime").split(",");
const totalAgents = Math.max(...parallels) * parallels.length * paths.length + silent;

/** Signs like the agent does (node:crypto: the client must not be what limits the server). */
function sign(body, t) {
  return `t=${t},v1=${createHmac("sha256", SECRET).update(`${t}.${body}`).digest("hex")}`;
}

// Keep-alive HTTP/1.1 from node:http: a lean client, so the server is what is measured.
const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 256 });
/**
 * One request; resolves with status and body text; every request has a timeout. A kept-alive
 * socket that the server closed just as it was reused is retried (up to 3 times) on a new one (Node's
 * documented `reusedSocket` pattern).
 */
function request(url, { method = "GET", headers = {}, body, timeoutMs = 10_000 } = {}, retried = 0) {
  return new Promise((ok, fail) => {
    const req = http.request(url, { method, headers, agent: httpAgent, timeout: timeoutMs }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (text += d));
      res.on("end", () => ok({ status: res.statusCode, text }));
      res.on("error", fail);
    });
    req.on("timeout", () => req.destroy(new Error(`${method} ${url}: no answer within ${timeoutMs} ms`)));
    req.on("error", (err) => {
      if (req.reusedSocket && err.code === "ECONNRESET" && retried < 3) ok(request(url, { method, headers, body, timeoutMs }, retried + 1));
      else
        fail(
          Object.assign(new Error(`${method} ${url}: ${err.message}${req.reusedSocket ? " (kept-alive socket)" : ""}`), { code: err.code }),
        );
    });
    req.end(body);
  });
}

function report(agentId, seq) {
  const now = new Date().toISOString();
  return JSON.stringify({
    agent: { id: agentId, version: "bench", hostname: `host-${agentId}` },
    seq,
    sentAt: now,
    intervalSeconds: 30,
    checks: [
      { id: "docker:app", kind: "docker", status: "ok", summary: "running", observedAt: now, durationMs: 3, metrics: { restartCount: 0 } },
      {
        id: "postgres:main",
        kind: "postgres",
        status: "ok",
        summary: "accepting connections",
        observedAt: now,
        durationMs: 5,
        metrics: { connections: 12 },
      },
      {
        id: "host:disk",
        kind: "host",
        status: seq % 50 === 0 ? "warn" : "ok",
        summary: "disk 61 %",
        observedAt: now,
        durationMs: 1,
        metrics: { diskPercent: 61 },
      },
    ],
  });
}

let base;
let restarts = 0;
/** Sends one report; a 503 from a dev-server restart is retried with the same seq (idempotent). */
async function send(agentId, seq, timeoutMs = 10_000) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await sendOnce(agentId, seq, timeoutMs, attempt > 1);
    } catch (err) {
      if (!(err instanceof Restarted) || attempt >= 3) throw err;
      restarts++;
    }
  }
}
class Restarted extends Error {}
async function sendOnce(agentId, seq, timeoutMs, retry) {
  const body = report(agentId, seq);
  const started = performance.now();
  const res = await request(`${base}/v1/agents/${agentId}/reports`, {
    method: "POST",
    headers: { "content-type": "application/json", "vigil-signature": sign(body, Math.floor(Date.now() / 1000)) },
    body,
    timeoutMs,
  });
  const ms = performance.now() - started;
  if (res.status === 503 && res.text.includes("restarted")) throw new Restarted(res.text);
  if (res.status !== 202 && !(retry && res.status === 200)) throw new Error(`report ${agentId}#${seq}: ${res.status} ${res.text}`);
  return { ms, body: JSON.parse(res.text) };
}

const admin = async (path) => {
  const res = await request(`${base}/v1${path}`, { headers: { authorization: `Bearer ${ADMIN}` }, timeoutMs: 30_000 });
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${res.text}`);
  return JSON.parse(res.text);
};

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
const fmt = (ms) => `${ms.toFixed(1)} ms`;

/** `fn` over `items`, at most `limit` at once, results in order. */
const mapLimit = (items, limit, fn) => pLimit(limit).map(items, fn);

// 1. Start: a throw-away wrangler dev serving a snapshot bundle (scripts/dev-server.mjs).
const vars = {
  BENCH_AGENT_SECRET: SECRET,
  BENCH_WEBHOOK_SECRET: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  VIGIL_ADMIN_TOKEN: ADMIN,
  BENCH_AGENTS: String(totalAgents),
  BENCH_BUSY_AGENTS: String(totalAgents - silent),
  BENCH_SERVICES: process.env.BENCH_SERVICES ?? "10",
  BENCH_GRACE: graceText,
};
// Local D1 and Durable Object state are SQLite files that fsync on every write; on this VM's
// disk that wait, not the worker, set the pace. Cloudflare's storage is not this disk, so the
// state lives in tmpfs unless BENCH_STATE_DIR says otherwise.
const stateRoot = process.env.BENCH_STATE_DIR ?? (existsSync("/dev/shm") ? "/dev/shm" : undefined);
// The dev server runs through wrangler's API with the inspector off (scripts/dev-worker.mjs:
// the CLI always attaches it, at a cost per new object instance that 2 cores cannot spare);
// BENCH_INSPECTOR=on runs the `wrangler dev` CLI instead.
const inspector = process.env.BENCH_INSPECTOR === "on" ? undefined : false;
const dev = await startDevServer({
  configPath: join(root, "bench/ingest.config.ts"),
  vars,
  snapshot: true,
  logLevel: "warn",
  stateRoot,
  inspector,
});
base = dev.url;
process.on("exit", () => {
  try {
    process.kill(-dev.pid, "SIGKILL");
  } catch {}
});
for (const event of ["uncaughtException", "unhandledRejection"]) {
  process.on(event, (err) => {
    console.error(`wrangler dev output (last 4000 characters):\n${dev.logs().slice(-4000)}`);
    console.error(err);
    process.exit(1);
  });
}
process.on("SIGINT", () => process.exit(130));
process.on("SIGTERM", () => process.exit(130));
const health = JSON.parse((await request(`${base}/health`)).text);
if (health.agents !== totalAgents) throw new Error(`expected ${totalAgents} agents, /health says ${health.agents}`);

const rows = [];
let agentCursor = 0;

const runtime = await dev.runtime();
const targets = { proxy: dev.url, runtime: runtime?.url };
console.error(`wrangler dev: ${dev.url} (its dev proxy), runtime socket behind it: ${runtime?.url ?? "not found"}`);

/**
 * Server CPU (user + system) per request during a phase: the worker's workerd process, and
 * every process of the dev server (workerd runtime + proxy workerd + wrangler's Node). On a
 * shared machine this is steadier than throughput: CPU time is not inflated by waiting.
 */
const commOf = (pid) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").slice(0, 3).join(" ").slice(-60);
  } catch {
    return "?";
  }
};
function cpuMeter() {
  const before = dev.cpuMs();
  return (requests) => {
    const after = dev.cpuMs();
    let total = 0;
    for (const [pid, ms] of after) total += ms - (before.get(pid) ?? 0);
    const worker = runtime ? (after.get(runtime.pid) ?? 0) - (before.get(runtime.pid) ?? 0) : NaN;
    if (process.env.BENCH_CPU_DETAIL) {
      const parts = [...after].map(([pid, ms]) => [pid, ms - (before.get(pid) ?? 0)]).filter(([, d]) => d > 0);
      console.error(`  cpu by pid: ${parts.map(([pid, d]) => `${pid}(${commOf(pid)})=${d.toFixed(0)}ms`).join(" ")}`);
    }
    return `${(worker / requests).toFixed(2)} / ${(total / requests).toFixed(2)} ms`;
  };
}

for (const path of paths) {
  if (!targets[path]) throw new Error(`BENCH_PATHS: no URL for "${path}" (proxy, runtime)`);
  base = targets[path];
  const via = path === "proxy" ? "via wrangler dev's proxy" : "at the workerd socket behind it";

  // Baseline: the cheapest route through the same server (no crypto, no object, no D1),
  // with the same client concurrency: the ceiling this machine and dev server allow.
  {
    const n = Math.max(...parallels);
    const latencies = [];
    const stopAt = performance.now() + Math.min(seconds, 5) * 1000;
    const cpu = cpuMeter();
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: n }, async () => {
        while (performance.now() < stopAt) {
          const started = performance.now();
          await request(`${base}/health`);
          latencies.push(performance.now() - started);
        }
      }),
    );
    const elapsed = (performance.now() - t0) / 1000;
    latencies.sort((a, b) => a - b);
    rows.push([
      `GET /health, ${n} in parallel, ${via}`,
      `${(latencies.length / elapsed).toFixed(0)} req/s`,
      fmt(pct(latencies, 50)),
      fmt(pct(latencies, 99)),
      cpu(latencies.length),
      "baseline: no signature, no object, no D1",
    ]);
    console.error(`${path} baseline: ${(latencies.length / elapsed).toFixed(0)}/s`);
  }

  // 2. Throughput.
  for (const n of parallels) {
    const ids = Array.from({ length: n }, () => `bench-${agentCursor++}`);
    // Warm-up: every object exists and has loaded its state.
    await mapLimit(ids, 10, (id) => send(id, 1, 60_000));
    const latencies = [];
    const stopAt = performance.now() + seconds * 1000;
    const cpu = cpuMeter();
    const t0 = performance.now();
    await Promise.all(
      ids.map(async (id) => {
        for (let seq = 2; performance.now() < stopAt; seq++) latencies.push((await send(id, seq)).ms);
      }),
    );
    const elapsed = (performance.now() - t0) / 1000;
    latencies.sort((a, b) => a - b);
    rows.push([
      `reports, ${n} agents in parallel, ${seconds} s, ${via}`,
      `${(latencies.length / elapsed).toFixed(0)} reports/s`,
      fmt(pct(latencies, 50)),
      fmt(pct(latencies, 99)),
      cpu(latencies.length),
      `${latencies.length} reports, max ${fmt(latencies.at(-1))}`,
    ]);
    console.error(
      `${path} throughput N=${n}: ${(latencies.length / elapsed).toFixed(0)}/s p50 ${fmt(pct(latencies, 50))} p99 ${fmt(pct(latencies, 99))}`,
    );
  }
}

// 3. Dead-man (through the runtime socket when it was found: the reports go in quickly).
//    A fleet that was reporting goes silent together (a network partition): fresh agents send
//    a first report (each creates its object: the slow part), then all of them one more
//    (the steady path, within about a second), and go silent. The grace (BENCH_GRACE, 30 s)
//    outlasts the first round, so every measured deadline comes from the second report.
base = targets.runtime ?? targets.proxy;
agentCursor = totalAgents - silent; // the agents with BENCH_GRACE (bench/ingest.config.ts)
const silentIds = Array.from({ length: silent }, () => `bench-${agentCursor++}`);
const silentSet = new Set(silentIds);
for (const [seq, what] of [
  [1, "a first report"],
  [2, "one more report"],
]) {
  const sentAt = performance.now();
  const cpu = cpuMeter();
  await mapLimit(silentIds, 50, (id) => send(id, seq, 60_000));
  console.error(
    `dead-man: ${silent} agents sent ${what} in ${((performance.now() - sentAt) / 1000).toFixed(1)} s (server CPU per report ${cpu(silent)})`,
  );
}
console.error(`dead-man: waiting for ${graceText} of silence`);
// Nothing polls while the alarms fire (a poll of every agent's state would compete with them
// for the same thread); afterwards GET /v1/agents every 2 s until all are down.
await new Promise((r) => setTimeout(r, graceMs + 2_000));
const waitUntil = Date.now() + 120_000;
for (;;) {
  const { agents } = await admin("/agents");
  const down = agents.filter((a) => silentSet.has(a.id) && a.heartbeat.status === "down").length;
  if (down === silent || Date.now() > waitUntil) break;
  await new Promise((r) => setTimeout(r, 2_000));
}
const views = await mapLimit(silentIds, 20, async (id) => (await admin(`/agents/${id}`)).agent);
const written = [];
const fired = [];
let missing = 0;
for (const v of views) {
  if (!v.markedDownAt || v.lastSeq !== 2) {
    missing++;
    continue;
  }
  const deadline = Date.parse(v.deadline);
  written.push(Date.parse(v.markedDownAt) - deadline);
  fired.push(Date.parse(v.heartbeat.since) - deadline);
}
for (const list of [written, fired]) list.sort((a, b) => a - b);
rows.push([
  `dead-man (${silent} agents silent together, grace ${graceText}): alarm handler started`,
  "",
  fmt(pct(fired, 50)),
  fmt(pct(fired, 99)),
  "",
  `max ${fmt(fired.at(-1))}`,
]);
rows.push([
  `dead-man: heartbeat down + checks stale written to D1`,
  "",
  fmt(pct(written, 50)),
  fmt(pct(written, 99)),
  "",
  `max ${fmt(written.at(-1))}; ${missing} never marked`,
]);

const load = loadavg()
  .map((l) => l.toFixed(1))
  .join(" / ");
console.log(
  `\nMachine: ${cpus().length} cores (${cpus()[0]?.model.trim()}), Node ${process.version}, wrangler dev --local${inspector === false ? " (API, inspector off)" : ""}, state in ${stateRoot ?? "the temp dir"}; client and server on the same machine; load average at the end ${load} (1/5/15 min; above 2 means other work shared the cores).\n`,
);
if (restarts > 0)
  console.log(`The dev server restarted the worker mid-request ${restarts} time(s); those reports were retried with the same seq.\n`);
console.log("| measurement | throughput | p50 | p99 | server CPU per request (worker / all) | notes |");
console.log("|---|---|---|---|---|---|");
for (const r of rows) console.log(`| ${r.join(" | ")} |`);
await dev.stop();
process.exit(missing > 0 ? 1 : 0);
