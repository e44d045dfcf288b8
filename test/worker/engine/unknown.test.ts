/**
 * Unknown is its own state (issue #21, point 1): an observation that could not measure is
 * neither a failure nor a success.
 */
import { describe, expect, it } from "vitest";
import { evaluate, initialState, type MonitorState, type ObservedStatus } from "../../../src/engine/evaluate";

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
