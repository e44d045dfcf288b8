/**
 * The agent's object evaluates checks with the probes' engine (thresholds, recovery, incidents)
 * and keeps the remediation log that escalation reads.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { AgentReportInput } from "../../../src/contract/report";
import { failedRecoveriesInARow } from "../../../src/store/remediations";
import { agentView, makeReport, sendReport, statesOf } from "./helpers";

type Status = "ok" | "warn" | "critical" | "unknown";
const checks = (entries: Record<string, Status>): AgentReportInput["checks"] =>
  Object.entries(entries).map(([id, status]) => ({
    id,
    kind: id.split(":")[0]!,
    status,
    summary: status === "ok" ? "fine" : `${id} is ${status}`,
    observedAt: new Date().toISOString(),
    durationMs: 1,
  }));

const openIncident = () =>
  env.DB.prepare("SELECT id, title FROM incidents WHERE service_id = 'hosts' AND status = 'open'").first<{ id: string; title: string }>();

describe("evaluation with the engine", () => {
  it("maps ok/warn/critical/unknown to up/degraded/down/unknown with the agent's thresholds; unknown neither fails nor recovers", async () => {
    const agent = "t-thresh"; // failureThreshold 1, recoveryThreshold 1; docker:db overrides failureThreshold 3
    let seq = 0;
    const send = async (c: Record<string, Status>) =>
      expect((await sendReport(agent, makeReport(agent, ++seq, { checks: checks(c) }))).status).toBe(202);

    await send({ "docker:db": "ok", "host:disk": "ok", "redis:cache": "ok" });
    let s = await statesOf(agent);
    expect([s.get("docker:db")?.status, s.get("host:disk")?.status, s.get("redis:cache")?.status, s.get("heartbeat")?.status]).toEqual([
      "up",
      "up",
      "up",
      "up",
    ]);

    await send({ "docker:db": "critical", "host:disk": "warn", "redis:cache": "critical" });
    s = await statesOf(agent);
    expect(s.get("host:disk")).toMatchObject({ status: "degraded", reason: "host:disk is warn" });
    expect(s.get("redis:cache")).toMatchObject({ status: "down", reason: "redis:cache is critical" }); // threshold 1
    expect(s.get("docker:db")).toMatchObject({ status: "up", consecutive_failures: 1 }); // override: threshold 3
    const incident = await openIncident();
    expect(incident?.title).toBe("Hosts: agent:t-thresh:redis:cache down — redis:cache is critical");

    // unknown is neither failure nor recovery: the down check stays down; the up one is
    // unknown now (it was not measured), its failure counter kept.
    await send({ "docker:db": "unknown", "redis:cache": "unknown" });
    s = await statesOf(agent);
    expect(s.get("redis:cache")?.status).toBe("down");
    expect(s.get("docker:db")).toMatchObject({ status: "unknown", consecutive_failures: 1 });
    expect((await agentView(agent)).checks.find((c: any) => c.id === "redis:cache").status).toBe("unknown");

    await send({ "docker:db": "critical" });
    await send({ "docker:db": "critical" });
    expect((await statesOf(agent)).get("docker:db")?.status).toBe("down");
    const members = await env.DB.prepare("SELECT check_id, status FROM incident_members WHERE incident_id = ? ORDER BY check_id")
      .bind(incident!.id)
      .all();
    expect(members.results).toEqual([
      { check_id: "agent:t-thresh:docker:db", status: "down" },
      { check_id: "agent:t-thresh:redis:cache", status: "down" },
    ]);

    await send({ "docker:db": "ok", "redis:cache": "ok", "host:disk": "ok" });
    s = await statesOf(agent);
    expect([s.get("docker:db")?.status, s.get("redis:cache")?.status, s.get("host:disk")?.status]).toEqual(["up", "up", "up"]);
    expect(await env.DB.prepare("SELECT status FROM incidents WHERE id = ?").bind(incident!.id).first("status")).toBe("resolved");
  });
});

describe("remediations", () => {
  it("stores each attempt once and counts failed recoveries in a row per check", async () => {
    const agent = "t-remed";
    const at = (min: number) => new Date(Date.UTC(2026, 10, 22, 14, min)).toISOString();
    const attempt = (n: number, outcome: "failed" | "succeeded" | "skipped", min: number) => ({
      check: "docker:safework-postgres",
      action: "restart",
      attempt: n,
      outcome,
      at: at(min),
      detail: outcome === "failed" ? "still unhealthy after 60 s" : undefined,
    });
    const id = "agent:t-remed:docker:safework-postgres";
    const send = (seq: number, remediations: any[]) => sendReport(agent, makeReport(agent, seq, { remediations }));

    expect((await send(1, [attempt(1, "failed", 0)])).status).toBe(202);
    expect((await send(2, [attempt(2, "failed", 5), attempt(1, "failed", 0)])).status).toBe(202); // agent resends attempt 1
    expect((await send(3, [attempt(3, "skipped", 8)])).status).toBe(202); // cooldown: neither counts nor resets
    expect(await failedRecoveriesInARow(env.DB, id)).toBe(2);
    // A late report (spool replay) still delivers its remediation facts.
    expect((await send(4, [])).status).toBe(202);
    expect((await send(0, [attempt(3, "failed", 10)])).status).toBe(202);
    expect(await failedRecoveriesInARow(env.DB, id)).toBe(3);

    const view = await agentView(agent);
    const rows = await env.DB.prepare("SELECT attempt, outcome FROM remediations WHERE check_id = ? ORDER BY at").bind(id).all();
    expect(rows.results).toEqual([
      { attempt: 1, outcome: "failed" },
      { attempt: 2, outcome: "failed" },
      { attempt: 3, outcome: "skipped" },
      { attempt: 3, outcome: "failed" },
    ]);
    expect(view.history.find((h: any) => h.seq === 0)).toMatchObject({ late: true, remediations: 1 });

    expect((await send(5, [attempt(4, "succeeded", 15)])).status).toBe(202);
    expect(await failedRecoveriesInARow(env.DB, id)).toBe(0);
  });
});
