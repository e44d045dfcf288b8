#!/usr/bin/env node
/**
 * `npm run bench:ingest`: signed agent reports against a local `wrangler dev`, and dead-man
 * lateness for agents going silent.
 *
 * 1. Start a throw-away `wrangler dev` (scripts/dev-server.mjs) on a free port with
 *    bench/ingest.config.ts as `vigil-config`, the secrets as `--var`s, serving a snapshot
 *    bundle so edits to src/ during the run do not restart it mid-measurement.
 * 2. Throughput: for each N in BENCH_PARALLEL (default 10,50,100), N agents each send signed
 *    reports back to back (seq 1, 2, …; 3 checks each) for BENCH_SECONDS (default 10 s);
 *    reports/s and latency p50/p99 (client-side, send → answer).
 * 3. Dead-man: BENCH_SILENT (default 500) fresh agents with a BENCH_GRACE (default 5 s) grace
 *    send one report each and go silent. Lateness = when the object wrote "down" minus its
 *    deadline (both from the object's clock), read back from GET /v1/agents/:id; and the
 *    time the client first saw each heartbeat down through GET /v1/agents (polled every 250 ms).
 * Prints a markdown table. Every request has a timeout.
 */
import { cpus, loadavg } from "node:os";
import { startDevServer } from "../scripts/dev-server.mjs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const SECRET = "bench-agent-secret-8c1f0e2d7a6b5c4d";
const ADMIN = "bench-admin-token-0123456789abcdef";
const parallels = (process.env.BENCH_PARALLEL ?? "10,50,100").split(",").map(Number);
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const silent = Number(process.env.BENCH_SILENT ?? 500);
const graceText = process.env.BENCH_GRACE ?? "5s";
const totalAgents = Math.max(...parallels) * parallels.length + silent;

const enc = new TextEncoder();
const key = await crypto.subtle.importKey("raw", enc.encode(SECRET), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
async function sign(body, t) {
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, enc.encode(`${t}.${body}`)));
  return `t=${t},v1=${Buffer.from(mac).toString("hex")}`;
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
      { id: "postgres:main", kind: "postgres", status: "ok", summary: "accepting connections", observedAt: now, durationMs: 5, metrics: { connections: 12 } },
      { id: "host:disk", kind: "host", status: seq % 50 === 0 ? "warn" : "ok", summary: "disk 61 %", observedAt: now, durationMs: 1, metrics: { diskPercent: 61 } },
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
  const res = await fetch(`${base}/v1/agents/${agentId}/reports`, {
    method: "POST",
    headers: { "content-type": "application/json", "vigil-signature": await sign(body, Math.floor(Date.now() / 1000)) },
    body,
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  const ms = performance.now() - started;
  if (res.status === 503 && text.includes("restarted")) throw new Restarted(text);
  if (res.status !== 202 && !(retry && res.status === 200)) throw new Error(`report ${agentId}#${seq}: ${res.status} ${text}`);
  return { ms, body: JSON.parse(text) };
}

const admin = async (path) => {
  const res = await fetch(`${base}/v1${path}`, { headers: { authorization: `Bearer ${ADMIN}` }, signal: AbortSignal.timeout(30_000) });
  if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
  return res.json();
};

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
const fmt = (ms) => `${ms.toFixed(1)} ms`;

async function mapLimit(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  }));
  return out;
}

// 1. Start: a throw-away wrangler dev serving a snapshot bundle (scripts/dev-server.mjs).
const vars = {
  BENCH_AGENT_SECRET: SECRET,
  BENCH_WEBHOOK_SECRET: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  VIGIL_ADMIN_TOKEN: ADMIN,
  BENCH_AGENTS: String(totalAgents),
  BENCH_SERVICES: process.env.BENCH_SERVICES ?? "10",
  BENCH_GRACE: graceText,
};
const dev = await startDevServer({ configPath: join(root, "bench/ingest.config.ts"), vars, snapshot: true, logLevel: "info" });
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
const health = await (await fetch(`${base}/health`, { signal: AbortSignal.timeout(10_000) })).json();
if (health.agents !== totalAgents) throw new Error(`expected ${totalAgents} agents, /health says ${health.agents}`);

const rows = [];
let agentCursor = 0;

// Baseline: the cheapest route through the same wrangler dev (no crypto, no object, no D1),
// with the same client concurrency: the ceiling this machine and dev server allow.
{
  const n = Math.max(...parallels);
  const latencies = [];
  const stopAt = performance.now() + Math.min(seconds, 5) * 1000;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: n }, async () => {
    while (performance.now() < stopAt) {
      const started = performance.now();
      const res = await fetch(`${base}/health`, { signal: AbortSignal.timeout(10_000) });
      await res.arrayBuffer();
      latencies.push(performance.now() - started);
    }
  }));
  const elapsed = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  rows.push([`baseline: GET /health, ${n} in parallel`, `${(latencies.length / elapsed).toFixed(0)} req/s`, fmt(pct(latencies, 50)), fmt(pct(latencies, 99)), "no signature, no object, no D1"]);
  console.error(`baseline: ${(latencies.length / elapsed).toFixed(0)}/s`);
}

// 2. Throughput.
for (const n of parallels) {
  const ids = Array.from({ length: n }, () => `bench-${agentCursor++}`);
  // Warm-up: every object exists and has loaded its state.
  await mapLimit(ids, 10, (id) => send(id, 1, 60_000));
  const latencies = [];
  const stopAt = performance.now() + seconds * 1000;
  const t0 = performance.now();
  await Promise.all(ids.map(async (id) => {
    for (let seq = 2; performance.now() < stopAt; seq++) latencies.push((await send(id, seq)).ms);
  }));
  const elapsed = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  rows.push([`reports, ${n} agents in parallel, ${seconds} s`, `${(latencies.length / elapsed).toFixed(0)} reports/s`, fmt(pct(latencies, 50)), fmt(pct(latencies, 99)), `${latencies.length} reports, max ${fmt(latencies.at(-1))}`]);
  console.error(`throughput N=${n}: ${(latencies.length / elapsed).toFixed(0)}/s p50 ${fmt(pct(latencies, 50))} p99 ${fmt(pct(latencies, 99))}`);
}

// 3. Dead-man.
const silentIds = Array.from({ length: silent }, () => `bench-${agentCursor++}`);
const sentAt = performance.now();
await mapLimit(silentIds, 10, (id) => send(id, 1, 60_000));
console.error(`dead-man: ${silent} agents reported in ${((performance.now() - sentAt) / 1000).toFixed(1)} s; waiting for ${graceText} of silence`);
const firstSeenDown = new Map();
const silentSet = new Set(silentIds);
const waitUntil = Date.now() + 120_000;
while (firstSeenDown.size < silent && Date.now() < waitUntil) {
  const { agents } = await admin("/agents");
  const now = Date.now();
  for (const a of agents) if (silentSet.has(a.id) && a.heartbeat.status === "down" && !firstSeenDown.has(a.id)) firstSeenDown.set(a.id, now);
  await new Promise((r) => setTimeout(r, 250));
}
const views = await mapLimit(silentIds, 20, async (id) => (await admin(`/agents/${id}`)).agent);
const written = [];
const fired = [];
const observed = [];
let missing = 0;
for (const v of views) {
  if (!v.markedDownAt) {
    missing++;
    continue;
  }
  const deadline = Date.parse(v.deadline);
  written.push(Date.parse(v.markedDownAt) - deadline);
  fired.push(Date.parse(v.heartbeat.since) - deadline);
  if (firstSeenDown.has(v.id)) observed.push(firstSeenDown.get(v.id) - deadline);
}
for (const list of [written, fired, observed]) list.sort((a, b) => a - b);
rows.push([`dead-man: alarm handler started (${silent} silent agents, grace ${graceText})`, "", fmt(pct(fired, 50)), fmt(pct(fired, 99)), `max ${fmt(fired.at(-1))}`]);
rows.push([`dead-man: heartbeat down + checks stale written to D1`, "", fmt(pct(written, 50)), fmt(pct(written, 99)), `max ${fmt(written.at(-1))}; ${missing} never marked`]);
rows.push([`dead-man: seen down by a client polling every 250 ms`, "", fmt(pct(observed, 50)), fmt(pct(observed, 99)), `max ${fmt(observed.at(-1))}`]);

const load = loadavg().map((l) => l.toFixed(1)).join(" / ");
console.log(`\nMachine: ${cpus().length} cores (${cpus()[0]?.model.trim()}), Node ${process.version}, wrangler dev --local; client and server on the same machine; load average at the end ${load} (1/5/15 min; above 2 means other work shared the cores).\n`);
if (restarts > 0) console.log(`The dev server restarted the worker mid-request ${restarts} time(s); those reports were retried with the same seq.\n`);
console.log("| measurement | throughput | p50 | p99 | notes |");
console.log("|---|---|---|---|---|");
for (const r of rows) console.log(`| ${r.join(" | ")} |`);
await dev.stop();
process.exit(missing > 0 ? 1 : 0);
