/**
 * Unknown is its own state (issue #21, point 1): an observation that could not measure is
 * neither a failure nor a success.
 */
import { describe, expect, it } from "vitest";
import { evaluate, initialState, type MonitorState, type ObservedStatus } from "../../../src/engine/evaluate";
import { combineRegions } from "../../../src/engine/quorum";
import { failureClass } from "../../../src/engine/retry";

const policy = { failureThreshold: 2, recoveryThreshold: 2 };
const crashed: ObservedStatus = { status: "unknown", reason: "internal error in the http probe: boom" };

/** Feeds observations one minute apart; returns the statuses after each and every event. */
function run(observations: ObservedStatus[], start: MonitorState = initialState(0)) {
  let state = start;
  const statuses: string[] = [];
  const events: string[] = [];
  observations.forEach((o, i) => {
    const r = evaluate(state, o, policy, (i + 1) * 60_000);
    state = r.state;
    statuses.push(state.status);
    events.push(...r.events.map((e) => `${e.from}→${e.to}`));
  });
  return { state, statuses, events };
}
const up: ObservedStatus = { status: "up" };
const down: ObservedStatus = { status: "down", reason: "connection refused by 127.0.0.1:9" };

describe("unknown observations", () => {
  it("an up monitor whose probe crashes is unknown, not down, and up again at the next real observation", () => {
    const r = run([up, crashed, up]);
    expect(r.statuses).toEqual(["up", "unknown", "up"]);
    expect(r.events).toEqual(["unknown→up", "up→unknown", "unknown→up"]);
  });
  it("unknown neither counts toward the failure threshold nor breaks a run of failures", () => {
    const r = run([up, down, crashed, down]);
    expect(r.statuses).toEqual(["up", "up", "unknown", "down"]);
  });
  it("a run of crashes never makes a monitor down (so it never opens an incident)", () => {
    const r = run([up, crashed, crashed, crashed, crashed]);
    expect(r.statuses.at(-1)).toBe("unknown");
    expect(r.events.some((e) => e.endsWith("→down"))).toBe(false);
  });
  it("a down monitor stays down through unknown observations: nothing says it is back", () => {
    const r = run([down, down, crashed, crashed]);
    expect(r.statuses).toEqual(["unknown", "down", "down", "down"]);
    expect(r.events).toEqual(["unknown→down"]);
    expect(r.state.reason).toBe("connection refused by 127.0.0.1:9");
  });
  it("recovery still needs its successes in a row; unknowns in between neither count nor break them", () => {
    const r = run([down, down, up, crashed, up]);
    expect(r.statuses.at(-1)).toBe("up");
    expect(r.events).toEqual(["unknown→down", "down→up"]);
  });
  it("an agent check that went stale is unknown, down included, with the silence as its reason", () => {
    const stale: ObservedStatus = { status: "unknown", reason: "stale: agent silent since 2026-12-06T11:00:00.000Z", stale: true };
    const wasDown = run([down, down, stale]);
    expect(wasDown.statuses).toEqual(["unknown", "down", "unknown"]);
    expect(wasDown.events).toEqual(["unknown→down", "down→unknown"]);
    expect(wasDown.state.reason).toBe(stale.reason);
    expect(run([up, stale]).statuses).toEqual(["up", "unknown"]);
    expect(run([{ status: "degraded" }, stale]).events).toEqual(["unknown→degraded", "degraded→unknown"]);
    // Measured again: the next reports decide, the failures counted before the silence still count.
    expect(run([down, down, stale, down]).statuses.at(-1)).toBe("down");
    expect(run([down, down, stale, up]).statuses.at(-1)).toBe("up");
  });
  it("a repeated unknown writes nothing new (same state)", () => {
    const once = run([up, crashed]).state;
    const again = evaluate(once, crashed, policy, 10 * 60_000);
    expect(again.state).toBe(once);
    expect(again.events).toEqual([]);
  });
});

describe("a down monitor's reason follows what fails now", () => {
  it("the reason changes with the observation while the status stays down (no status event)", () => {
    const r = run([down, down, { status: "down", reason: "expected status 200, got 500" }]);
    expect(r.state).toMatchObject({ status: "down", reason: "expected status 200, got 500", since: 2 * 60_000 });
    expect(r.events).toEqual(["unknown→down"]);
  });
});

describe("a region that stayed silent measured nothing", () => {
  const at = "2026-12-06T10:00:00.000Z";
  const r = (region: string, status: "up" | "down", reason?: string) => ({
    region,
    result: { status, latencyMs: 10, checkedAt: at, ...(reason && { reason }) },
  });
  it("is left out of the vote and named in the reason", () => {
    const res = combineRegions(
      [r("weur", "down", "connection refused by 127.0.0.1:9"), r("enam", "down", "connection refused by 127.0.0.1:9")],
      2,
      [{ region: "apac", why: "did not answer within 15 s" }],
    );
    expect(res).toMatchObject({ status: "down" });
    expect(res.reason).toBe(
      "down from 2 of 2 regions (weur, enam: connection refused by 127.0.0.1:9); no measurement from apac (did not answer within 15 s)",
    );
  });
  it("a region whose probe crashed counts as silent, not as down", () => {
    const res = combineRegions([r("weur", "up"), r("enam", "down", "internal error in the http probe: boom"), r("apac", "up")], 2);
    expect(res.status).toBe("up");
    expect(res.reason).toBe("no measurement from enam (internal error in the http probe: boom)");
  });
  it("no region measured: unknown (an internal failure, never down)", () => {
    const res = combineRegions(
      [r("weur", "down", "internal error in the http probe: boom")],
      1,
      [{ region: "enam", why: "did not answer within 15 s" }],
      at,
    );
    expect(failureClass(res)).toBe("internal");
    expect(res).toMatchObject({
      checkedAt: at,
      reason:
        "internal error in the regions probe: no region measured (enam: did not answer within 15 s, weur: internal error in the http probe: boom)",
    });
  });
  it("with fewer regions answering than the quorum, failures stay unconfirmed", () => {
    const res = combineRegions([r("weur", "down", "connection refused by 127.0.0.1:9")], 2, [
      { region: "enam", why: "failed" },
      { region: "apac", why: "failed" },
    ]);
    expect(res.status).toBe("degraded");
  });
});
