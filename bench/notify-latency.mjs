#!/usr/bin/env node
/**
 * `npm run bench:notify`: from the event (a dead-man deadline, a failed probe, a status change,
 * an escalation) to a verifying webhook receiver, under `wrangler dev` as `npm start` runs it.
 *
 * 1. Start a receiver on loopback that checks every delivery's Standard Webhooks signature
 *    (HMAC-SHA256 over "<webhook-id>.<webhook-timestamp>.<body>", compared in constant time) and
 *    notes when each one arrived; and a target for the probes, switched off in step 4.
 * 2. Start a throw-away `wrangler dev` (scripts/dev-server.mjs, the CLI with `--test-scheduled`
 *    as `npm start` starts it) with bench/notify-latency.config.ts: BENCH_AGENTS agents with
 *    a BENCH_GRACE grace and BENCH_MONITORS monitors (interval 1 min, failure threshold 1),
 *    each in its own service; the policy pages at once and escalates after BENCH_ESCALATE.
 * 3. At a minute boundary fire the cron with the target on (every monitor comes up).
 * 4. At the next boundary switch the target off and fire the cron: each monitor fails at its
 *    own offset in that minute. Meanwhile the agents report once each, BENCH_SPREAD_MS apart,
 *    and go silent: each misses its deadline on its own.
 * 5. Wait until every page, state change and escalation has arrived (or BENCH_WAIT_S passed),
 *    then match each delivery to its event's true time:
 *    - dead-man page and the heartbeat's state change: the deadline the agent object armed
 *      (GET /v1/agents/:id `deadline`);
 *    - failed-probe page and the monitor's state change: when the probe saw the failure
 *      (`check.at` / the member's `since`);
 *    - escalation: the incident's `openedAt` + BENCH_ESCALATE.
 *    Prints p50/p95/p99/max per kind (receiver clock minus event time; one machine, one clock).
 *
 * Every request has a timeout; the run ends by itself.
 */
import { createHmac } from "node:crypto";
import http from "node:http";
import { cpus, loadavg } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startDevServer } from "../scripts/dev-server.mjs";
import { listenLocal } from "../scripts/lib.mjs";
// The receiver npm start runs verifies the same way: one Standard Webhooks check for both.
import { verifyStandardWebhook } from "../scripts/local-receiver.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const AGENT_SECRET = "bench-agent-secret-8c1f0e2d7a6b5c4d";
const WEBHOOK_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const ADMIN = "bench-admin-token-0123456789abcdef";
const agents = Number(process.env.BENCH_AGENTS ?? 50);
const monitors = Number(process.env.BENCH_MONITORS ?? 50);
const graceText = process.env.BENCH_GRACE ?? "2s";
const escalateText = process.env.BENCH_ESCALATE ?? "3s";
const spreadMs = Number(process.env.BENCH_SPREAD_MS ?? 1000);
const waitS = Number(process.env.BENCH_WAIT_S ?? 60);
const seconds = (text, name) => {
  const m = /^(\d+)s$/.exec(text);
  if (!m) throw new Error(`${name}: expected whole seconds like "3s", got "${text}"`);
  return Number(m[1]) * 1000;
};
const escalateMs = seconds(escalateText, "BENCH_ESCALATE");
seconds(graceText, "BENCH_GRACE");
const log = (msg) => console.error(`[bench:notify ${new Date().toISOString().slice(11, 23)}] ${msg}`);

// ── 1. receiver and target ─────────────────────────────────────────────────────────────────
const arrivals = []; // { at, id, event }
let badSignatures = 0;
const seenIds = new Set();
let duplicates = 0;
const receiver = http.createServer((req, res) => {
  const at = Date.now();
  let body = "";
  req.setEncoding("utf8");
  req.on("data", (d) => (body += d));
  req.on("end", () => {
    if (verifyStandardWebhook(WEBHOOK_SECRET, req.headers, body) !== null) {
      badSignatures++;
      res.writeHead(401).end();
      return;
    }
    const id = req.headers["webhook-id"];
    if (seenIds.has(id)) duplicates++;
    else {
      seenIds.add(id);
      arrivals.push({ at, id, event: JSON.parse(body) });
    }
    res.writeHead(204).end();
  });
});
let targetOn = true;
const target = http.createServer((req, res) => {
  if (targetOn) res.writeHead(200, { "content-type": "text/plain" }).end("ok");
  else req.socket.destroy(); // switched off: the connection dies without an answer
});
const receiverPort = await listenLocal(receiver, Number(process.env.BENCH_RECEIVER_PORT ?? 0));
const targetPort = await listenLocal(target, Number(process.env.BENCH_TARGET_PORT ?? 0));

// ── 2. dev server ──────────────────────────────────────────────────────────────────────────
const dev = await startDevServer({
  configPath: join(root, "bench/notify-latency.config.ts"),
  vars: {
    BENCH_AGENT_SECRET: AGENT_SECRET,
    BENCH_WEBHOOK_SECRET: WEBHOOK_SECRET,
    VIGIL_ADMIN_TOKEN: ADMIN,
    BENCH_AGENTS: agents,
    BENCH_MONITORS: monitors,
    BENCH_GRACE: graceText,
    BENCH_ESCALATE: escalateText,
    BENCH_RECEIVER_URL: `http://127.0.0.1:${receiverPort}/hook`,
    BENCH_TARGET_URL: `http://127.0.0.1:${targetPort}/`,
  },
  snapshot: true,
  logLevel: "warn",
  // As `npm start` runs it (scripts/worker-process.mjs): without the CLI's inspector proxy.
  inspector: false,
});
const base = dev.url;
let stopped = false;
async function finish(code) {
  if (!stopped) {
    stopped = true;
    await dev.stop().catch(() => undefined);
  }
  receiver.close();
  target.close();
  process.exit(code);
}
for (const event of ["uncaughtException", "unhandledRejection"]) {
  process.on(event, (err) => {
    console.error(`wrangler dev output (last 4000 characters):\n${dev.logs().slice(-4000)}`);
    console.error(err);
    void finish(1);
  });
}
process.on("SIGINT", () => void finish(130));
process.on("SIGTERM", () => void finish(130));
log(`wrangler dev on ${base}; receiver :${receiverPort}, target :${targetPort}; ${agents} agents, ${monitors} monitors`);

async function request(path, { method = "GET", headers = {}, body, timeoutMs = 30_000 } = {}) {
  const res = await fetch(`${base}${path}`, { method, headers, body, signal: AbortSignal.timeout(timeoutMs) });
  return { status: res.status, text: await res.text() };
}
const cron = () =>
  request(`/cdn-cgi/handler/scheduled?cron=${encodeURIComponent("* * * * *")}`, { timeoutMs: 90_000 }).catch((e) =>
    log(`cron failed: ${e.message}`),
  );
const nextMinute = () => new Promise((r) => setTimeout(r, 60_000 - (Date.now() % 60_000) + 20));

// ── 3. warm-up: every monitor up ───────────────────────────────────────────────────────────
await nextMinute();
log("warm-up minute: target on");
void cron();
await nextMinute();

// ── 4. the incident: target off, agents go silent one by one ──────────────────────────────
const measureFrom = Date.now();
targetOn = false;
log("measured minute: target off, agents report once each and go silent");
void cron();
const sign = (body, t) => `t=${t},v1=${createHmac("sha256", AGENT_SECRET).update(`${t}.${body}`).digest("hex")}`;
for (let i = 0; i < agents; i++) {
  const id = `bench-${i}`;
  const body = JSON.stringify({
    agent: { id, version: "bench", hostname: `host-${i}` },
    seq: 1,
    sentAt: new Date().toISOString(),
    intervalSeconds: 30,
    checks: [],
  });
  const res = await request(`/v1/agents/${id}/reports`, {
    method: "POST",
    headers: { "content-type": "application/json", "vigil-signature": sign(body, Math.floor(Date.now() / 1000)) },
    body,
  });
  if (res.status !== 202) throw new Error(`report ${id}: ${res.status} ${res.text}`);
  await new Promise((r) => setTimeout(r, spreadMs));
}

// ── 5. collect ─────────────────────────────────────────────────────────────────────────────
// Expected: per agent and per monitor one page, one escalation, one state change.
const expected = 3 * (agents + monitors);
/** Deliveries of the measured minute that are measured: pages, escalations, changes to down. */
const fresh = () =>
  arrivals.filter(
    (a) => Date.parse(a.event.timestamp) >= measureFrom && (a.event.type !== "monitor.state_changed" || a.event.data.check.to === "down"),
  );
const until = Date.now() + waitS * 1000;
while (fresh().length < expected && Date.now() < until) await new Promise((r) => setTimeout(r, 500));
log(`${fresh().length} of ${expected} expected deliveries arrived`);

const deadlines = new Map();
for (let i = 0; i < agents; i++) {
  const res = await request(`/v1/agents/bench-${i}`, { headers: { authorization: `Bearer ${ADMIN}` } });
  if (res.status !== 200) throw new Error(`GET /v1/agents/bench-${i}: ${res.status} ${res.text}`);
  const { agent } = JSON.parse(res.text);
  deadlines.set(`agent:bench-${i}:heartbeat`, Date.parse(agent.deadline));
}

const KINDS = [
  "dead-man deadline → page",
  "failed probe → page",
  "state change → webhook (dead-man)",
  "state change → webhook (probe)",
  "escalation (outage ≥ BENCH_ESCALATE) → page",
];
/** The kind of a delivery and its event's true time, or null. */
function classify(event) {
  if (event.type === "monitor.state_changed") {
    const c = event.data.check;
    return deadlines.has(c.id) ? [KINDS[2], deadlines.get(c.id)] : [KINDS[3], Date.parse(c.at)];
  }
  if (event.type === "incident.opened") {
    const m = event.data.incident.members[0];
    if (!m) return null;
    return deadlines.has(m.check) ? [KINDS[0], deadlines.get(m.check)] : [KINDS[1], Date.parse(m.since)];
  }
  if (event.type === "incident.escalated") return [KINDS[4], Date.parse(event.data.incident.openedAt) + escalateMs];
  return null;
}
// Per kind: event → receiver, and the part of it after the worker wrote the notification
// (the payload's `timestamp`): what the queue and the delivery add.
const kinds = Object.fromEntries(KINDS.map((k) => [k, []]));
const afterWrite = Object.fromEntries(KINDS.map((k) => [k, []]));
let unmatched = 0;
for (const { at, event } of fresh()) {
  const c = classify(event);
  if (!c) {
    unmatched++;
    continue;
  }
  kinds[c[0]].push(at - c[1]);
  afterWrite[c[0]].push(at - Date.parse(event.timestamp));
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
const ms = (v) => (v === undefined ? "–" : `${Math.round(v)} ms`);
const load = loadavg()
  .map((l) => l.toFixed(1))
  .join(" / ");
console.log(
  `\nMachine: ${cpus().length} cores (${cpus()[0]?.model.trim()}), Node ${process.version}, wrangler dev --local --test-scheduled (as npm start), receiver and worker on one machine; ` +
    `load average at the end ${load} (1/5/15 min; above 2 means other work shared the cores).`,
);
console.log(
  `${agents} agents (grace ${graceText}, one every ${spreadMs} ms), ${monitors} monitors failing over one minute, escalation after ${escalateText}; ` +
    `${fresh().length}/${expected} deliveries, ${badSignatures} bad signatures, ${duplicates} duplicates, ${unmatched} unmatched.\n`,
);
console.log("| event → verifying receiver | n | p50 | p95 | p99 | max | of which written → received: p50 / p99 |");
console.log("|---|---|---|---|---|---|---|");
let worstP99 = 0;
for (const [kind, list] of Object.entries(kinds)) {
  list.sort((a, b) => a - b);
  if (list.length) worstP99 = Math.max(worstP99, pct(list, 99));
  const w = afterWrite[kind].sort((a, b) => a - b);
  console.log(
    `| ${kind.replace("BENCH_ESCALATE", escalateText)} | ${list.length} | ${ms(pct(list, 50))} | ${ms(pct(list, 95))} | ${ms(pct(list, 99))} | ${ms(list.at(-1))} | ${ms(pct(w, 50))} / ${ms(pct(w, 99))} |`,
  );
}
const all = Object.values(kinds)
  .flat()
  .sort((a, b) => a - b);
const allWritten = Object.values(afterWrite)
  .flat()
  .sort((a, b) => a - b);
console.log(
  `| all | ${all.length} | ${ms(pct(all, 50))} | ${ms(pct(all, 95))} | ${ms(pct(all, 99))} | ${ms(all.at(-1))} | ${ms(pct(allWritten, 50))} / ${ms(pct(allWritten, 99))} |`,
);
const ok = badSignatures === 0 && fresh().length >= expected;
if (!ok) console.log(`\nIncomplete: ${fresh().length}/${expected} deliveries, ${badSignatures} bad signatures.`);
await finish(ok ? 0 : 1);
