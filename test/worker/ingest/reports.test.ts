/**
 * POST /v1/agents/:id/reports: every refusal has its own status, code and sentence and stores
 * nothing; an honest report is applied exactly once.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { MAX_REPORT_BYTES } from "../../../src/contract/report";
import { signReport } from "../../../src/contract/signature";
import { agentView, fetchWorker, makeReport, SECRET, sendReport, statesOf } from "./helpers";

/** Nothing of this agent was stored: no state rows, no seq in its object, no remediations. */
async function expectNothingStored(agentId: string) {
  expect((await statesOf(agentId)).size).toBe(0);
  const view = await agentView(agentId);
  expect(view.lastSeq).toBeNull();
  expect(view.history).toEqual([]);
  const rem = await env.DB.prepare("SELECT COUNT(*) AS n FROM remediations WHERE agent_id = ?").bind(agentId).first<{ n: number }>();
  expect(rem?.n).toBe(0);
}

const errorOf = async (res: Response) => (await res.json<{ error: { code: string; message: string; issues?: string[] } }>()).error;

describe("signature and timestamp", () => {
  const agent = "t-sig";

  it("refuses a tampered body", async () => {
    const report = makeReport(agent, 1);
    const tampered = JSON.stringify({ ...report, seq: 2 });
    const res = await sendReport(agent, tampered, { signedBody: JSON.stringify(report) });
    expect(res.status).toBe(401);
    expect(await errorOf(res)).toEqual({ code: "invalid_signature", message: 'signature does not match the body (agent "t-sig")' });
    await expectNothingStored(agent);
  });

  it("refuses a report signed with another key", async () => {
    const res = await sendReport(agent, makeReport(agent, 1), { secret: "not-the-agent-secret" });
    expect(res.status).toBe(401);
    expect((await errorOf(res)).code).toBe("invalid_signature");
    await expectNothingStored(agent);
  });

  it("refuses a missing or malformed signature header", async () => {
    let res = await sendReport(agent, makeReport(agent, 1), { signature: null });
    expect(res.status).toBe(401);
    expect(await errorOf(res)).toEqual({ code: "missing_signature", message: 'missing Vigil-Signature header (agent "t-sig")' });
    res = await sendReport(agent, makeReport(agent, 1), { signature: "v1=abcd" });
    expect(res.status).toBe(401);
    expect((await errorOf(res)).message).toContain("has no valid t=<unix seconds>");
    res = await sendReport(agent, makeReport(agent, 1), { signature: `t=${Math.floor(Date.now() / 1000)},v1=zz` });
    expect((await errorOf(res)).code).toBe("invalid_signature");
    await expectNothingStored(agent);
  });

  it("refuses a stale timestamp and a future one, each with its own message", async () => {
    const now = Math.floor(Date.now() / 1000);
    const stale = await sendReport(agent, makeReport(agent, 1), { t: now - 400 });
    expect(stale.status).toBe(401);
    const staleError = await errorOf(stale);
    expect(staleError.code).toBe("signature_expired");
    expect(staleError.message).toMatch(/^signature timestamp is (39\d|4\d\d) s old; at most 300 s is accepted/);

    const future = await sendReport(agent, makeReport(agent, 1), { t: now + 400 });
    expect(future.status).toBe(401);
    const futureError = await errorOf(future);
    expect(futureError.code).toBe("signature_in_future");
    expect(futureError.message).toMatch(/^signature timestamp is (39\d|400) s in the future; at most 300 s is accepted/);
    await expectNothingStored(agent);
  });

  it("accepts timestamps inside the ±5 minute window", async () => {
    const now = Math.floor(Date.now() / 1000);
    expect((await sendReport(agent, makeReport(agent, 1), { t: now - 280 })).status).toBe(202);
    expect((await sendReport(agent, makeReport(agent, 2), { t: now + 280 })).status).toBe(202);
  });

  it("answers 202 with the next expected report and the dead-man deadline", async () => {
    const before = Date.now();
    const res = await sendReport(agent, makeReport(agent, 3, { intervalSeconds: 20 }));
    expect(res.status).toBe(202);
    const body = await res.json<any>();
    expect(body).toMatchObject({ accepted: true, duplicate: false, seq: 3, nextReportInSeconds: 20, graceSeconds: 60 });
    expect(Date.parse(body.nextReportBy) - before).toBeGreaterThanOrEqual(20_000);
    expect(Date.parse(body.deadline) - before).toBeGreaterThanOrEqual(60_000);
    expect(Date.parse(body.deadline) - before).toBeLessThan(62_000);
  });
});

describe("who may report", () => {
  it("answers 404 for an agent that is not configured", async () => {
    const res = await sendReport("nobody", makeReport("nobody", 1));
    expect(res.status).toBe(404);
    expect(await errorOf(res)).toEqual({ code: "unknown_agent", message: 'no agent "nobody" in the config' });
  });

  it("answers 403 for a disabled agent and stores nothing", async () => {
    const res = await sendReport("t-off", makeReport("t-off", 1));
    expect(res.status).toBe(403);
    expect(await errorOf(res)).toEqual({
      code: "agent_disabled",
      message: 'agent "t-off" is disabled in the config; its reports are refused',
    });
    expect((await statesOf("t-off")).size).toBe(0);
  });
});

describe("size limit", () => {
  const agent = "t-size";

  it("refuses a declared Content-Length over 256 KiB without reading the body", async () => {
    const res = await sendReport(agent, makeReport(agent, 1), { headers: { "content-length": String(MAX_REPORT_BYTES + 1) } });
    expect(res.status).toBe(413);
    expect(await errorOf(res)).toEqual({
      code: "payload_too_large",
      message: `report is ${MAX_REPORT_BYTES + 1} bytes; the limit is 262144 bytes (256 KiB)`,
    });
    await expectNothingStored(agent);
  });

  it("counts the bytes that actually arrive when no length is declared", async () => {
    const big = new Uint8Array(MAX_REPORT_BYTES + 10).fill(0x20);
    const t = Math.floor(Date.now() / 1000);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < big.length; i += 16 * 1024) controller.enqueue(big.subarray(i, i + 16 * 1024));
        controller.close();
      },
    });
    const res = await fetchWorker(
      new Request(`http://vigil.test/v1/agents/${agent}/reports`, {
        method: "POST",
        headers: { "vigil-signature": await signReport(SECRET, "x", t) },
        body: stream,
      }),
    );
    expect(res.status).toBe(413);
    expect(await errorOf(res)).toEqual({ code: "payload_too_large", message: "report body exceeds the limit of 262144 bytes (256 KiB)" });
    await expectNothingStored(agent);
  });

  it("accepts a report of exactly the limit", async () => {
    const report = makeReport(agent, 1);
    const base = JSON.stringify(report);
    const padded = `${base.slice(0, -1) + " ".repeat(MAX_REPORT_BYTES - base.length)}}`;
    expect(new TextEncoder().encode(padded).byteLength).toBe(MAX_REPORT_BYTES);
    expect((await sendReport(agent, padded)).status).toBe(202);
  });
});

describe("schema", () => {
  const agent = "t-schema";

  it("lists every zod issue with its path", async () => {
    const now = new Date().toISOString();
    const bad = {
      agent: { id: agent, version: "", hostname: "h" },
      seq: -1,
      sentAt: "yesterday",
      intervalSeconds: 30,
      checks: [{ id: "docker:db", kind: "docker", status: "on-fire", summary: "x", observedAt: now, durationMs: 1 }],
      remediations: [{ check: "docker:db", action: "restart", attempt: 0, outcome: "failed", at: now }],
    };
    const res = await sendReport(agent, JSON.stringify(bad));
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.code).toBe("invalid_report");
    expect(error.message).toBe("report does not match the schema (5 problems)");
    const paths = error.issues!.map((i) => i.slice(0, i.indexOf(":")));
    expect(paths.sort()).toEqual(["agent.version", "checks[0].status", "remediations[0].attempt", "sentAt", "seq"]);
    await expectNothingStored(agent);
  });

  it("refuses a body that is not JSON, and a report naming another agent", async () => {
    let res = await sendReport(agent, "{not json");
    expect(res.status).toBe(400);
    expect((await errorOf(res)).code).toBe("invalid_json");

    res = await sendReport(agent, makeReport("someone-else", 1));
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toEqual({
      code: "invalid_report",
      message: "report names another agent",
      issues: ['agent.id: expected "t-schema" (the agent in the URL), got "someone-else"'],
    });
    await expectNothingStored(agent);
  });

  it("refuses an unsupported schemaVersion", async () => {
    const res = await sendReport(agent, { ...makeReport(agent, 1), schemaVersion: 99 });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).issues).toEqual(["schemaVersion: unsupported schemaVersion; supported: 1"]);
    await expectNothingStored(agent);
  });
});

describe("many checks", () => {
  it("stores every check of a report with more checks than one SQL statement takes, and updates them all", async () => {
    const agent = "t-many";
    const now = new Date().toISOString();
    const checks = (status: "ok" | "warn") =>
      Array.from({ length: 40 }, (_, i) => ({
        id: `host:c${String(i).padStart(2, "0")}`,
        kind: "host",
        status,
        summary: `${status} ${i}`,
        observedAt: now,
        durationMs: 1,
      }));
    expect((await sendReport(agent, makeReport(agent, 1, { checks: checks("ok") }))).status).toBe(202);
    let view = await agentView(agent);
    expect(view.checks).toHaveLength(40);
    expect(view.checks.every((c: { status: string; seq: number }) => c.status === "ok" && c.seq === 1)).toBe(true);
    expect((await sendReport(agent, makeReport(agent, 2, { checks: checks("warn") }))).status).toBe(202);
    view = await agentView(agent);
    expect(view.checks).toHaveLength(40);
    expect(view.checks.map((c: { summary: string }) => c.summary)).toEqual(Array.from({ length: 40 }, (_, i) => `warn ${i}`));
    expect(view.checks.every((c: { status: string; seq: number }) => c.status === "warn" && c.seq === 2)).toBe(true);
  });
});

describe("exactly once", () => {
  it("answers a repeated seq with 200 duplicate and applies it only once", async () => {
    const agent = "t-seq";
    const now = new Date().toISOString();
    const critical = makeReport(agent, 7, {
      checks: [{ id: "docker:db", kind: "docker", status: "critical", summary: "exited (137)", observedAt: now, durationMs: 2 }],
    });
    expect((await sendReport(agent, critical)).status).toBe(202);
    const first = await statesOf(agent);
    expect(first.get("docker:db")).toMatchObject({ status: "unknown", consecutive_failures: 1 });

    // The same report again (a retry after a lost answer, or a replay within the window).
    const again = await sendReport(agent, critical);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ accepted: true, duplicate: true, seq: 7, lastSeq: 7 });
    // With a failure threshold of 2, a second application would have made it down.
    expect(await statesOf(agent)).toEqual(first);
    expect((await agentView(agent)).history).toHaveLength(1);
  });

  it("records an older seq in history without regressing the current state", async () => {
    const agent = "t-late";
    const now = new Date().toISOString();
    const ok = (seq: number) => makeReport(agent, seq);
    const critical = (seq: number) =>
      makeReport(agent, seq, {
        checks: [{ id: "docker:db", kind: "docker", status: "critical", summary: "exited", observedAt: now, durationMs: 2 }],
      });
    expect((await sendReport(agent, ok(10))).status).toBe(202);
    const before = await statesOf(agent);

    for (const seq of [8, 9]) {
      const res = await sendReport(agent, critical(seq));
      expect(res.status).toBe(202);
      expect(await res.json()).toEqual({ accepted: true, duplicate: false, late: true, seq, lastSeq: 10 });
    }
    expect(await statesOf(agent)).toEqual(before); // two criticals would have taken it down
    const view = await agentView(agent);
    expect(view.lastSeq).toBe(10);
    expect(view.checks[0]).toMatchObject({ id: "docker:db", status: "ok", seq: 10 });
    expect(view.history.map((h: any) => [h.seq, h.late])).toEqual([
      [9, true],
      [8, true],
      [10, false],
    ]);

    // A late seq seen before is a duplicate too.
    expect((await sendReport(agent, critical(8))).status).toBe(200);
  });

  it("serialises concurrent reports from one agent: each seq applied once, none lost", async () => {
    const agent = "t-conc";
    const seqs = Array.from({ length: 25 }, (_, i) => i + 1);
    const first = await Promise.all(seqs.map((s) => sendReport(agent, makeReport(agent, s))));
    const bodies = await Promise.all(first.map((r) => r.json<any>()));
    expect(first.every((r) => r.status === 202)).toBe(true);
    expect(bodies.map((b) => b.seq).sort((a, b) => a - b)).toEqual(seqs);
    const view = await agentView(agent);
    expect(view.lastSeq).toBe(25);
    expect(view.history.length).toBe(20); // describe() shows the latest 20
    const all = await Promise.all(seqs.map((s) => sendReport(agent, makeReport(agent, s))));
    expect(all.map((r) => r.status)).toEqual(seqs.map(() => 200));

    // The same new seq ten times at once: exactly one is applied.
    const same = await Promise.all(Array.from({ length: 10 }, () => sendReport(agent, makeReport(agent, 26))));
    expect(same.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 202]);
    expect((await agentView(agent)).lastSeq).toBe(26);
  });
});
