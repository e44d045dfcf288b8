/**
 * State pages through the real objects (issue #21, points 1 and 5): observations recorded as the
 * runner records them (recordObservation: evaluate, D1, the ServiceObject), the real queue and
 * a loopback receiver. Policy `res-states` (test/worker/vigil.config.ts): a check unknown for
 * 10 min pages res-l2 "monitoring broken: …", degraded for 15 min pages res-l2 too; incidents
 * page res-l1. Time is driven by dating the inputs (the object takes `max(clock, input.at)`).
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { MonitorState } from "../../../src/engine/evaluate";
import { recordObservation, type Observation } from "../../../src/incidents/record";
import { configureSink, waitFor } from "../fixtures";
import { config, MIN, received } from "./state-pages-kit";

function checkOf(service: string) {
  const states = new Map<string, MonitorState>();
  const check = { id: `${service}-api`, service, kind: "http", failureThreshold: 1, recoveryThreshold: 1 };
  const sink = { DB: env.DB, SERVICE: env.SERVICE, NOTIFY: env.NOTIFY };
  return { check, observe: (o: Observation, at: number) => recordObservation(sink, config, states, check, o, at) };
}
/** State pages written to the outbox for `service` (written before they are handed to the queue). */
const queued = async (service: string) =>
  (await env.DB.prepare("SELECT key FROM outbox WHERE key LIKE ?").bind(`state-page:${service}:%`).all<{ key: string }>()).results.map(
    (r) => r.key,
  );
const incidentRows = async (service: string) =>
  (await env.DB.prepare("SELECT count(*) AS n FROM incidents WHERE service_id = ?").bind(service).first<{ n: number }>())?.n;

describe("state pages against a loopback receiver", () => {
  beforeAll(async () => {
    for (const sink of ["res-l1", "res-l2"]) await configureSink(sink, { status: 200, secret: env.TEST_WEBHOOK_SECRET });
  });

  it("unknown for 10 min pages 'monitoring broken' on res-l2, no incident, and resolves there when measured again", async () => {
    const { check, observe } = checkOf("sp-unknown");
    const t0 = Date.now() + MIN;
    await observe({ status: "up" }, t0 - MIN);
    await observe({ status: "unknown", reason: "internal error in the http probe" }, t0);
    // Five minutes unknown: nobody paged yet.
    expect(await env.SERVICE.getByName("sp-unknown").apply("sp-unknown", { type: "tick", at: t0 + 9 * MIN })).toBeNull();
    expect(await queued("sp-unknown")).toEqual([]);
    // Ten minutes: the alarm's tick pages res-l2.
    await env.SERVICE.getByName("sp-unknown").apply("sp-unknown", { type: "tick", at: t0 + 10 * MIN });
    const [page] = await waitFor(
      "the page",
      () => received("sp-unknown"),
      (r) => r.length === 1,
    );
    expect(page!.at).toBe("incident.opened@res-l2");
    expect(page!.title).toBe(`[L1] monitoring broken: ${check.id} unknown for 10m (internal error in the http probe)`);
    expect(page!.incident.url).toBeUndefined();
    // Not a customer-facing incident: no incident row (the status page reads those), none in the object.
    expect(await incidentRows("sp-unknown")).toBe(0);
    expect(await env.SERVICE.getByName("sp-unknown").incident()).toBeNull();
    // Measured again: the resolve, on the same channel.
    await observe({ status: "up" }, t0 + 12 * MIN);
    const pages = await waitFor(
      "the resolve",
      () => received("sp-unknown"),
      (r) => r.length === 2,
    );
    expect(pages.map((p) => p.at)).toEqual(["incident.opened@res-l2", "incident.resolved@res-l2"]);
    expect(pages[1]!.title).toBe(
      `[RESOLVED] monitoring broken: ${check.id} unknown for 10m (internal error in the http probe) — ${check.id} is up`,
    );
    expect(await incidentRows("sp-unknown")).toBe(0);
  });

  it("degraded for 15 min pages res-l2 and resolves when the latency is back; 14 min pages nobody", async () => {
    const { check, observe } = checkOf("sp-degraded");
    const t0 = Date.now() + MIN;
    await observe({ status: "up" }, t0 - MIN);
    await observe({ status: "degraded", reason: "1250 ms, over degradedMs 1000" }, t0);
    await observe({ status: "up" }, t0 + 14 * MIN);
    await observe({ status: "degraded", reason: "1300 ms, over degradedMs 1000" }, t0 + 15 * MIN);
    await env.SERVICE.getByName("sp-degraded").apply("sp-degraded", { type: "tick", at: t0 + 29 * MIN });
    expect(await queued("sp-degraded")).toEqual([]);
    await env.SERVICE.getByName("sp-degraded").apply("sp-degraded", { type: "tick", at: t0 + 30 * MIN });
    await waitFor(
      "the page",
      () => received("sp-degraded"),
      (r) => r.length === 1,
    );
    await observe({ status: "up" }, t0 + 31 * MIN);
    const pages = await waitFor(
      "the resolve",
      () => received("sp-degraded"),
      (r) => r.length === 2,
    );
    expect(pages.map((p) => p.at)).toEqual(["incident.opened@res-l2", "incident.resolved@res-l2"]);
    expect(pages[0]!.title).toBe(`[L1] ${check.id} degraded for 15m (1300 ms, over degradedMs 1000)`);
    expect(await incidentRows("sp-degraded")).toBe(0);
  });

  it("a policy without monitoringBroken or degraded pages nobody for either", async () => {
    const { observe } = checkOf("sp-plain");
    const t0 = Date.now() + MIN;
    await observe({ status: "up" }, t0 - MIN);
    await observe({ status: "degraded" }, t0);
    await observe({ status: "unknown", reason: "internal error" }, t0 + 20 * MIN);
    await observe({ status: "up" }, t0 + 50 * MIN);
    await env.SERVICE.getByName("sp-plain").apply("sp-plain", { type: "tick", at: t0 + 60 * MIN });
    expect(await queued("sp-plain")).toEqual([]);
  });
});
