/**
 * Push and spool against a real loopback ingest server that verifies signatures: an outage
 * (server stopped for a while, agent restarted meanwhile) loses nothing and duplicates
 * nothing, reports arrive in seq order, seq survives the restart, a hung endpoint does not
 * delay the check loop, and the spool stays within its bounds.
 */
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Agent } from "../../agent/agent";
import { parseConfig } from "../../agent/config";
import { Logger } from "../../agent/log";
import { backoffMs, retryAfterMs, signReport, withSentAt } from "../../agent/push";
import * as contract from "../../src/contract/signature";
import { SEQ_BLOCK, Spool } from "../../agent/spool";
import { type IngestServer, startIngestServer } from "./ingest-server";

const SECRET = "test-agent-secret-5f1c0d9e";
const AGENT_ID = "push-test";
process.env.VIGIL_TEST_AGENT_SECRET = SECRET;

function config(stateDir: string, url: string, extra: Record<string, unknown> = {}) {
  return parseConfig({
    agent: { id: AGENT_ID, hostname: "test-host" },
    worker: { url, secret: { env: "VIGIL_TEST_AGENT_SECRET" }, timeout: "2s", retryMin: "100ms", retryMax: "400ms" },
    interval: "5s",
    stateDir,
    checks: [{ kind: "host", mounts: ["/"], timeout: "5s" }],
    ...extra,
  });
}

const lines: string[] = [];
const log = () => new Logger({ level: "debug", write: (l) => void lines.push(l) });

describe("push and spool", () => {
  let server: IngestServer;
  let dir: string;

  beforeAll(async () => {
    server = await startIngestServer(SECRET, AGENT_ID);
    dir = await mkdtemp(join(tmpdir(), "vigil-agent-push-"));
  });
  afterAll(async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("survives an outage and an agent restart: every report arrives once, in order", async () => {
    const cfg = config(dir, server.url);
    let agent = await Agent.create({ config: cfg, log: log() });
    agent.pusher!.start();
    for (let i = 0; i < 3; i++) await agent.cycle();
    await server.waitFor(3);

    // 1. The worker goes away; the agent keeps checking and spools.
    await server.stop();
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      await agent.cycle();
      expect(performance.now() - t0).toBeLessThan(3000); // checks are not held up by the dead endpoint
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(agent.spool!.size).toBeGreaterThanOrEqual(3);
    expect(agent.pusher!.failures).toBeGreaterThan(0);

    // 2. The agent restarts during the outage: seq continues from disk.
    await agent.stop(0);
    agent = await Agent.create({ config: cfg, log: log() });
    expect(agent.spool!.size).toBeGreaterThanOrEqual(3);
    agent.pusher!.start();
    const report = await agent.cycle();
    expect(report.seq).toBe(SEQ_BLOCK + 1); // resumes above the reservation (1..64) made before the restart
    await agent.cycle();

    // 3. The worker is back (same port): the spool drains oldest first.
    await new Promise((r) => setTimeout(r, 500));
    await server.start();
    await server.waitFor(8, 20_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(server.reports.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6, SEQ_BLOCK + 1, SEQ_BLOCK + 2]);
    expect(server.duplicates).toEqual([]);
    expect(server.badSignatures).toBe(0);
    expect(agent.spool!.size).toBe(0);
    // The self check tells the worker how deep the spool was.
    const self = server.reports[7]!.checks.find((c) => c.id === "agent:self")!;
    expect(self.metrics?.spooled).toBeGreaterThanOrEqual(4);
    await agent.stop(0);
    expect((await readdir(join(dir, "spool"))).filter((n) => n.endsWith(".json"))).toEqual([]);
  });

  it("a hung endpoint does not delay the check loop", async () => {
    const hungDir = await mkdtemp(join(tmpdir(), "vigil-agent-hung-"));
    server.delayMs = Infinity;
    try {
      const agent = await Agent.create({ config: config(hungDir, server.url), log: log() });
      const started = Date.now();
      const run = agent.run(); // real loop, 5 s interval, 2 s push time-out
      await new Promise((r) => setTimeout(r, 10_500));
      await agent.stop(0);
      await run;
      // Cycles at 0, 5 and 10 s, all on time although every push hangs until its time-out.
      expect(agent.spool!.lastSeq).toBe(3);
      // Nothing was delivered; a clean stop leaves every report in the spool for the next start.
      expect(agent.spool!.size).toBe(3);
      expect(server.reports.length).toBe(8);
      expect(Date.now() - started).toBeLessThan(12_000);
      expect(lines.some((l) => l.includes("push failed"))).toBe(true);
    } finally {
      server.delayMs = 0;
      await rm(hungDir, { recursive: true, force: true });
    }
  }, 30_000);

  it("the spool is bounded: beyond maxReports the oldest are dropped and counted", async () => {
    const d = await mkdtemp(join(tmpdir(), "vigil-agent-spool-"));
    try {
      const spool = new Spool(d, { maxReports: 3 });
      await spool.open();
      for (let i = 0; i < 5; i++) await spool.put(await spool.nextSeq(), JSON.stringify({ i }));
      expect(spool.size).toBe(3);
      expect(spool.dropped).toBe(2);
      expect((await spool.oldest())?.seq).toBe(3);
      const reopened = new Spool(d, { maxReports: 3 });
      await reopened.open();
      expect(reopened.size).toBe(3);
      expect(await reopened.nextSeq()).toBe(SEQ_BLOCK + 1);
    } finally {
      await rm(d, { recursive: true, force: true });
    }
  });

  it("never logs the secret", () => {
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join("")).not.toContain(SECRET);
  });
});

describe("backoff", () => {
  it("doubles from the base with jitter, capped", () => {
    expect(backoffMs(1, 1000, 60_000, () => 0)).toBe(500);
    expect(backoffMs(1, 1000, 60_000, () => 1)).toBe(1000);
    expect(backoffMs(4, 1000, 60_000, () => 1)).toBe(8000);
    expect(backoffMs(20, 1000, 60_000, () => 0.5)).toBe(45_000);
  });
  it("reads Retry-After in seconds or as a date", () => {
    expect(retryAfterMs("7")).toBe(7000);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4000)).toBe(6000);
    expect(retryAfterMs(undefined)).toBeNull();
  });
});

describe("sentAt at send time", () => {
  it("rewrites the top-level sentAt only, whatever the summaries and metrics hold", () => {
    const report = {
      schemaVersion: 1,
      agent: { id: "a", version: "1", hostname: 'h"sentAt":"x' },
      seq: 1,
      sentAt: "2026-01-01T00:00:00.000Z",
      checks: [{ id: "x:y", kind: "x", status: "ok", summary: '"sentAt":"2020-01-01T00:00:00.000Z"', observedAt: "2026-01-01T00:00:00.000Z", durationMs: 1, metrics: { sentAt: 3 } }],
    };
    const out = JSON.parse(withSentAt(JSON.stringify(report), "2026-02-02T02:02:02.000Z"));
    expect(out).toEqual({ ...report, sentAt: "2026-02-02T02:02:02.000Z" });
    // Without a string sentAt (a body not written by this agent), it falls back to a JSON round trip.
    expect(JSON.parse(withSentAt('{"seq":2}', "2026-02-02T02:02:02.000Z"))).toEqual({ seq: 2, sentAt: "2026-02-02T02:02:02.000Z" });
  });
});

describe("signature", () => {
  it("node:crypto's HMAC gives the header the contract's WebCrypto signer gives, and the worker's check accepts", async () => {
    const body = JSON.stringify({ seq: 1, note: "ünïcode ✓" });
    const header = signReport("s3cret-0123456789", body, 1_800_000_000);
    expect(header).toBe(await contract.signReport("s3cret-0123456789", body, 1_800_000_000));
    expect(await contract.verifyReportSignature("s3cret-0123456789", body, header, 1_800_000_010)).toEqual({ ok: true, timestamp: 1_800_000_000 });
  });
});
