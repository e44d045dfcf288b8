#!/usr/bin/env node
/**
 * `npm run bench:scale -- --monitors 2000 --interval 10s --target-latency 100ms --minutes 3`
 *
 * 1. Start a local fleet of target servers (loopback) that answer after --target-latency and
 *    log when each monitor's request arrived. They keep connections alive (75 s idle, as
 *    nginx does); `--connection close` makes them close each one instead.
 * 2. Run the worker the way users run it: `npm start` (scripts/start.mjs) with
 *    bench/scale.config.ts as its config and a throw-away VIGIL_STATE_DIR; npm start fires the
 *    cron at every minute. One warm-up minute, then --minutes measured. workerd's open file
 *    descriptors are sampled from /proc every 2 s, and npm start's output is counted.
 * 3. Compare what arrived with the plan (src/engine/schedule.ts, bundled here): probes/s,
 *    runs scheduled vs executed, start-time jitter p50/p99, worker CPU (workerd's own CPU time
 *    from /proc), and the billable operations per probe counted from the worker's logs, priced
 *    for 2,000 monitors at 1 min with Cloudflare's published prices (see BENCHMARKS.md).
 * 4. Unless --no-profile is given, `perf record` samples workerd over the measured minutes and
 *    a second table splits its CPU into the isolate's own work and the host's I/O
 *    (bench/perf-split.mjs); the cost is then priced with the isolate's CPU, and with all of
 *    workerd's as the upper bound. Without perf the run says so and prices the upper bound.
 * 5. After stopping npm start, read what the probes measured themselves (first byte, whole
 *    response) from the last measured minute's raw results in the local D1.
 * Prints a markdown table. Every request has a timeout; the run stops by itself.
 */
import { spawn, spawnSync } from "node:child_process";
import { appendFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { freePort } from "../scripts/dev-server.mjs";
import { lineSplitter } from "../scripts/log-limit.mjs";
import { startPerf } from "./perf-split.mjs";
import { root, writeDevWranglerConfig } from "../scripts/lib.mjs";

// ── arguments ────────────────────────────────────────────────────────────────────────────
const args = Object.fromEntries(process.argv.slice(2).flatMap((a, i, all) => (a.startsWith("--") ? [[a.slice(2), all[i + 1]]] : [])));
const ms = (text) => {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(String(text));
  if (!m) throw new Error(`expected a duration like 100ms, 10s or 1m, got "${text}"`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000 }[m[2]];
};
const monitors = Number(args.monitors ?? 2000);
const intervalText = args.interval ?? "10s";
const latency = ms(args["target-latency"] ?? "100ms");
const minutes = Number(args.minutes ?? 3);
const targetsCount = Number(args.targets ?? 4);
// Minutes run before measuring: the first observation of every monitor is a state change
// (unknown → up) with its writes and object calls, which a steady fleet never pays again.
const warmup = Number(args.warmup ?? 1);
if (!Number.isInteger(monitors) || monitors < 1) throw new Error(`--monitors: expected a positive whole number, got "${args.monitors}"`);
if (!Number.isInteger(minutes) || minutes < 1 || minutes > 30) throw new Error(`--minutes: expected 1 to 30, got "${args.minutes}"`);

const pct = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : NaN);
const f = (n, d = 1) => (Number.isFinite(n) ? n.toLocaleString("en-US", { maximumFractionDigits: d }) : "n/a");
const log = (...a) => console.error("bench:scale:", ...a);

// ── 1. the target fleet ──────────────────────────────────────────────────────────────────
// Keep-alive by default, as real servers are: idle connections stay open for 75 s (nginx's
// keepalive_timeout). `--connection close` answers with `connection: close` instead.
const connectionMode = args.connection ?? "keep-alive";
if (connectionMode !== "keep-alive" && connectionMode !== "close")
  throw new Error(`--connection: expected keep-alive or close, got "${args.connection}"`);
const arrivals = new Map(); // monitor id → arrival times
const servers = [];
const fleet = { inFlight: 0, open: 0, accepted: 0 };
for (let i = 0; i < targetsCount; i++) {
  const server = createHttpServer((req, res) => {
    const id = req.url.slice(1);
    (arrivals.get(id) ?? arrivals.set(id, []).get(id)).push(Date.now());
    fleet.inFlight++;
    setTimeout(() => {
      fleet.inFlight--;
      res.writeHead(200, { "content-type": "text/plain", ...(connectionMode === "close" && { connection: "close" }) });
      res.end("ok");
    }, latency);
  });
  server.keepAliveTimeout = 75_000;
  server.headersTimeout = 80_000;
  server.on("connection", (socket) => {
    fleet.accepted++;
    fleet.open++;
    socket.on("close", () => fleet.open--);
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  servers.push(server);
}
const targets = servers.map((s) => `http://127.0.0.1:${s.address().port}`);

// ── 2. npm start ─────────────────────────────────────────────────────────────────────────
const vars = {
  BENCH_MONITORS: monitors,
  BENCH_INTERVAL: intervalText,
  BENCH_TARGETS: targets.join(","),
  BENCH_TIMEOUT: ms(intervalText) <= 10_000 ? "5s" : "10s",
  BENCH_WEBHOOK_SECRET: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  VIGIL_ADMIN_TOKEN: "bench-admin-token-0123456789abcdef",
};
// The worker's JSON event lines are collected as they come; other output is counted by its
// first words (a run that fails logs a lot).
let measuring = false;
const eventLines = [];
const noise = new Map();
const onLine = (line) => {
  if (!measuring) return;
  if (line.includes('"msg":')) eventLines.push(line);
  else if (line.trim()) noise.set(line.slice(0, 70), (noise.get(line.slice(0, 70)) ?? 0) + 1);
};
// The worker runs the way users run it: `npm start` (scripts/start.mjs) with this fleet as
// its config, its .dev.vars (VIGIL_VARS_FILE) and local D1 / object state (VIGIL_STATE_DIR) in a throw-away directory (tmpfs
// by default: SQLite's fsyncs on this VM's disk are not Cloudflare's storage; BENCH_STATE_DIR
// picks another parent), file watching off (VIGIL_WATCH=0, as in deploy/vigil.service), the
// cron fired by npm start itself at every minute. BENCH_INSPECTOR=on: `npm start -- --inspect`.
const inspect = process.env.BENCH_INSPECTOR === "on";
const stateRoot = process.env.BENCH_STATE_DIR ?? (existsSync("/dev/shm") ? "/dev/shm" : tmpdir());
const stateDir = mkdtempSync(join(stateRoot, "vigil-scale-state-"));
const varsFile = join(stateDir, ".dev.vars");
writeFileSync(
  varsFile,
  `${Object.entries(vars)
    .map(([k, v]) => `${k}=${v}`)
    .join("\n")}\n`,
  { mode: 0o600 },
);
const port = Number(process.env.BENCH_PORT ?? 0) || (await freePort());
const base = `http://127.0.0.1:${port}`;
const output = { bytes: 0, lines: 0, measuredBytes: 0 };
const dev = spawn(process.execPath, [join(root, "scripts/start.mjs"), ...(inspect ? ["--inspect"] : [])], {
  cwd: root,
  // VIGIL_VERBOSE=1: all of the worker's output (the narrated default drops the tick and batch
  // lines this bench counts), through the same log limiter.
  env: {
    ...process.env,
    PORT: String(port),
    VIGIL_CONFIG: join(root, "bench/scale.config.ts"),
    VIGIL_STATE_DIR: join(stateDir, "state"),
    VIGIL_VARS_FILE: varsFile,
    VIGIL_WATCH: "0",
    VIGIL_VERBOSE: "1",
    VIGIL_DEMO_PORT: String(await freePort()),
    VIGIL_RECEIVER_PORT: String(await freePort()),
  },
  stdio: ["ignore", "pipe", "pipe"],
  detached: true,
});
const splitter = lineSplitter(onLine);
for (const stream of [dev.stdout, dev.stderr]) {
  stream.setEncoding("utf8");
  stream.on("data", (d) => {
    const n = Buffer.byteLength(d);
    output.bytes += n;
    if (measuring) output.measuredBytes += n;
    output.lines += d.split("\n").length - 1;
    if (process.env.BENCH_OUTPUT) appendFileSync(process.env.BENCH_OUTPUT, d);
    splitter.push(d);
  });
}
let devExited = null;
dev.on("exit", (code) => (devExited = code ?? 1));
const stopDev = async () => {
  if (devExited === null) {
    try {
      process.kill(-dev.pid, "SIGINT");
    } catch {}
    await new Promise((r) => {
      const t = setTimeout(r, 10_000);
      dev.once("exit", () => {
        clearTimeout(t);
        r();
      });
    });
  }
  try {
    process.kill(-dev.pid, "SIGKILL");
  } catch {}
};
process.on("exit", () => {
  try {
    process.kill(-dev.pid, "SIGKILL");
  } catch {}
  rmSync(stateDir, { recursive: true, force: true });
});
for (let deadline = Date.now() + 240_000; ; ) {
  if (devExited !== null) throw new Error(`npm start exited (${devExited}) before it was ready`);
  if (Date.now() > deadline) throw new Error("npm start did not answer /health within 240 s");
  try {
    if ((await fetch(`${base}/health`, { signal: AbortSignal.timeout(2000) })).ok) break;
  } catch {}
  await new Promise((r) => setTimeout(r, 500));
}
// Interrupted: still take workerd down with us (an orphaned, overloaded workerd keeps a core busy).
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => process.exit(130));

/** The workerd processes in wrangler's process group, with the CPU ms each used so far (wrangler itself, Node, is not counted). */
const tick = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;
function workerds() {
  const found = [];
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
      // workerd in npm start's process group (start.mjs → dev-worker.mjs / wrangler → workerd).
      if (!cmd.includes("workerd") || Number(fields[2]) !== dev.pid) continue;
      found.push({ pid: Number(pid), cpuMs: ((Number(fields[11]) + Number(fields[12])) * 1000) / tick });
    } catch {}
  }
  return found;
}
const workerdCpuMs = () => workerds().reduce((n, w) => n + w.cpuMs, 0);

// workerd's open file descriptors (/proc/<pid>/fd), sampled every 2 s for the whole run, next to
// the probes in flight and the connections open at the targets at the same moment.
const fds = { peak: 0, peakAt: 0, inFlightPeak: 0, openPeak: 0, samples: [], runPeak: 0 };
const fdCount = () =>
  workerds().reduce((n, w) => {
    try {
      return n + readdirSync(`/proc/${w.pid}/fd`).length;
    } catch {
      return n;
    }
  }, 0);
const fdTimer = setInterval(() => {
  const n = fdCount();
  fds.samples.push([Date.now(), n, fleet.inFlight, fleet.open]);
  if (n > fds.peak) Object.assign(fds, { peak: n, peakAt: Date.now() });
  fds.runPeak = Math.max(fds.runPeak, n);
  fds.inFlightPeak = Math.max(fds.inFlightPeak, fleet.inFlight);
  fds.openPeak = Math.max(fds.openPeak, fleet.open);
  if (process.env.BENCH_FD_TRACE) log(`fds ${n}, in flight ${fleet.inFlight}, open at targets ${fleet.open}, accepted ${fleet.accepted}`);
}, 2000);
fdTimer.unref();

// ── 3. the minutes ───────────────────────────────────────────────────────────────────────
// npm start fires the cron at every minute boundary; the first one after it is ready starts
// the warm-up, and measuring starts `warmup` minutes later.
log(
  `${monitors} monitors every ${intervalText}, targets answer after ${latency} ms (${connectionMode}), ${minutes} min measured after ${warmup} min warm-up, through npm start${inspect ? " --inspect" : ""}`,
);
await new Promise((r) => setTimeout(r, 60_000 - (Date.now() % 60_000)));
log(`warm-up`);
await new Promise((r) => setTimeout(r, warmup * 60_000 - (Date.now() % 60_000)));
arrivals.clear();
measuring = true;
const acceptedBefore = fleet.accepted;
const first = Math.floor((Date.now() + 1000) / 60_000) * 60_000;
const end = first + minutes * 60_000;
const cpuBefore = workerdCpuMs();
Object.assign(fds, { peak: 0, peakAt: 0, inFlightPeak: 0, openPeak: 0, samples: [] });
const outputBefore = output.bytes;
// Sample every workerd process under npm start for the measured minutes (--no-profile: don't).
const perf = "no-profile" in args ? null : startPerf(workerds().map((w) => w.pid));
const ticks = Array.from({ length: minutes }, (_, i) => first + i * 60_000);
for (let i = 1; i <= minutes; i++) {
  await new Promise((r) => setTimeout(r, Math.max(0, first + i * 60_000 - Date.now())));
  log(
    `minute ${i}/${minutes}: workerd fds ${fdCount()} (peak ${fds.peak}), ${fleet.inFlight} probes in flight, ${fleet.open} connections open at the targets, ${f(output.bytes / 1024, 0)} KiB of npm start output so far`,
  );
}
await new Promise((r) => setTimeout(r, end + 10_000 - Date.now()));
measuring = false;
const cpuMs = workerdCpuMs() - cpuBefore;
const profile = perf ? await perf.stop() : null;
const logLines = eventLines;
const acceptedMeasured = fleet.accepted - acceptedBefore;
await stopDev();
// What the probes themselves measured in the last measured minute (raw_results, read from the
// stopped instance's local D1): time to first byte and to the whole response.
// npm start removes its .vigil/start-<PORT> folder when it stops: the read gets a config of its own.
const probeSide = (() => {
  const wranglerToml = writeDevWranglerConfig(join(root, "bench/scale.config.ts"), join(stateDir, "read"));
  const out = spawnSync(
    join(root, "node_modules/.bin/wrangler"),
    [
      "d1",
      "execute",
      "DB",
      "--local",
      "--persist-to",
      join(stateDir, "state"),
      "--config",
      wranglerToml,
      "--json",
      "--command",
      `SELECT data FROM raw_results WHERE minute = ${end - 60_000}`,
    ],
    {
      encoding: "utf8",
      maxBuffer: 256 * 1024 * 1024,
      timeout: 120_000,
      env: { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false" },
    },
  );
  try {
    const rows = JSON.parse(out.stdout)[0].results.flatMap((r) => JSON.parse(r.data));
    const sorted = (xs) => xs.filter((x) => typeof x === "number").sort((a, b) => a - b);
    return { n: rows.length, total: sorted(rows.map((r) => r[3])), firstByte: sorted(rows.map((r) => r[4])) };
  } catch (err) {
    return { error: `${err.message}: ${(out.stderr || out.stdout || "").slice(0, 300)}` };
  }
})();
rmSync(stateDir, { recursive: true, force: true });
for (const s of servers) s.close();

// ── 4. compare with the plan ─────────────────────────────────────────────────────────────
const { build } = await import("esbuild");
const scratch = mkdtempSync(join(tmpdir(), "vigil-scale-"));
const planFile = join(scratch, "schedule.mjs");
await build({ entryPoints: [join(root, "src/engine/schedule.ts")], bundle: true, format: "esm", outfile: planFile, logLevel: "silent" });
const { plan } = await import(pathToFileURL(planFile).href);
const interval = ms(intervalText);
const fleetSpec = Array.from({ length: monitors }, (_, i) => ({ id: `m-${i}`, interval }));
const planned = ticks.flatMap((t) => plan(fleetSpec, t, 60_000));
let executed = 0;
const jitter = [];
for (const job of planned) {
  const times = arrivals.get(job.monitorId) ?? [];
  // The arrival nearest to the plan, within half an interval, counts for this run.
  let best = null;
  for (const t of times)
    if (Math.abs(t - job.at) < interval / 2 && (best === null || Math.abs(t - job.at) < Math.abs(best - job.at))) best = t;
  if (best !== null) {
    executed++;
    jitter.push(best - job.at);
  }
}
// Arrivals of the measured minutes only (npm start's next tick falls in the 10 s after them).
const totalArrivals = [...arrivals.values()].reduce((n, a) => n + a.filter((t) => t >= first && t < end).length, 0);
const absJitter = jitter.map(Math.abs).sort((a, b) => a - b);
const span = minutes * 60;

// Operations counted from the worker's own logs.
const events = logLines.flatMap((l) => {
  const i = l.indexOf("{");
  if (i < 0) return [];
  try {
    return [JSON.parse(l.slice(i))];
  } catch {
    return [];
  }
});
// The measured minutes' ticks (npm start fires the next one in the 10 s after them).
const tickEvents = events.filter((e) => e.msg === "tick").slice(0, minutes);
// Only the measured minutes' batches: the warm-up minute's last batches end after measuring began.
const batchEvents = events.filter((e) => e.msg === "probe-batch" && e.minute >= first);
const changes = tickEvents.reduce((n, e) => n + (e.changes ?? 0), 0) + batchEvents.reduce((n, e) => n + (e.changes ?? 0), 0);
const invocations = tickEvents.length + batchEvents.length;
const queueMessages = batchEvents.length;
const monitorsPerBatch = batchEvents.length ? batchEvents.reduce((n, e) => n + e.planned, 0) / batchEvents.length : 0;
// D1 per invocation (src/scheduler): tick = claim insert + plan update + housekeeping check +
// outbox select; batch = one check_state read of its monitors + one raw_results row; plus
// check_state/outbox writes per state change (none in a steady fleet).
const d1RowsRead =
  tickEvents.length * 2 + tickEvents.reduce((n, e) => n + (e.inline ? e.planned : 0), 0) + batchEvents.reduce((n, e) => n + e.planned, 0);
const d1RowsWritten = tickEvents.length * 2 + invocations + changes * 2;
const doRequests = changes; // ServiceObject.apply per state change
const perProbe = (x) => (totalArrivals ? x / totalArrivals : 0);

// Monthly cost for 2,000 monitors at 1 minute = 86.4 M probes/month, from the per-probe counts.
const probesMonth = 2000 * 60 * 24 * 30;
const month = {
  requests: perProbe(invocations) * probesMonth,
  cpuMs: perProbe(cpuMs) * probesMonth,
  queueOps: perProbe(queueMessages * 3) * probesMonth,
  doRequests: perProbe(doRequests) * probesMonth,
  d1Read: perProbe(d1RowsRead) * probesMonth,
  d1Written: perProbe(d1RowsWritten) * probesMonth,
};
const included = { requests: 10e6, cpuMs: 30e6, queueOps: 1e6, doRequests: 1e6, d1Read: 25e9, d1Written: 50e6 };
const price = { requests: 0.3, cpuMs: 0.02, queueOps: 0.4, doRequests: 0.15, d1Read: 0.001, d1Written: 1.0 };
const overageWith = (cpuMsMonth) => {
  let total = 0;
  for (const k of Object.keys(month)) total += (Math.max(0, (k === "cpuMs" ? cpuMsMonth : month[k]) - included[k]) / 1e6) * price[k];
  return total;
};
// What of workerd's CPU is the isolate's own work (see bench/perf-split.mjs for the parts).
const isolateShare = profile?.shares ? profile.shares.filter((p) => p.isolate).reduce((n, p) => n + p.share, 0) : null;

console.log(`
| measure | value |
|---|---|
| fleet | ${monitors} monitors every ${intervalText}, targets answer after ${latency} ms, ${minutes} min measured after ${warmup} min warm-up, ${targetsCount} target servers |
| probes/s achieved | ${f(totalArrivals / span)} |
| runs scheduled / executed | ${planned.length} / ${executed} (${f((executed / planned.length) * 100, 2)} %) |
| start-time jitter p50 / p99 (abs) | ${f(pct(absJitter, 50), 0)} ms / ${f(pct(absJitter, 99), 0)} ms |
| worker CPU (local workerd process, all of it: an upper bound) | ${f(cpuMs, 0)} ms total, ${f(perProbe(cpuMs), 3)} ms per probe |
| invocations (cron + queue batches) | ${tickEvents.length} + ${batchEvents.length} → ${f(perProbe(invocations), 5)} per probe |
| subrequests | ${f(totalArrivals, 0)} probe fetches → 1 per probe |
| queue operations | ${queueMessages} messages × 3 → ${f(perProbe(queueMessages * 3), 5)} per probe (${f(monitorsPerBatch, 0)} runs per batch) |
| Durable Object requests | ${doRequests} → ${f(perProbe(doRequests), 5)} per probe |
| D1 rows read / written | ${d1RowsRead} / ${d1RowsWritten} → ${f(perProbe(d1RowsRead), 4)} / ${f(perProbe(d1RowsWritten), 5)} per probe |
| 2,000 monitors at 1 min, per month | ${f(month.requests / 1e6, 2)} M requests, ${f(month.cpuMs / 1e6, 1)} M CPU ms, ${f(month.queueOps / 1e6, 2)} M queue ops, ${f(month.doRequests / 1e6, 3)} M DO requests, ${f(month.d1Read / 1e6, 1)} M / ${f(month.d1Written / 1e6, 2)} M D1 rows read / written |
| worker CPU, the isolate's own work (perf) | ${isolateShare === null ? `not measured: ${profile?.error ?? "--no-profile"}` : `${f(isolateShare * 100, 1)} % of it, ${f(perProbe(cpuMs) * isolateShare, 3)} ms per probe → ${f((month.cpuMs * isolateShare) / 1e6, 1)} M CPU ms a month`} |
| cost beyond the $5 plan's included usage | ${isolateShare === null ? "" : `$${f(overageWith(month.cpuMs * isolateShare), 2)} / month with the isolate's CPU; `}$${f(overageWith(month.cpuMs), 2)} / month with all of workerd's CPU (upper bound) |
| targets | ${connectionMode === "close" ? "answer with `connection: close`" : "keep connections alive, idle timeout 75 s"}: ${f(acceptedMeasured, 0)} connections accepted for ${f(totalArrivals, 0)} requests (${f(acceptedMeasured / Math.max(1, totalArrivals), 3)} per probe) |
| workerd open file descriptors (/proc, every 2 s) | peak ${f(fds.peak, 0)} (median ${f(
  pct(
    fds.samples.map((x) => x[1]).sort((a, b) => a - b),
    50,
  ),
  0,
)}; ${f(fds.runPeak, 0)} over the whole run, start-up included) against at most ${f(fds.inFlightPeak, 0)} probes in flight and ${f(fds.openPeak, 0)} connections open at the targets |
| npm start's output | ${f(output.bytes / 1024, 1)} KiB in all (${f(output.lines, 0)} lines), ${f((output.bytes - outputBefore) / 1024, 1)} KiB over the ${minutes} measured min → ${f((((output.bytes - outputBefore) / minutes) * 30) / 1024, 0)} KiB per 30 min |
| what the probes measured (last measured minute) | ${probeSide.error ? `not read: ${probeSide.error}` : `${f(probeSide.n, 0)} runs: first byte p50 / p99 ${f(pct(probeSide.firstByte, 50), 0)} / ${f(pct(probeSide.firstByte, 99), 0)} ms (${f(probeSide.firstByte.length, 0)} with one), whole response p50 / p99 ${f(pct(probeSide.total, 50), 0)} / ${f(pct(probeSide.total, 99), 0)} ms`} |
| worker | \`npm start${inspect ? " -- --inspect" : ""}\` (${inspect ? "wrangler dev CLI, inspector attached" : "wrangler's API, inspector off"}), VIGIL_WATCH=0, state in ${stateRoot} |
| machine | ${cpus().length} cores, load average ${loadavg()
  .map((l) => l.toFixed(1))
  .join(" / ")}, Node ${process.version} |
`);
if (isolateShare !== null) {
  console.log(`workerd CPU by part (perf, ${f(profile.total, 0)} cpu-clock samples over the measured minutes; * = the isolate's own work):

| part | share | ms per probe |
|---|---:|---:|
${profile.shares.map((p) => `| ${p.part}${p.isolate ? " *" : ""} | ${f(p.share * 100, 1)} % | ${f(perProbe(cpuMs) * p.share, 3)} |`).join("\n")}
| **isolate's own work (*)** | **${f(isolateShare * 100, 1)} %** | **${f(perProbe(cpuMs) * isolateShare, 3)}** |
`);
}
if (process.env.BENCH_LOG)
  writeFileSync(process.env.BENCH_LOG, [...logLines, ...[...noise].sort((a, b) => b[1] - a[1]).map(([l, n]) => `${n}× ${l}`)].join("\n"));
const noisiest = [...noise].sort((a, b) => b[1] - a[1]).slice(0, 3);
if (noisiest.length)
  console.log(`Other output during the measurement (most frequent first):\n${noisiest.map(([l, n]) => `  ${n}× ${l}`).join("\n")}`);
rmSync(scratch, { recursive: true, force: true });
process.exit(0);
