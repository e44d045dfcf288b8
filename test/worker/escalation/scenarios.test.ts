/**
 * The runbook's escalation rules, time-compressed, inside workerd: real ServiceObjects with their
 * alarms, real D1, the real notification queue and loopback receivers that verify signatures.
 * Policy `runbook-fast` (test/worker/vigil.config.ts): group wait 1 s; L2 on 3 failed recoveries
 * or a flag; L3 after 3 s of outage (the runbook's 30 min), a failed database recovery, or two
 * containers failing at once.
 *
 * Time is the test clock (test/worker/ingest/helpers.ts): nothing sleeps. A wait of the policy
 * passes by running the service's alarm at the time it is set for (`runAlarm`); "nothing was
 * paged" is read from what the service queued (the timeline's `notification.queued`), which it
 * writes in the same batch as its decision, as well as from the receivers.
 */
import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { EscalationInput } from "../../../src/engine/escalation";
import { configureSink, sinkRecords, waitFor } from "../fixtures";
import { admin, adminPost, advanceClock, alarmOf, fetchWorker, makeReport, runAlarm, sendReport, useTestClock } from "../ingest/helpers";

const SINKS = ["esc-l1", "esc-l2", "esc-l3"] as const;

const stub = (service: string) => env.SERVICE.getByName(service);
const apply = (service: string, input: EscalationInput) => stub(service).apply(service, input);
/** Runs the service's alarm at the time it is set for (there must be one). */
async function alarm(service: string): Promise<number> {
  const at = await runAlarm(stub(service));
  expect(at, `an alarm armed for ${service}`).not.toBeNull();
  return at!;
}
const down = (service: string, checkId: string, kind = "http") =>
  apply(service, { type: "check", checkId, kind, status: "down", reason: `${checkId} failed`, at: Date.now() });
const up = (service: string, checkId: string, kind = "http") =>
  apply(service, { type: "check", checkId, kind, status: "up", reason: null, at: Date.now() });

/** Pages that reached the receivers for `service`, as `event@sink`, in arrival order. */
async function pages(service: string): Promise<string[]> {
  const all = await Promise.all(SINKS.map(async (sink) => (await sinkRecords(sink)).map((r) => ({ sink, r }))));
  return all
    .flat()
    .filter(({ r }) => JSON.parse(r.body).data?.incident?.service?.id === service)
    .sort((a, b) => a.r.receivedAt - b.r.receivedAt)
    .map(({ sink, r }) => `${JSON.parse(r.body).type}@${sink}`);
}

/** Pages the service queued for delivery, as `event@channel`, in order. */
async function queued(service: string): Promise<string[]> {
  const { results } = await env.DB.prepare(
    "SELECT e.detail FROM incident_events e JOIN incidents i ON i.id = e.incident_id WHERE i.service_id = ? AND e.type = 'notification.queued' ORDER BY e.id",
  )
    .bind(service)
    .all<{ detail: string }>();
  return results.map((r) => JSON.parse(r.detail)).map((d: { event: string; channel: string }) => `${d.event}@${d.channel}`);
}

/** Why the L3 page went out, as its payload says. */
async function l3Reason(service: string): Promise<string> {
  const r = (await sinkRecords("esc-l3")).find((x) => JSON.parse(x.body).data?.incident?.service?.id === service)!;
  return JSON.parse(r.body).data.incident.facts.reason;
}

describe("escalation scenarios (30 minutes as 3 seconds)", () => {
  beforeAll(async () => {
    for (const sink of SINKS) await configureSink(sink, { status: 200, secret: env.TEST_WEBHOOK_SECRET });
    useTestClock(); // for the whole file: time only moves forward
  });
  afterAll(() => void vi.useRealTimers());

  it("L1 → L2 after three failed automatic recoveries reported by the agent", async () => {
    const check = {
      id: "docker:app",
      kind: "docker",
      status: "critical" as const,
      summary: "container exited (137)",
      observedAt: new Date().toISOString(),
      durationMs: 3,
    };
    const failed = (attempt: number) => ({
      check: "docker:app",
      action: "restart",
      attempt,
      outcome: "failed" as const,
      at: new Date().toISOString(),
      detail: "still unhealthy after 60 s",
    });
    expect((await sendReport("t-esc", makeReport("t-esc", 1, { checks: [check] }))).status).toBe(202);
    await alarm("esc-recov"); // the group wait
    await waitFor(
      "the L1 page",
      () => pages("esc-recov"),
      (p) => p.includes("incident.opened@esc-l1"),
    );
    expect((await sendReport("t-esc", makeReport("t-esc", 2, { checks: [check], remediations: [failed(1), failed(2)] }))).status).toBe(202);
    // The report returns once the service has counted both: two failed recoveries page nobody new.
    expect(await queued("esc-recov")).toEqual(["incident.opened@esc-l1"]);
    expect(await pages("esc-recov")).toEqual(["incident.opened@esc-l1"]);
    expect((await sendReport("t-esc", makeReport("t-esc", 3, { checks: [check], remediations: [failed(3)] }))).status).toBe(202);
    const p = await waitFor(
      "the L2 page",
      () => pages("esc-recov"),
      (p) => p.length >= 2,
    );
    expect(p.slice(0, 2)).toEqual(["incident.opened@esc-l1", "incident.escalated@esc-l2"]);
    const l2 = (await sinkRecords("esc-l2")).find((r) => r.body.includes('"esc-recov"'))!;
    expect(l2.verified).toBe(true);
    expect(JSON.parse(l2.body).data.incident).toMatchObject({
      level: 2,
      facts: { failedRecoveries: 3, reason: "3 automatic recoveries failed" },
    });
  });

  it("L1 → L2 at once when someone flags a data-loss risk through the API", async () => {
    const incident = await down("esc-flag", "db-health");
    await alarm("esc-flag");
    await waitFor(
      "the L1 page",
      () => pages("esc-flag"),
      (p) => p.length >= 1,
    );
    const res = await adminPost(`/v1/incidents/${incident!.id}/flags`, { flag: "data-loss-risk", by: "kim" });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ incident: { id: incident!.id, level: 2, flags: ["data-loss-risk"] } });
    expect(
      (
        await waitFor(
          "the L2 page",
          () => pages("esc-flag"),
          (p) => p.length >= 2,
        )
      ).slice(0, 2),
    ).toEqual(["incident.opened@esc-l1", "incident.escalated@esc-l2"]);
    const bad = await adminPost(`/v1/incidents/${incident!.id}/flags`, { flag: "panic" });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: "invalid_body", issues: [expect.stringMatching(/^flag: /)] } });
  });

  it("L2 → L3 after the outage lasts 3 s (the runbook's 30 minutes), by alarm", async () => {
    const incident = await down("esc-outage", "app-health");
    await apply("esc-outage", { type: "flag", flag: "security", by: "kim", at: Date.now() });
    expect(await alarm("esc-outage")).toBe(incident!.openedAt + 1_000); // the group wait: L1, and L2 for the flag
    // Order is kept per (incident, channel); L1's and L2's pages, on two channels, are delivered
    // side by side and may arrive either way round. L3 comes with the alarm 3 s into the outage.
    const first = await waitFor(
      "L1 and L2",
      () => pages("esc-outage"),
      (p) => p.length >= 2,
    );
    expect(first.sort()).toEqual(["incident.escalated@esc-l2", "incident.opened@esc-l1"]);
    expect(await queued("esc-outage")).not.toContain("incident.escalated@esc-l3");
    expect(await alarm("esc-outage")).toBe(incident!.openedAt + 3_000);
    const p = await waitFor(
      "the L3 page",
      () => pages("esc-outage"),
      (p) => p.length >= 3,
    );
    expect(await l3Reason("esc-outage")).toMatch(/^down for \ds$/);
    expect(p.slice(2)).toEqual(["incident.escalated@esc-l3"]);
  });

  it("L2 → L3 at once when the database recovery fails", async () => {
    await down("esc-dbfail", "agent:db-1:postgres", "postgres");
    await apply("esc-dbfail", { type: "flag", flag: "data-loss-risk", by: "kim", at: Date.now() });
    await alarm("esc-dbfail");
    await waitFor(
      "L1 and L2",
      () => pages("esc-dbfail"),
      (p) => p.length >= 2,
    );
    await apply("esc-dbfail", { type: "remediation", checkId: "agent:db-1:postgres", outcome: "failed", at: Date.now() });
    await waitFor(
      "the L3 page",
      () => pages("esc-dbfail"),
      (p) => p.includes("incident.escalated@esc-l3"),
    );
    expect(await l3Reason("esc-dbfail")).toBe("1 automatic recovery failed (agent:*:postgres)");
  });

  it("L2 → L3 at once when several containers fail together", async () => {
    await down("esc-containers", "agent:app-1:docker:web", "docker");
    await apply("esc-containers", { type: "flag", flag: "security", by: "kim", at: Date.now() });
    await alarm("esc-containers");
    await waitFor(
      "L1 and L2",
      () => pages("esc-containers"),
      (p) => p.length >= 2,
    );
    await down("esc-containers", "agent:app-1:docker:worker", "docker");
    await waitFor(
      "the L3 page",
      () => pages("esc-containers"),
      (p) => p.includes("incident.escalated@esc-l3"),
    );
    expect(await l3Reason("esc-containers")).toBe("2 docker checks failing at once");
  });

  it("an acknowledgement racing an escalation: serialised, nobody paged twice", async () => {
    const incident = await down("esc-ack", "app-health");
    await alarm("esc-ack");
    await waitFor(
      "the L1 page",
      () => pages("esc-ack"),
      (p) => p.length >= 1,
    );
    const [ack, flag] = await Promise.all([
      adminPost(`/v1/incidents/${incident!.id}/ack`, { by: "kim" }),
      apply("esc-ack", { type: "flag", flag: "security", by: "lee", at: Date.now() }),
    ]);
    expect(ack.status).toBe(200);
    expect(flag?.ack?.by ?? "not yet").toBeDefined();
    // Past the 3 s outage rule: an acknowledged incident does not escalate (by its alarm, if one is armed, or any input).
    advanceClock(4_000);
    if ((await alarmOf(stub("esc-ack"))) !== null) await alarm("esc-ack");
    await apply("esc-ack", { type: "tick", at: Date.now() });
    expect(await queued("esc-ack")).not.toContain("incident.escalated@esc-l3");
    const p = await waitFor(
      "the acknowledgement",
      () => pages("esc-ack"),
      (p) => p.some((x) => x.startsWith("incident.acknowledged")),
    );
    expect(p).not.toContain("incident.escalated@esc-l3");
    expect(p.filter((x) => x === "incident.escalated@esc-l2").length).toBeLessThanOrEqual(1);
    const ids = (await Promise.all(SINKS.map((s) => sinkRecords(s))))
      .flat()
      .filter((r) => r.body.includes('"esc-ack"'))
      .map((r) => r.headers["webhook-id"]);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("a silence expiring mid-incident releases the page", async () => {
    const res = await adminPost("/v1/silences", { service: "esc-silence", duration: "2500ms", comment: "deploying", by: "kim" });
    expect(res.status).toBe(201);
    const silencedAt = Date.now();
    const incident = await down("esc-silence", "app-health");
    expect(incident?.held).toBe("silence");
    // 1.8 s in (past the group wait), still held.
    advanceClock(1_800);
    await apply("esc-silence", { type: "tick", at: Date.now() });
    expect(await queued("esc-silence")).toEqual([]);
    expect(await pages("esc-silence")).toEqual([]);
    // The service's alarm is set for the silence's end, and releases the page then.
    expect(await alarm("esc-silence")).toBe(silencedAt + 2_500);
    expect(
      await waitFor(
        "the page after the silence",
        () => pages("esc-silence"),
        (p) => p.length === 1,
      ),
    ).toEqual(["incident.opened@esc-l1"]);
    const timeline = await env.DB.prepare(
      "SELECT type FROM incident_events e JOIN incidents i ON i.id = e.incident_id WHERE i.service_id = 'esc-silence' ORDER BY e.id",
    ).all<{ type: string }>();
    expect(timeline.results.map((r) => r.type)).toEqual(expect.arrayContaining(["pages.held", "pages.released", "incident.paged"]));
  });

  it("a silence created after the service last read its silences holds the next page", async () => {
    // An input that reads (and keeps, for a while) the service's silences: none yet.
    await up("esc-silence2", "app-health");
    const res = await adminPost("/v1/silences", { service: "esc-silence2", duration: "1m", comment: "deploying", by: "kim" });
    expect(res.status).toBe(201);
    const incident = await down("esc-silence2", "app-health");
    expect(incident?.held).toBe("silence");
    advanceClock(1_000); // past the group wait
    await apply("esc-silence2", { type: "tick", at: Date.now() });
    expect(await queued("esc-silence2")).toEqual([]);
    expect(await pages("esc-silence2")).toEqual([]);
  });

  it("a maintenance window hides a planned outage", async () => {
    const incident = await down("esc-maint", "app-health");
    expect(incident?.held).toBe("maintenance");
    advanceClock(1_500); // past the group wait
    await apply("esc-maint", { type: "tick", at: Date.now() });
    await up("esc-maint", "app-health");
    expect(await queued("esc-maint")).toEqual([]);
    expect(await pages("esc-maint")).toEqual([]);
    const row = await env.DB.prepare("SELECT status FROM incidents WHERE service_id = 'esc-maint'").first<{ status: string }>();
    expect(row?.status).toBe("resolved");
  });

  it("the database outage that takes the app down pages once, for the database", async () => {
    await down("esc-app", "app-health");
    await down("esc-db", "agent:db-1:postgres", "postgres");
    await alarm("esc-db");
    await waitFor(
      "the database page",
      () => pages("esc-db"),
      (p) => p.length === 1,
    );
    await alarm("esc-app"); // its group wait is over too, with the database down
    expect(await queued("esc-db")).toEqual(["incident.opened@esc-l1"]);
    expect(await queued("esc-app")).toEqual([]);
    expect(await pages("esc-db")).toEqual(["incident.opened@esc-l1"]);
    expect(await pages("esc-app")).toEqual([]);
    const member = await env.DB.prepare(
      "SELECT m.suppressed_by, i.held FROM incident_members m JOIN incidents i ON i.id = m.incident_id WHERE i.service_id = 'esc-app'",
    ).first();
    expect(member).toEqual({ suppressed_by: "service:esc-db", held: "inhibited" });
  });

  it("a monitor failing because a check it dependsOn is down pages nobody", async () => {
    await env.DB.prepare(
      "INSERT OR REPLACE INTO check_state (check_id, status, since, consecutive_failures, consecutive_successes, reason, updated_at) VALUES ('esc-dep-db', 'down', ?1, 2, 0, 'db down', ?1)",
    )
      .bind(Date.now())
      .run();
    await down("esc-dep", "esc-dep-api");
    advanceClock(1_800); // past the group wait
    if ((await alarmOf(stub("esc-dep"))) !== null) await alarm("esc-dep");
    await apply("esc-dep", { type: "tick", at: Date.now() });
    expect(await queued("esc-dep")).toEqual([]);
    expect(await pages("esc-dep")).toEqual([]);
    const member = await env.DB.prepare(
      "SELECT m.suppressed_by FROM incident_members m JOIN incidents i ON i.id = m.incident_id WHERE i.service_id = 'esc-dep' AND m.check_id = 'esc-dep-api'",
    ).first();
    expect(member).toEqual({ suppressed_by: "esc-dep-db" });
  });

  it("sends signed, expiring acknowledge links that act only on POST", async () => {
    const incident = await down("esc-links", "app-health");
    await alarm("esc-links");
    await waitFor(
      "the L1 page",
      () => pages("esc-links"),
      (p) => p.length >= 1,
    );
    const record = (await sinkRecords("esc-l1")).find((r) => r.body.includes('"esc-links"'))!;
    const link = new URL(JSON.parse(record.body).data.incident.acknowledgeUrl);
    expect(link.pathname).toBe(`/a/${incident!.id}/ack`);
    const path = link.pathname + link.search;
    const get = await fetchWorker(new Request(`http://vigil.test${path}`));
    expect(get.status).toBe(200);
    expect(await get.text()).toContain("Acknowledge?");
    expect((await env.SERVICE.getByName("esc-links").incident())?.ack).toBeNull();
    const tampered = await fetchWorker(new Request(`http://vigil.test${path.replace(/sig=./, "sig=A")}`, { method: "POST" }));
    expect(tampered.status).toBe(403);
    const expired = await fetchWorker(new Request(`http://vigil.test/a/${incident!.id}/ack?exp=1&sig=${link.searchParams.get("sig")}`));
    expect(expired.status).toBe(403);
    const ack = await fetchWorker(new Request(`http://vigil.test${path}`, { method: "POST", body: new URLSearchParams({ by: "kim" }) }));
    expect(ack.status).toBe(200);
    expect((await env.SERVICE.getByName("esc-links").incident())?.ack?.by).toBe("kim");
    const detail = await (await admin(`/incidents/${incident!.id}`)).json<{ incident: { acknowledged: { by: string } } }>();
    expect(detail.incident.acknowledged.by).toBe("kim");
  });
});
