/**
 * Push and spool against a real loopback ingest server that verifies signatures: an outage
 * (server stopped for a while, agent restarted meanwhile) loses nothing and duplicates
 * nothing, reports arrive in seq order, seq survives the restart, a hung endpoint does not
 * delay the check loop, and the spool stays within its bounds.
 */
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
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

/**
 * Resolves once `cond()` holds, polling on `setImmediate` (real I/O goes on meanwhile; vitest's
 * fake timers, where a test uses them, leave it alone). Fails after `ms` of real time.
 */
async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error(`still waiting after ${ms} ms: ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

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
      await until(() => agent.pusher!.failures > 0 && agent.spool!.size === i + 1, `report ${i + 4} spooled after a failed push`);
    }
    expect(agent.spool!.size).toBe(3);

    // 2. The agent restarts during the outage: seq continues from disk.
    await agent.stop(0);
    agent = await Agent.create({ config: cfg, log: log() });
    expect(agent.spool!.size).toBeGreaterThanOrEqual(3);
    agent.pusher!.start();
    const report = await agent.cycle();
    expect(report.seq).toBe(SEQ_BLOCK + 1); // resumes above the reservation (1..64) made before the restart
    await agent.cycle();

    // 3. The worker is back (same port): the spool drains oldest first.
    await until(() => agent.pusher!.failures > 0, "the restarted agent meets the outage");
    await server.start();
    await server.waitFor(8, 20_000);
    await until(() => agent.spool!.size === 0, "the spool drained");
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
    // Time is driven: the loop's 5 s interval, the 2 s push time-out and the backoff run on
    // vitest's fake setTimeout and Date; the checks, the spool and the connections are real.
    const hungDir = await mkdtemp(join(tmpdir(), "vigil-agent-hung-"));
    let requests = 0;
    const hung: Server = createServer(() => void requests++); // takes every report, never answers
    await new Promise<void>((r) => hung.listen(0, "127.0.0.1", r));
    const from = lines.length;
    // The cycle's last step: once logged, the loop is waiting for its next tick.
    const cycled = (seq: number) => lines.slice(from).some((l) => l.includes('"msg":"cycle"') && l.includes(`"seq":${seq},`));
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    try {
      const port = (hung.address() as AddressInfo).port;
      // A TCP check (to the same server): the host check's first run samples the CPU for 250 ms.
      const checks = [{ kind: "tcp", host: "127.0.0.1", port, timeout: "5s" }];
      const agent = await Agent.create({ config: config(hungDir, `http://127.0.0.1:${port}`, { checks }), log: log() });
      const started = Date.now();
      const run = agent.run(); // the real loop: 5 s interval, 2 s push time-out
      await until(() => cycled(1) && requests === 1, "cycle 1 and its push in flight");
      await vi.advanceTimersByTimeAsync(2000); // the push times out; the loop is not waiting for it
      await until(
        () => lines.slice(from).some((l) => l.includes('"msg":"push failed"') && l.includes("no answer headers within 2000 ms")),
        "the push time-out",
      );
      expect(agent.spool!.lastSeq).toBe(1);
      await vi.advanceTimersByTimeAsync(3000); // 5 s
      await until(() => cycled(2), "cycle 2");
      await vi.advanceTimersByTimeAsync(5000); // 10 s
      await until(() => cycled(3), "cycle 3");
      vi.useRealTimers();
      await agent.stop(0);
      await run;
      // Cycles at 0, 5 and 10 s, all on time although every push hangs until its time-out.
      expect(agent.spool!.lastSeq).toBe(3);
      // Nothing was delivered; a clean stop leaves every report in the spool for the next start.
      expect(agent.spool!.size).toBe(3);
      const spooled = await Promise.all(
        (await readdir(join(hungDir, "spool")))
          .filter((n) => n.endsWith(".json"))
          .sort()
          .map((n) => readFile(join(hungDir, "spool", n), "utf8")),
      );
      expect(spooled.map((b) => Date.parse((JSON.parse(b) as { sentAt: string }).sentAt) - started)).toEqual([0, 5000, 10_000]);
      expect(agent.pusher!.delivered).toBe(0);
    } finally {
      vi.useRealTimers();
      hung.closeAllConnections();
      await new Promise((r) => hung.close(r));
      await rm(hungDir, { recursive: true, force: true });
    }
  });

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
      checks: [
        {
          id: "x:y",
          kind: "x",
          status: "ok",
          summary: '"sentAt":"2020-01-01T00:00:00.000Z"',
          observedAt: "2026-01-01T00:00:00.000Z",
          durationMs: 1,
          metrics: { sentAt: 3 },
        },
      ],
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
    expect(await contract.verifyReportSignature("s3cret-0123456789", body, header, 1_800_000_010)).toEqual({
      ok: true,
      timestamp: 1_800_000_000,
    });
  });
});
