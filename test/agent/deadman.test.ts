/**
 * The agent's dead-man (agent/deadman.ts) against real loopback servers: the tests' ingest
 * server (signature-checking stand-in for the worker) stopped and restarted, a webhook receiver
 * that checks Standard Webhooks signatures with the spec authors' library (test/servers/fixtures.ts),
 * and a real command run without a shell. Time is the agent's injected clock: no sleeping for
 * `after`.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { type IncomingMessage, type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Agent } from "../../agent/agent";
import { ConfigError, parseConfig } from "../../agent/config";
import { type DeadManEvent, deadManEvent } from "../../agent/deadman";
import { standardWebhookHeaders } from "../../lib/standard-webhooks";
import { Logger } from "../../agent/log";
import { verifyStandardWebhook } from "../servers/fixtures";
import { type IngestServer, startIngestServer } from "./ingest-server";

const SECRET = "test-agent-secret-deadman-7c2e";
const AGENT_ID = "deadman-test";
const WEBHOOK_SECRET = `whsec_${Buffer.from("dead-man webhook key 0123456789").toString("base64")}`;
process.env.VIGIL_TEST_DEADMAN_AGENT_SECRET = SECRET;
process.env.VIGIL_TEST_DEADMAN_WEBHOOK_SECRET = WEBHOOK_SECRET;

interface Received {
  headers: Record<string, string>;
  body: string;
  event: DeadManEvent;
  verified: boolean;
}

/** A loopback webhook receiver; `failNext` requests are answered 500 first. */
async function startReceiver() {
  const received: Received[] = [];
  const state = { received, failNext: 0, url: "", server: null as Server | null };
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (state.failNext > 0) {
        state.failNext--;
        return void res.writeHead(500).end("try later");
      }
      const body = Buffer.concat(chunks).toString("utf8");
      const headers = req.headers as Record<string, string>;
      received.push({
        headers,
        body,
        event: JSON.parse(body) as DeadManEvent,
        verified: verifyStandardWebhook(WEBHOOK_SECRET, headers, body),
      });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/vigil?token=abc`;
  state.server = server;
  return state;
}

const lines: string[] = [];
const log = new Logger({ level: "debug", write: (l) => void lines.push(l) });

function config(stateDir: string, workerUrl: string, deadMan: Record<string, unknown>) {
  return parseConfig({
    agent: { id: AGENT_ID, hostname: "test-host" },
    worker: { url: workerUrl, secret: { env: "VIGIL_TEST_DEADMAN_AGENT_SECRET" }, timeout: "2s", retryMin: "100ms", retryMax: "300ms" },
    interval: "5s",
    stateDir,
    deadMan,
    checks: [{ kind: "tcp", host: "127.0.0.1", port: 1, timeout: "2s" }],
  });
}

async function until(what: string, test: () => boolean, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe("dead-man: the agent alerts on the host when the worker stops accepting its reports", () => {
  let ingest: IngestServer;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let dir: string;
  beforeAll(async () => {
    ingest = await startIngestServer(SECRET, AGENT_ID);
    receiver = await startReceiver();
    dir = await mkdtemp(join(tmpdir(), "vigil-agent-deadman-"));
  });
  afterAll(async () => {
    await ingest.stop();
    await new Promise<void>((r) => receiver.server!.close(() => r()));
    await rm(dir, { recursive: true, force: true });
  });

  it("ingest stopped, then restarted: one signed alert after `after`, one recovery when reports flow again", async () => {
    let now = Date.now();
    const cfg = config(join(dir, "webhook"), ingest.url, {
      after: "1m",
      webhook: { url: receiver.url, secret: { env: "VIGIL_TEST_DEADMAN_WEBHOOK_SECRET" } },
    });
    const agent = await Agent.create({ config: cfg, log, now: () => now });
    agent.pusher!.start();
    try {
      await agent.cycle();
      await ingest.waitFor(1);
      // The server records a report before its answer reaches the agent: wait for the pusher to
      // take the answer, or a late acceptance would be stamped with the clock moved on below.
      await until("the pusher to see the acceptance", () => agent.pusher!.delivered === 1);

      // 1. The worker goes away. Silent for 50 s: not yet.
      await ingest.stop();
      now += 25_000;
      await agent.cycle();
      await until("a failed push", () => agent.pusher!.failures > 0);
      now += 25_000;
      await agent.cycle();
      await agent.deadMan!.idle();
      expect(receiver.received).toEqual([]);

      // 2. Past a minute: the alert. Its first delivery fails (500) and is tried again next cycle.
      receiver.failNext = 1;
      now += 15_000;
      await agent.cycle();
      await agent.deadMan!.idle();
      expect(receiver.received).toEqual([]);
      expect(lines.some((l) => l.includes("dead-man: cannot deliver") && l.includes("answered 500"))).toBe(true);
      now += 5_000;
      await agent.cycle();
      await agent.deadMan!.idle();
      expect(receiver.received).toHaveLength(1);
      const alert = receiver.received[0]!;
      expect(alert.verified).toBe(true);
      expect(alert.headers["content-type"]).toBe("application/json");
      expect(alert.headers["webhook-id"]).toMatch(/^vigil-agent:deadman-test:agent\.worker_unreachable:\d+$/);
      expect(alert.event).toMatchObject({
        type: "agent.worker_unreachable",
        agent: { id: AGENT_ID, hostname: "test-host" },
        silentSeconds: 70,
      });
      expect(alert.event.pending).toBeGreaterThanOrEqual(3);
      expect(alert.event.lastError).toMatch(/ECONNREFUSED/);
      expect(alert.event.summary).toMatch(
        /^vigil-agent deadman-test on test-host: the Vigil worker has accepted no report for 1\.2m \(since .*Z\); \d+ reports waiting; last error: .*ECONNREFUSED/,
      );

      // 3. Still down, much later: no second alert.
      for (let i = 0; i < 3; i++) {
        now += 60_000;
        await agent.cycle();
      }
      await agent.deadMan!.idle();
      expect(receiver.received).toHaveLength(1);

      // 4. The worker is back: the spool drains, and one recovery goes out.
      await ingest.start();
      await until("the recovery", () => receiver.received.length >= 2);
      await agent.deadMan!.idle();
      const recovery = receiver.received[1]!;
      expect(recovery.verified).toBe(true);
      expect(recovery.event).toMatchObject({ type: "agent.worker_reachable", lastError: null, silentSeconds: 250 });
      expect(recovery.event.summary).toMatch(/the Vigil worker accepts reports again after 4\.2m/);
      expect(recovery.headers["webhook-id"]).toBe(alert.headers["webhook-id"]!.replace("unreachable", "reachable"));
      now += 5_000;
      await agent.cycle();
      await until("the spool to drain", () => agent.pusher!.pending === 0);
      await agent.deadMan!.idle();
      expect(receiver.received.map((r) => r.event.type)).toEqual(["agent.worker_unreachable", "agent.worker_reachable"]);
      expect(ingest.duplicates).toEqual([]);
    } finally {
      await agent.stop(0);
    }
    expect(lines.join("")).not.toContain(SECRET);
    expect(lines.join("")).not.toContain(WEBHOOK_SECRET.slice(6));
  }, 60_000);

  it("a revoked secret (401): the alert says so, through a command run without a shell", async () => {
    const out = join(dir, "command-out.jsonl");
    // The worker answers, but no longer takes this agent's signature.
    const revoked = await startIngestServer("a-different-secret-0123456789", AGENT_ID);
    let now = Date.now();
    const script =
      "const fs = require('fs'); fs.appendFileSync(process.argv[1], JSON.stringify({ type: process.env.VIGIL_DEADMAN_TYPE, stdin: JSON.parse(fs.readFileSync(0, 'utf8')) }) + '\\n')";
    const cfg = config(join(dir, "command"), revoked.url, {
      after: "30s",
      command: [process.execPath, "-e", script, out, "; echo not a shell"],
    });
    const agent = await Agent.create({ config: cfg, log, now: () => now });
    agent.pusher!.start();
    try {
      await agent.cycle();
      await until("a refused push", () => agent.pusher!.lastError !== null);
      now += 31_000;
      await agent.cycle();
      await agent.deadMan!.idle();
      now += 31_000;
      await agent.cycle();
      await agent.deadMan!.idle();
    } finally {
      await agent.stop(0);
      await revoked.stop();
    }
    expect(revoked.badSignatures).toBeGreaterThan(0);
    const runs = (await readFile(out, "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { type: string; stdin: DeadManEvent });
    expect(runs).toHaveLength(1);
    expect(runs[0]!.type).toBe("agent.worker_unreachable");
    expect(runs[0]!.stdin).toMatchObject({
      type: "agent.worker_unreachable",
      lastError: "401 (check the agent secret and the clock)",
      silentSeconds: 31,
    });
  }, 30_000);

  it("without a secret the webhook gets plain JSON, unsigned", async () => {
    let now = Date.now();
    receiver.failNext = 0;
    const before = receiver.received.length;
    const cfg = config(join(dir, "plain"), "http://127.0.0.1:9", { after: "10s", webhook: { url: receiver.url } });
    const agent = await Agent.create({ config: cfg, log, now: () => now });
    try {
      now += 10_000;
      await agent.cycle();
      await agent.deadMan!.idle();
    } finally {
      await agent.stop(0);
    }
    const plain = receiver.received.slice(before);
    expect(plain).toHaveLength(1);
    expect(plain[0]!.headers["webhook-signature"]).toBeUndefined();
    expect(plain[0]!.headers["content-type"]).toBe("application/json");
    expect(plain[0]!.event).toMatchObject({ type: "agent.worker_unreachable", silentSeconds: 10, lastError: null });
  });

  it("a command that fails or outlives its time-out is logged and tried again", async () => {
    let now = Date.now();
    const cfg = config(join(dir, "slow"), "http://127.0.0.1:9", {
      after: "10s",
      timeout: "300ms",
      command: [process.execPath, "-e", "setTimeout(() => {}, 10000)"],
    });
    const agent = await Agent.create({ config: cfg, log, now: () => now });
    try {
      now += 11_000;
      await agent.cycle();
      await agent.deadMan!.idle();
      expect(agent.deadMan!.delivered).toBe(0);
      const failed = () => lines.filter((l) => l.includes("dead-man: cannot deliver") && l.includes("SIGKILL (time-out 300ms)")).length;
      expect(failed()).toBe(1);
      now += 5_000;
      await agent.cycle(); // the next cycle tries again
      await agent.deadMan!.idle();
      expect(failed()).toBe(2);
    } finally {
      await agent.stop(0);
    }
  }, 30_000);
});

describe("dead-man pieces", () => {
  it("signs per Standard Webhooks: the spec's verifier accepts, a changed body is refused", () => {
    const body = '{"type":"agent.worker_unreachable"}';
    const headers = standardWebhookHeaders(WEBHOOK_SECRET, "msg_1", 1_800_000_000, body);
    expect(headers).toMatchObject({ "webhook-id": "msg_1", "webhook-timestamp": "1800000000" });
    expect(verifyStandardWebhook(WEBHOOK_SECRET, headers, body)).toBe(true);
    expect(verifyStandardWebhook(WEBHOOK_SECRET, headers, body.replace("un", ""))).toBe(false);
  });

  it("builds the event as documented", () => {
    const at = Date.UTC(2026, 11, 6, 8, 0, 0);
    expect(
      deadManEvent("agent.worker_unreachable", {
        agentId: "a1",
        hostname: "h",
        lastAccepted: at - 300_000,
        now: at,
        pending: 1,
        lastError: "503",
      }),
    ).toEqual({
      type: "agent.worker_unreachable",
      agent: { id: "a1", hostname: "h" },
      lastAcceptedAt: "2026-12-06T07:55:00.000Z",
      at: "2026-12-06T08:00:00.000Z",
      silentSeconds: 300,
      pending: 1,
      lastError: "503",
      summary:
        "vigil-agent a1 on h: the Vigil worker has accepted no report for 5m (since 2026-12-06T07:55:00.000Z); 1 report waiting; last error: 503",
    });
  });

  it("config errors name their path", () => {
    const issues = (extra: Record<string, unknown>) => {
      try {
        parseConfig({ agent: { id: "x" }, checks: [{ kind: "host" }], ...extra });
        return [];
      } catch (e) {
        if (e instanceof ConfigError) return e.issues;
        throw e;
      }
    };
    const worker = { url: "https://vigil.example.com", secret: { env: "X" } };
    expect(issues({ worker, deadMan: { after: "20s", webhook: { url: "https://hooks.example.com/x" }, command: ["/bin/true"] } })).toEqual([
      "deadMan: needs exactly one of webhook and command",
      "deadMan.after: must be longer than the interval (30s), got 20s",
    ]);
    expect(issues({ worker, deadMan: { command: [] } })).toEqual(["deadMan.command: Too small: expected array to have >=1 items"]);
    expect(issues({ deadMan: { command: ["/bin/true"] } })).toEqual(["deadMan: watches the worker: set worker too"]);
    expect(issues({ worker, deadMan: { webhook: { url: "ftp://x" } } })).toEqual(["deadMan.webhook.url: Invalid url"]);
    expect(parseConfig({ agent: { id: "x" }, worker, checks: [{ kind: "host" }], deadMan: { command: ["/bin/true"] } }).deadMan).toEqual({
      after: 300_000,
      timeout: 10_000,
      command: ["/bin/true"],
    });
  });

  it("a malformed webhook secret fails at start, without printing it", async () => {
    process.env.VIGIL_TEST_DEADMAN_BAD = "not-a-whsec-secret";
    const d = await mkdtemp(join(tmpdir(), "vigil-agent-deadman-bad-"));
    try {
      const cfg = config(d, "http://127.0.0.1:9", { webhook: { url: "http://127.0.0.1:9/x", secret: { env: "VIGIL_TEST_DEADMAN_BAD" } } });
      const err = await Agent.create({ config: cfg, log }).then(
        () => null,
        (e: Error) => e,
      );
      expect(err?.message).toBe("config: deadMan: webhook secret must be 'whsec_' followed by at least 16 base64-encoded bytes");
    } finally {
      await rm(d, { recursive: true, force: true });
    }
  });
});
