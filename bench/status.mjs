#!/usr/bin/env node
// `npm run bench:status`: server time of the status page, /status.json and one check's page at
// 500 monitors with 90 days of hourly rollups (≈1.08 M rows), through a local `wrangler dev` on
// loopback.
//
// 1. Seed: 500 monitors in 50 services, check states, 5 open and 20 resolved incidents with
//    timelines, 90 days × 24 h of rollups per monitor (generated inside SQLite).
// 2. For each route the first request (cold: the isolate reads the 89 past days once), then
//    warm-up, then N rounds of one request per route in turn (sequential, never concurrent),
//    timed from request start to the last body byte.
// 3. Print a table; `/health` is the floor of the dev server (wrangler dev's proxy and loopback).
// 4. Concurrent readers (an incident's traffic), for each count in BENCH_READERS (default
//    200,1000), on `/` and `/status.json` in turn, in three modes:
//    - readers: each reader reloads every BENCH_THINK_MS (default 5000) for BENCH_READ_S
//      (default 30) seconds on its own kept-alive connection, the readers' first loads spread
//      over the first interval — people with the page open, reloading often;
//    - burst: every reader asks at the same instant, once, each on a new connection (a link
//      posted in a busy chat);
//    - keepalive: every reader holds a connection open and asks again as soon as an answer is
//      in, for BENCH_KEEPALIVE_S (default 20) seconds (what `wrk -c N` or `autocannon -c N`
//      does). Each connection's first request (its connection set-up, the burst's subject) is
//      not counted. A closed loop: the latency is N / the rate the server sustains.
//    Goal: p95 ≤ 100 ms. Latency per request, client-side from the request to the last body
//    byte received (the body is not decompressed; the client asks for gzip as browsers do).
//    Answers are counted by their `x-vigil-cache` (hit / miss). Two floors are measured the
//    same way: `/health` (no D1, no page: the dev server's own cost) and `floor`, a no-op
//    node:http server in its own process (what this client and this machine cost at that
//    concurrency, whatever the server).
//
// The worker runs as `npm start` runs it (scripts/dev-worker.mjs: wrangler's API, inspector off,
// log level "log", so wrangler's dev proxy posts each request's log line to its Node process).
//
// Options (environment): BENCH_N (default 200), BENCH_MONITORS (default 500), BENCH_DAYS (default 90),
// BENCH_READERS, BENCH_THINK_MS, BENCH_READ_S, BENCH_KEEPALIVE_S, BENCH_MODES (default readers,burst,keepalive).
import { spawn } from "node:child_process";
import { once } from "node:events";
import { performance } from "node:perf_hooks";
import { cpus, loadavg } from "node:os";
import { startStatusServer } from "../test/node/status-server.mjs";

const N = Number(process.env.BENCH_N ?? 200);
const MONITORS = Number(process.env.BENCH_MONITORS ?? 500);
const DAYS = Number(process.env.BENCH_DAYS ?? 90);
const READERS = (process.env.BENCH_READERS ?? "200,1000").split(",").map(Number);
const THINK_MS = Number(process.env.BENCH_THINK_MS ?? 5000);
const MODES = (process.env.BENCH_MODES ?? "readers,burst,keepalive").split(",");
const READ_S = Number(process.env.BENCH_READ_S ?? 30);
const KEEPALIVE_S = Number(process.env.BENCH_KEEPALIVE_S ?? 20);
const PER_SERVICE = 10;
for (const [name, v] of [
  ["BENCH_N", N],
  ["BENCH_MONITORS", MONITORS],
  ["BENCH_DAYS", DAYS],
  ["BENCH_READERS", ...READERS],
  ["BENCH_THINK_MS", THINK_MS],
  ["BENCH_READ_S", READ_S],
  ["BENCH_KEEPALIVE_S", KEEPALIVE_S],
]) {
  if (!Number.isInteger(v) || v < 1) {
    console.error(`bench:status: ${name} must be a positive whole number, got "${process.env[name]}"`);
    process.exit(1);
  }
}
for (const mode of MODES) {
  if (!["readers", "burst", "keepalive"].includes(mode)) {
    console.error(`bench:status: BENCH_MODES takes readers, burst and keepalive, got "${mode}"`);
    process.exit(1);
  }
}

const HOUR = 3_600_000;
const now = Date.now();
const services = Array.from({ length: Math.ceil(MONITORS / PER_SERVICE) }, (_, s) => ({
  id: `svc-${String(s).padStart(3, "0")}`,
  name: `Service ${s}`,
  policy: "ops",
}));
const monitors = Array.from({ length: MONITORS }, (_, i) => ({
  id: `mon-${String(i).padStart(3, "0")}`,
  type: "http",
  service: services[Math.floor(i / PER_SERVICE)].id,
  url: `http://127.0.0.1:9/m/${i}`,
}));
const config = {
  timezone: "Asia/Seoul",
  services,
  monitors,
  channels: [{ id: "ops-hook", type: "webhook", url: "http://127.0.0.1:9/hook", secret: { env: "HOOK_SECRET" } }],
  policies: [{ id: "ops", levels: [{ channels: ["ops-hook"] }] }],
  maintenance: [
    {
      id: "m1",
      services: [services[1].id],
      title: "Bench maintenance",
      start: new Date(now - HOUR).toISOString(),
      end: new Date(now + HOUR).toISOString(),
    },
  ],
  statusPage: { title: "Bench status" },
};

// 1.
const end = Math.floor(now / HOUR) * HOUR;
const start = end - DAYS * 24 * HOUR;
const seed = [
  // Rollups: every monitor, every hour; a failing hour now and then, latency varying by monitor and hour.
  `INSERT INTO rollups_hourly (check_id, hour, count, failures, degraded, latency_min, latency_avg, latency_p95, latency_max)
   WITH RECURSIVE m(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM m WHERE i < ${MONITORS - 1}),
   h(t) AS (SELECT ${start} UNION ALL SELECT t + ${HOUR} FROM h WHERE t < ${end})
   SELECT 'mon-' || printf('%03d', i), t, 60,
     CASE WHEN (i * 7 + t / ${HOUR}) % 997 = 0 THEN 12 ELSE 0 END,
     CASE WHEN (i * 13 + t / ${HOUR}) % 733 = 0 THEN 4 ELSE 0 END,
     30 + i % 20, 80.0 + (i % 50) + (t / ${HOUR}) % 24, 150 + i % 100, 400 + i % 300
   FROM m, h;`,
  `INSERT INTO check_state (check_id, status, since, consecutive_failures, consecutive_successes, reason, updated_at)
   WITH RECURSIVE m(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM m WHERE i < ${MONITORS - 1})
   SELECT 'mon-' || printf('%03d', i), CASE WHEN i % 97 = 0 THEN 'down' WHEN i % 41 = 0 THEN 'degraded' ELSE 'up' END,
     ${now - 3600_000}, 0, 2, CASE WHEN i % 97 = 0 THEN 'HTTP 503' WHEN i % 41 = 0 THEN 'slow: 2.1 s' END, ${now} FROM m;`,
];
for (let k = 0; k < 25; k++) {
  const open = k < 5;
  const id = `inc_${k}`;
  // Open incidents land on distinct services: the schema allows one open incident per service.
  const svc = services[(k * 3) % services.length].id;
  const opened = open ? now - (k + 1) * 600_000 : now - (k + 1) * 2 * 24 * HOUR;
  seed.push(
    `INSERT INTO incidents (id, service_id, status, title, level, opened_at, resolved_at) VALUES ('${id}', '${svc}', '${open ? "open" : "resolved"}', 'Incident ${k} on ${svc}', 1, ${opened}, ${open ? "NULL" : opened + 3_600_000});`,
    `INSERT INTO incident_members (incident_id, check_id, status, reason, since) VALUES ('${id}', 'mon-${String(((k * 3) % services.length) * PER_SERVICE).padStart(3, "0")}', 'down', 'HTTP 503', ${opened});`,
    `INSERT INTO incident_events (incident_id, at, type, detail) VALUES ('${id}', ${opened}, 'incident.opened', '{"check":"mon-000","reason":"HTTP 503"}'), ('${id}', ${opened + 1000}, 'notification.queued', '{}')${open ? "" : `, ('${id}', ${opened + 3_600_000}, 'incident.resolved', '{}')`};`,
  );
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const { Agent } = await import("undici");
/** Sequential rounds: one kept-alive connection is enough. */
const sequential = new Agent({ connections: 4, keepAliveTimeout: 60_000, headersTimeout: 60_000, bodyTimeout: 60_000 });
/** What a browser asks for; the body is read to its last byte as it comes, not decompressed. */
const HEADERS = { "accept-encoding": "gzip, deflate, br", accept: "text/html,application/json" };

/** One GET on `dispatcher`, timed from the request to the last body byte. */
async function timed(url, dispatcher = sequential) {
  const { origin, pathname, search } = new URL(url);
  const t0 = performance.now();
  const res = await dispatcher.request({
    origin,
    path: pathname + search,
    method: "GET",
    headers: HEADERS,
    signal: AbortSignal.timeout(60_000),
  });
  const ttfb = performance.now() - t0;
  let bytes = 0;
  const head = [];
  for await (const chunk of res.body) {
    bytes += chunk.length;
    if (res.statusCode !== 200 && head.length < 4) head.push(chunk);
  }
  const ms = performance.now() - t0;
  if (res.statusCode !== 200) throw new Error(`${url}: HTTP ${res.statusCode}: ${Buffer.concat(head).toString("utf8").slice(0, 300)}`);
  return { ms, ttfb, bytes, cache: String(res.headers["x-vigil-cache"] ?? "none") };
}

/** Runs one readers phase; returns latencies (ms) and cache outcomes. */
async function readersPhase(url, readers, mode) {
  const times = [];
  const outcomes = {};
  let failed = 0;
  const errors = new Map();
  // Every phase on connections of its own: a burst's readers each open one at the same instant.
  const dispatcher = new Agent({
    connections: readers + 16,
    pipelining: 1,
    keepAliveTimeout: 60_000,
    headersTimeout: 60_000,
    bodyTimeout: 60_000,
  });
  const one = async (count = true) => {
    try {
      const r = await timed(url, dispatcher);
      if (!count) return;
      times.push(r.ms);
      outcomes[r.cache] = (outcomes[r.cache] ?? 0) + 1;
    } catch (err) {
      failed++;
      const text = String(err.cause?.message ?? err.message).slice(0, 200);
      errors.set(text, (errors.get(text) ?? 0) + 1);
    }
  };
  let t0 = performance.now();
  if (mode === "burst") await Promise.all(Array.from({ length: readers }, () => one()));
  else if (mode === "keepalive") {
    // Each reader's first request opens its connection (not counted); then back to back.
    await Promise.all(Array.from({ length: readers }, () => one(false)));
    t0 = performance.now();
    const endAt = t0 + KEEPALIVE_S * 1000;
    await Promise.all(
      Array.from({ length: readers }, async () => {
        while (performance.now() < endAt) await one();
      }),
    );
  } else {
    const endAt = t0 + READ_S * 1000;
    await Promise.all(
      Array.from({ length: readers }, async (_, i) => {
        // Arrivals spread over the first interval; then one reload per interval.
        let next = t0 + (i / readers) * THINK_MS;
        while (next < endAt) {
          const wait = next - performance.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
          await one();
          next += THINK_MS;
        }
      }),
    );
  }
  const seconds = (performance.now() - t0) / 1000;
  await dispatcher.close();
  times.sort((a, b) => a - b);
  if (errors.size > 0) console.error(`  failures: ${[...errors].map(([e, n]) => `${n}× ${e}`).join("; ")}`);
  return { times, outcomes, failed, rate: times.length / seconds, load: loadavg()[0] };
}

/**
 * The floor: a no-op node:http server in a process of its own (a fixed 15-byte JSON answer, the
 * same listen backlog as workerd's), measured with the same client in the same modes.
 */
async function startFloorServer() {
  const code = `const s = require("node:http").createServer((q, r) => { r.setHeader("content-type", "application/json"); r.end('{"status":"ok"}'); });
    s.keepAliveTimeout = 60000; s.listen(0, "127.0.0.1", 4096, () => console.log(s.address().port));`;
  const child = spawn(process.execPath, ["-e", code], { stdio: ["ignore", "pipe", "inherit"] });
  const [line] = await once(child.stdout, "data");
  return { url: `http://127.0.0.1:${String(line).trim()}`, stop: () => child.kill() };
}

console.log(
  `bench:status — ${MONITORS} monitors in ${services.length} services, ${DAYS} days of hourly rollups (${(MONITORS * (DAYS * 24 + 1)).toLocaleString("en")} rows), N=${N}`,
);
console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? "?"}), Node ${process.version}`);
const seedStart = performance.now();
const server = await startStatusServer({
  configSource: `export default ${JSON.stringify(config)};\n`,
  seedSql: seed.join("\n"),
  vars: { HOOK_SECRET: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", VIGIL_ADMIN_TOKEN: "bench-admin-token-0123456789abcdef" },
  readyTimeoutMs: 180_000,
  // As `npm start` runs it (scripts/worker-process.mjs): without the CLI's inspector proxy, log level "log".
  inspector: false,
  logLevel: "log",
});
const floor = await startFloorServer();
console.log(`seeded and started in ${((performance.now() - seedStart) / 1000).toFixed(1)} s\n`);

const rows = [];
const readerRows = [];
try {
  // 2. Cold requests in route order, warm-up, then N rounds that request each route once in
  //    turn: every route sees the same moments of a shared machine's load.
  const paths = ["/health", "/", "/status.json", "/check/mon-000"];
  const stats = paths.map((path) => ({ path, url: `${server.url}${path}`, cold: 0, times: [], firstBytes: [], bytes: 0 }));
  for (const s of stats) s.cold = (await timed(s.url)).ms;
  for (let i = 0; i < 10; i++) for (const s of stats) await timed(s.url);
  for (let i = 0; i < N; i++) {
    for (const s of stats) {
      const r = await timed(s.url);
      s.times.push(r.ms);
      s.firstBytes.push(r.ttfb);
      s.bytes = r.bytes;
    }
  }
  for (const { path, cold, times, firstBytes, bytes } of stats) {
    times.sort((a, b) => a - b);
    firstBytes.sort((a, b) => a - b);
    rows.push({
      path,
      cold,
      p50: percentile(times, 50),
      p95: percentile(times, 95),
      p99: percentile(times, 99),
      max: times.at(-1),
      bytes,
      ttfb50: percentile(firstBytes, 50),
      ttfb95: percentile(firstBytes, 95),
    });
  }
  // 4.
  phases: for (const readers of READERS) {
    for (const mode of MODES) {
      for (const path of ["floor", "/health", "/", "/status.json"]) {
        const r = await readersPhase(path === "floor" ? `${floor.url}/` : `${server.url}${path}`, readers, mode);
        readerRows.push({ readers, mode, path, ...r });
        console.error(`  ${readers} ${mode} ${path}: ${r.times.length} answers, p95 ${percentile(r.times, 95)?.toFixed(1)} ms`);
        if (r.times.length === 0) {
          console.error(`the dev server stopped answering; wrangler dev output (last 1500 characters):\n${server.logs().slice(-1500)}`);
          readerRows.push({ readers, mode, path: "(dev server died; later phases not run)", times: [], outcomes: {}, failed: 0, rate: 0 });
          break phases;
        }
      }
    }
  }
} finally {
  floor.stop();
  await server.stop();
}

// 3.
const f = (ms) => (ms === undefined ? "–" : ms.toFixed(1)).padStart(8);
console.log("route           first(cold)  ttfb p50 ttfb p95      p50      p95      p99      max     bytes   goal p95 ≤ 50 ms");
for (const r of rows) {
  const goal = r.path === "/health" ? "(floor)" : r.p95 <= 50 ? "met" : "NOT met";
  console.log(
    `${r.path.padEnd(14)} ${f(r.cold)}    ${f(r.ttfb50)} ${f(r.ttfb95)} ${f(r.p50)} ${f(r.p95)} ${f(r.p99)} ${f(r.max)} ${String(r.bytes).padStart(9)}   ${goal}`,
  );
}
console.log("\nms, client-measured on loopback, sequential requests (routes in turn): ttfb = until the response headers,");
console.log(
  `p50…max = until the last body byte (the goal is judged on that). Load average now: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`,
);

if (readerRows.length > 0) {
  console.log(
    `\nConcurrent readers (goal p95 ≤ 100 ms): readers = each reloads every ${THINK_MS} ms for ${READ_S} s, first loads spread over the first interval;`,
  );
  console.log(
    `burst = all readers at one instant, once, each on a new connection; keepalive = each reader asks again as soon as answered, for ${KEEPALIVE_S} s.`,
  );
  console.log(
    "floor = a no-op node:http server in its own process; /health = the dev server without D1 or page. load = 1-min load average after the phase.",
  );
  console.log(
    "readers  mode       route           answers   req/s      p50      p95      p99      max   x-vigil-cache       failed  load   goal",
  );
  for (const r of readerRows) {
    const p95 = percentile(r.times, 95);
    const cache = Object.entries(r.outcomes)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ");
    console.log(
      `${String(r.readers).padStart(7)}  ${r.mode.padEnd(9)}  ${r.path.padEnd(14)} ${String(r.times.length).padStart(8)} ${r.rate.toFixed(0).padStart(7)} ${f(percentile(r.times, 50))} ${f(p95)} ${f(percentile(r.times, 99))} ${f(r.times.at(-1))}   ${cache.padEnd(18)} ${String(r.failed).padStart(6)} ${(r.load ?? 0).toFixed(1).padStart(5)}   ${r.path === "/health" || r.path === "floor" ? "(floor)" : p95 <= 100 && r.failed === 0 ? "met" : "NOT met"}`,
    );
  }
  console.log(
    `Load average at the end: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
}
await sequential.close();
