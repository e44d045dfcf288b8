/**
 * The dead-man: the AgentObject's alarm with short graces (1.5 s). The alarm sits at the
 * deadline; when it fires there, a silent agent's heartbeat is down, its other checks are
 * unknown (flagged stale: nobody knows their state, up or down), and the next report measures both.
 *
 * Time is the test clock (./helpers.ts) for the whole file: the alarm runs at the time it is set
 * for (`runAlarm`), or early on purpose. How late workerd fires a real alarm is measured by the
 * dead-man benchmark (bench/), in real time.
 */
import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { advanceClock, agentView, alarmOf, fetchWorker, makeReport, runAlarm, sendReport, statesOf, useTestClock } from "./helpers";

const agentObject = (agent: string) => env.AGENT.getByName(agent);

const heartbeatDown = async (agent: string) => {
  const hb = (await statesOf(agent)).get("heartbeat");
  return hb?.status === "down" ? { hb, seenAt: Date.now() } : null;
};

beforeAll(() => useTestClock());
afterAll(() => void vi.useRealTimers());

describe("dead-man alarm", () => {
  it("fires within 1 s of lastSeen + grace, makes the checks unknown (stale), and recovers on the next report", async () => {
    const agents = ["t-fast", "t-fast2"];
    const now = new Date().toISOString();
    const responses = await Promise.all(
      agents.map((a) =>
        sendReport(
          a,
          makeReport(a, 1, {
            checks: [
              { id: "docker:db", kind: "docker", status: "ok", summary: "running", observedAt: now, durationMs: 1 },
              { id: "host:disk", kind: "host", status: "warn", summary: "disk 85 %", observedAt: now, durationMs: 1 },
            ],
          }),
        ),
      ),
    );
    const deadlines = await Promise.all(
      responses.map(async (r) => {
        expect(r.status).toBe(202);
        const body = await r.json<{ graceSeconds: number; deadline: string }>();
        expect(body.graceSeconds).toBe(1.5); // configured grace overrides 3 × 30 s
        return Date.parse(body.deadline);
      }),
    );
    expect((await statesOf("t-fast")).get("heartbeat")?.status).toBe("up");

    // Each alarm sits at its deadline; run there, it marks the heartbeat down at once.
    const seen: { seenAt: number }[] = [];
    for (let i = 0; i < agents.length; i++) {
      expect(await alarmOf(agentObject(agents[i]!))).toBe(deadlines[i]);
      expect(await runAlarm(agentObject(agents[i]!))).toBe(deadlines[i]);
      seen.push((await heartbeatDown(agents[i]!))!);
      expect(seen[i], `${agents[i]} heartbeat down`).not.toBeNull();
    }
    for (let i = 0; i < agents.length; i++) {
      const view = await agentView(agents[i]!);
      const lateness = Date.parse(view.markedDownAt) - deadlines[i]!;
      expect(lateness).toBeGreaterThanOrEqual(0);
      expect(lateness).toBeLessThanOrEqual(1_000);
      expect(seen[i]!.seenAt - deadlines[i]!).toBeLessThanOrEqual(1_000);
    }

    // Heartbeat down with a reason; the other checks are unknown, not their last status, and flagged stale.
    const states = await statesOf("t-fast");
    expect(states.get("heartbeat")!.reason).toMatch(/^no report for 1\.\d s \(grace 1\.5 s\); last seq 1$/);
    const silentSince = `stale: agent silent since ${new Date(deadlines[0]! - 1_500).toISOString()}`;
    expect(states.get("docker:db")).toMatchObject({ status: "unknown", reason: silentSince });
    expect(states.get("host:disk")).toMatchObject({ status: "unknown", reason: silentSince });
    expect(states.get("docker:db")!.stale_since).toEqual(expect.any(Number));
    expect(states.get("host:disk")!.stale_since).toEqual(expect.any(Number));
    expect(states.get("heartbeat")!.stale_since).toBeNull();
    // status.json (operator view) says the same: unknown, stale, the heartbeat down.
    const doc = await (
      await fetchWorker(
        new Request("http://vigil.test/status.json", { headers: { authorization: "Bearer test-admin-token-0123456789abcdef" } }),
      )
    ).json<{ services: { id: string; components: { id: string; status: string; stale: boolean; reason: string | null }[] }[] }>();
    const components = doc.services.find((s) => s.id === "hosts")!.components;
    const component = (id: string) => components.find((c) => c.id === id);
    expect(component("agent:t-fast:docker:db")).toMatchObject({ status: "unknown", stale: true, reason: silentSince });
    expect(component("agent:t-fast:heartbeat")).toMatchObject({ status: "down", stale: false });
    const incident = await env.DB.prepare("SELECT id, title FROM incidents WHERE service_id = 'hosts' AND status = 'open'").first<{
      id: string;
      title: string;
    }>();
    expect(incident?.title).toMatch(/^Hosts: agent:t-fast2?:heartbeat down — no report for/);
    const members = await env.DB.prepare("SELECT check_id FROM incident_members WHERE incident_id = ? ORDER BY check_id")
      .bind(incident!.id)
      .all();
    expect(members.results.map((m) => m.check_id)).toEqual(["agent:t-fast2:heartbeat", "agent:t-fast:heartbeat"]);
    const row = await env.DB.prepare("SELECT silent_since FROM agents WHERE agent_id = 't-fast'").first<{ silent_since: number }>();
    expect(row?.silent_since).toEqual(expect.any(Number));

    // The next valid report recovers the heartbeat and clears staleness.
    for (const a of agents) expect((await sendReport(a, makeReport(a, 2))).status).toBe(202);
    const after = await statesOf("t-fast");
    expect(after.get("heartbeat")).toMatchObject({ status: "up", reason: null });
    expect(after.get("docker:db")!.stale_since).toBeNull();
    expect(after.get("host:disk")!.stale_since).toBeNull();
    expect(await env.DB.prepare("SELECT status FROM incidents WHERE id = ?").bind(incident!.id).first("status")).toBe("resolved");
    expect((await agentView("t-fast")).silentSince).toBeNull();
  });

  it("an alarm armed for an earlier deadline re-arms itself: down at the latest deadline, not before", async () => {
    const agent = "t-fast3"; // grace 1.5 s
    const first = await sendReport(agent, makeReport(agent, 1));
    expect(first.status).toBe(202);
    const firstDeadline = Date.parse((await first.json<{ deadline: string }>()).deadline);
    advanceClock(900);
    const second = await sendReport(agent, makeReport(agent, 2));
    expect(second.status).toBe(202);
    const deadline = Date.parse((await second.json<{ deadline: string }>()).deadline);
    // The first deadline passes: the alarm fires, finds the newer deadline, and re-arms.
    expect(await alarmOf(agentObject(agent))).toBe(firstDeadline);
    advanceClock(900);
    expect(await runDurableObjectAlarm(agentObject(agent))).toBe(true);
    expect((await statesOf(agent)).get("heartbeat")?.status).toBe("up");
    expect(await alarmOf(agentObject(agent))).toBe(deadline);
    expect(await runAlarm(agentObject(agent))).toBe(deadline);
    const seen = (await heartbeatDown(agent))!;
    expect(seen, `${agent} heartbeat down`).not.toBeNull();
    const view = await agentView(agent);
    expect(Date.parse(view.deadline)).toBe(deadline);
    const lateness = Date.parse(view.markedDownAt) - deadline;
    expect(lateness).toBeGreaterThanOrEqual(0);
    expect(lateness).toBeLessThanOrEqual(1_000);
    expect(seen.seenAt - deadline).toBeLessThanOrEqual(1_000);
    expect(seen.hb.reason).toMatch(/last seq 2$/);
  });

  it("a report before the deadline pushes the alarm back", async () => {
    const agent = "t-dead"; // default grace: 3 × 30 s
    expect((await sendReport(agent, makeReport(agent, 1))).status).toBe(202);
    const first = (await agentView(agent)).deadline;
    advanceClock(20);
    expect((await sendReport(agent, makeReport(agent, 2))).status).toBe(202);
    const view = await agentView(agent);
    expect(Date.parse(view.deadline)).toBeGreaterThan(Date.parse(first));
    expect(view.graceSeconds).toBe(90);
    const alarm = await env.AGENT.getByName(agent).describe();
    expect(alarm.deadline).toBe(Date.parse(view.deadline));
  });

  it("a silent agent's check that was down becomes unknown in the incident: the heartbeat is what is down", async () => {
    const agent = "t-thresh"; // failure threshold 1; default grace: 3 × 30 s
    const observedAt = new Date().toISOString();
    const critical = {
      id: "redis:cache",
      kind: "redis",
      status: "critical" as const,
      summary: "connection refused",
      observedAt,
      durationMs: 1,
    };
    expect((await sendReport(agent, makeReport(agent, 1, { checks: [critical] }))).status).toBe(202);
    expect((await statesOf(agent)).get("redis:cache")?.status).toBe("down");
    await runAlarm(agentObject(agent));
    expect((await statesOf(agent)).get("heartbeat")?.status).toBe("down");
    const member = (id: string) =>
      env.DB.prepare("SELECT status, suppressed_by FROM incident_members WHERE check_id = ?").bind(`agent:${agent}:${id}`).first();
    expect(await member("redis:cache")).toMatchObject({ status: "unknown" });
    expect(await member("heartbeat")).toEqual({ status: "down", suppressed_by: null });
    const incident = await env.DB.prepare(
      "SELECT incidents.id AS id, incidents.status AS status FROM incident_members JOIN incidents ON incidents.id = incident_id WHERE check_id = ?",
    )
      .bind(`agent:${agent}:heartbeat`)
      .first<{ id: string; status: string }>();
    expect(incident?.status).toBe("open");
    const events = await env.DB.prepare("SELECT type, detail FROM incident_events WHERE incident_id = ? ORDER BY id")
      .bind(incident!.id)
      .all();
    expect(events.results.map((e) => e.type)).toContain("member.unknown");
  });
});
