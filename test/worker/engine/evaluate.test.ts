import { describe, expect, it } from "vitest";
import { evaluate, initialState, sameState, type MonitorState } from "../../../src/engine/evaluate";

const policy = { failureThreshold: 3, recoveryThreshold: 2 };
type Obs = { status: "up" | "down" | "degraded"; reason?: string };
const up: Obs = { status: "up" };
const down: Obs = { status: "down", reason: "expected status 2xx, got 503" };
const degraded: Obs = { status: "degraded", reason: "slow: 6 s" };

/** Feeds observations one per second; returns the final state and all events. */
function run(observations: Obs[], start: MonitorState = initialState(0)) {
  let state = start;
  const events = [];
  let t = 1_000;
  for (const o of observations) {
    const r = evaluate(state, o, policy, t);
    state = r.state;
    events.push(...r.events);
    t += 1_000;
  }
  return { state, events };
}

describe("evaluate: thresholds", () => {
  const cases: { name: string; obs: Obs[]; status: string; events: string[] }[] = [
    { name: "first good probe leaves unknown", obs: [up], status: "up", events: ["unknown→up"] },
    { name: "failures below the threshold stay up", obs: [up, down, down], status: "up", events: ["unknown→up"] },
    { name: "exactly the threshold goes down", obs: [up, down, down, down], status: "down", events: ["unknown→up", "up→down"] },
    { name: "a success resets the failure count", obs: [up, down, down, up, down, down], status: "up", events: ["unknown→up"] },
    {
      name: "more failures after down add no event",
      obs: [up, down, down, down, down, down],
      status: "down",
      events: ["unknown→up", "up→down"],
    },
    {
      name: "one success below the recovery threshold stays down",
      obs: [up, down, down, down, up],
      status: "down",
      events: ["unknown→up", "up→down"],
    },
    {
      name: "recovery threshold reached recovers",
      obs: [up, down, down, down, up, up],
      status: "up",
      events: ["unknown→up", "up→down", "down→up"],
    },
    {
      name: "a failure during recovery restarts it",
      obs: [up, down, down, down, up, down, up],
      status: "down",
      events: ["unknown→up", "up→down"],
    },
    {
      name: "degraded is not a failure",
      obs: [up, degraded, degraded, degraded],
      status: "degraded",
      events: ["unknown→up", "up→degraded"],
    },
    { name: "degraded counts toward recovery", obs: [down, down, down, degraded, up], status: "up", events: ["unknown→down", "down→up"] },
    { name: "starting down from unknown needs the full threshold", obs: [down, down], status: "unknown", events: [] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const { state, events } = run(c.obs);
      expect(state.status).toBe(c.status);
      expect(events.map((e) => `${e.from}→${e.to}`)).toEqual(c.events);
    });
  }

  it("keeps the reason of the observation that took it down, and clears it on recovery", () => {
    const { state, events } = run([up, down, down, down]);
    expect(state.reason).toBe("expected status 2xx, got 503");
    expect(events[1]).toMatchObject({ type: "monitor.state_changed", at: 4_000, reason: "expected status 2xx, got 503" });
    expect(run([up, down, down, down, up, up]).state.reason).toBeNull();
  });

  it("a steady monitor produces the identical state (nothing to write)", () => {
    const steady = run([up, up, up]).state;
    expect(sameState(steady, evaluate(steady, up, policy, 99_000).state)).toBe(true);
    const steadyDown = run([up, down, down, down, down]).state;
    expect(sameState(steadyDown, evaluate(steadyDown, down, policy, 99_000).state)).toBe(true);
  });

  it("records when the status changed", () => {
    expect(run([up, down, down, down]).state.since).toBe(4_000);
  });
});
