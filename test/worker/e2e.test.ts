/**
 * End to end inside workerd: a real loopback HTTP server flips 200 → 500 → 200; the scheduled
 * handler probes it; an incident opens and resolves in D1; a real loopback sink receives two
 * Standard-Webhooks-signed deliveries through the notification queue and verifies them.
 */
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import worker from "../../src/index";
import { clearSink, configureSink, setTarget, waitForSink } from "./fixtures";

const MINUTE = 60_000;
// Ticks for minutes already past: every planned run is due, so each tick probes at once
// (a late tick runs each monitor's latest run, see src/engine/plan.ts).
const t0 = Math.floor(Date.now() / MINUTE) * MINUTE - 30 * MINUTE;

async function tick(n: number) {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ scheduledTime: t0 + n * MINUTE, cron: "* * * * *" }), env, ctx);
  await waitOnExecutionContext(ctx);
}

const incidentRows = () =>
  env.DB.prepare("SELECT * FROM incidents WHERE service_id = 'e2e' ORDER BY opened_at").all<Record<string, unknown>>();

describe("walking skeleton: probe → incident → signed webhook", () => {
  beforeAll(async () => {
    await setTarget("e2e", { status: 200, body: "ok healthy" });
    await configureSink("e2e", { status: 200, secret: env.TEST_WEBHOOK_SECRET });
    await clearSink("e2e");
  });

  it("opens one incident after the failure threshold and resolves it after the recovery threshold", async () => {
    await tick(0);
    let state = await env.DB.prepare("SELECT status FROM check_state WHERE check_id = 'e2e-health'").first<{ status: string }>();
    expect(state?.status).toBe("up");

    await setTarget("e2e", { status: 500, body: "db down" });
    await tick(1); // first failure: below the threshold of 2
    expect((await incidentRows()).results).toHaveLength(0);
    await tick(2); // second failure: down
    const opened = (await incidentRows()).results;
    expect(opened).toHaveLength(1);
    expect(opened[0]).toMatchObject({ status: "open", level: 1, title: "E2E App: e2e-health down — expected status 2xx, got 500" });

    const [first] = await waitForSink("e2e", 1);
    expect(first!.verified).toBe(true);
    expect(first!.headers["content-type"]).toBe("application/json");
    expect(first!.headers["webhook-id"]).toBe(`${opened[0]!.id}:incident.opened:L1:0.1:ops-hook`);
    const openedEvent = JSON.parse(first!.body);
    expect(openedEvent).toMatchObject({
      type: "incident.opened",
      data: {
        incident: {
          id: opened[0]!.id,
          status: "open",
          service: { id: "e2e", name: "E2E App" },
          members: [{ check: "e2e-health", status: "down", reason: "expected status 2xx, got 500" }],
          url: `https://vigil.test/incidents/${opened[0]!.id}`,
        },
      },
    });

    await setTarget("e2e", { status: 200, body: "ok healthy" });
    await tick(3); // first success: still down (recovery threshold 2)
    expect((await incidentRows()).results[0]).toMatchObject({ status: "open" });
    await tick(4); // second success: resolved
    const resolved = (await incidentRows()).results;
    expect(resolved).toHaveLength(1);
    expect(resolved[0]).toMatchObject({ status: "resolved" });
    expect(resolved[0]!.resolved_at).toBeGreaterThan(resolved[0]!.opened_at as number);
    state = await env.DB.prepare("SELECT status FROM check_state WHERE check_id = 'e2e-health'").first<{ status: string }>();
    expect(state?.status).toBe("up");

    const records = await waitForSink("e2e", 2);
    expect(records.map((r) => r.headers["webhook-id"])).toEqual([
      `${opened[0]!.id}:incident.opened:L1:0.1:ops-hook`,
      `${opened[0]!.id}:incident.resolved:L1:0.1:ops-hook`,
    ]);
    expect(records[1]!.verified).toBe(true);
    expect(JSON.parse(records[1]!.body)).toMatchObject({
      type: "incident.resolved",
      data: { incident: { id: opened[0]!.id, status: "resolved" } },
    });

    // The delivery log has one delivered attempt per event and the timeline shows both.
    const deliveries = await env.DB.prepare("SELECT event_type, outcome FROM deliveries WHERE incident_id = ? ORDER BY id")
      .bind(opened[0]!.id)
      .all();
    expect(deliveries.results).toEqual([
      { event_type: "incident.opened", outcome: "delivered" },
      { event_type: "incident.resolved", outcome: "delivered" },
    ]);
    const timeline = await env.DB.prepare("SELECT type FROM incident_events WHERE incident_id = ? ORDER BY id")
      .bind(opened[0]!.id)
      .all<{ type: string }>();
    expect(timeline.results.map((r) => r.type)).toEqual([
      "incident.opened",
      "incident.paged",
      "notification.queued",
      "notification.sent",
      "member.recovered",
      "incident.resolved",
      "notification.queued",
      "notification.sent",
    ]);
  });
});
