/**
 * Every page gets its resolve, on the channel it went to (issue #21, point 3), and titles that
 * stay true (point 6): the engine's decisions, driven with injected time.
 */
import { describe, expect, it } from "vitest";
import { policySpec, type PolicySpec } from "../../../src/config/policies";
import {
  emptyState,
  nextWake,
  step,
  type Effect,
  type EscalationContext,
  type EscalationInput,
  type EscalationState,
} from "../../../src/engine/escalation";

const MIN = 60_000;
const policyInput = {
  id: "p",
  groupWait: "10s",
  reopenWithin: "5m",
  flapping: { changes: 4, window: "10m" },
  levels: [{ channels: ["chat"] }, { channels: ["oncall", "chat"], after: "15m" }, { channels: ["leaders"], after: "1h" }],
};
const policy = policySpec.parse(policyInput);
/** The same policy after a redeploy: level 1 and 2 now page other channels. */
const redeployed = policySpec.parse({
  ...policyInput,
  levels: [{ channels: ["chat-new"] }, { channels: ["pager-new"], after: "15m" }, { channels: ["leaders"], after: "1h" }],
});

type Notify = Extract<Effect, { type: "notify" }>;

class Sim {
  state: EscalationState = emptyState();
  effects: Effect[] = [];
  policy: PolicySpec = policy;
  quiet: EscalationContext["quiet"] = null;
  inhibited: Record<string, string> = {};
  clock = 0;
  ctx(now: number): EscalationContext {
    return { now, serviceId: "web", serviceName: "Web", policy: this.policy, inhibited: this.inhibited, quiet: this.quiet };
  }
  send(input: EscalationInput) {
    this.until(input.at);
    this.clock = input.at;
    const r = step(this.state, input, this.ctx(input.at));
    this.state = r.state;
    this.effects.push(...r.effects);
  }
  until(t: number) {
    for (let guard = 0; guard < 100; guard++) {
      const wake = nextWake(this.state, this.ctx(this.clock));
      if (wake === null || wake > t) break;
      this.clock = wake;
      const r = step(this.state, { type: "tick", at: wake }, this.ctx(wake));
      this.state = r.state;
      this.effects.push(...r.effects);
    }
  }
  check(
    id: string,
    status: "down" | "up",
    at: number,
    reason: string | null = status === "down" ? "connection refused by 127.0.0.1:9" : null,
  ) {
    this.send({ type: "check", checkId: id, kind: "http", status, reason, at });
  }
  notifies(event?: string): Notify[] {
    return this.effects.filter((e): e is Notify => e.type === "notify" && (event === undefined || e.event === event));
  }
  /** Channels an effect goes to, as `pageMessages` resolves them with the policy in force. */
  channelsOf(e: Notify, p: PolicySpec = this.policy): string[] {
    return e.channels ? [...e.channels] : [...new Set(e.levels.flatMap((l) => p.levels[l - 1]!.channels))];
  }
}

describe("every page gets its resolve on the channels it went to", () => {
  it("records the channels paged, level by level, once each", () => {
    const sim = new Sim();
    sim.check("api", "down", 0);
    sim.until(16 * MIN);
    expect(sim.notifies().map((e) => e.event)).toEqual(["incident.opened", "incident.escalated"]);
    expect(sim.state.incident!.paged).toEqual(["chat", "oncall"]);
  });

  it("the resolve goes to exactly the paged channels after a redeploy changed the levels' channels", () => {
    const sim = new Sim();
    sim.check("api", "down", 0);
    sim.until(16 * MIN); // chat (L1), oncall + chat (L2)
    sim.policy = redeployed;
    sim.check("api", "up", 20 * MIN);
    const [resolved] = sim.notifies("incident.resolved");
    expect(resolved).toBeDefined();
    expect(sim.channelsOf(resolved!)).toEqual(["chat", "oncall"]);
  });

  it("an acknowledgement goes to the paged channels only", () => {
    const sim = new Sim();
    sim.check("api", "down", 0);
    sim.until(MIN);
    sim.policy = redeployed;
    sim.send({ type: "ack", by: "kim", at: 2 * MIN, reescalateAfter: null });
    expect(sim.channelsOf(sim.notifies("incident.acknowledged")[0]!)).toEqual(["chat"]);
  });

  const holds: { name: string; hold: (sim: Sim) => void }[] = [
    { name: "a silence", hold: (sim) => (sim.quiet = { reason: "silence", until: 10 * 60 * MIN, detail: "sil_1 by kim: deploy" }) },
    { name: "a maintenance window", hold: (sim) => (sim.quiet = { reason: "maintenance", until: 10 * 60 * MIN, detail: "db upgrade" }) },
    { name: "inhibition by a down dependency", hold: (sim) => (sim.inhibited = { api: "service:db" }) },
  ];
  for (const { name, hold } of holds) {
    it(`resolving while pages are held by ${name} still sends the resolve to every channel paged`, () => {
      const sim = new Sim();
      sim.check("api", "down", 0);
      sim.until(MIN);
      expect(sim.notifies("incident.opened")).toHaveLength(1);
      hold(sim);
      sim.send({ type: "tick", at: 2 * MIN });
      expect(sim.state.incident!.held).not.toBeNull();
      sim.until(30 * MIN); // held: no escalation to L2
      expect(sim.notifies().map((e) => e.event)).toEqual(["incident.opened"]);
      sim.check("api", "up", 31 * MIN);
      const resolved = sim.notifies("incident.resolved");
      expect(resolved).toHaveLength(1);
      expect(sim.channelsOf(resolved[0]!)).toEqual(["chat"]);
    });
  }

  it("an incident that resolves during a hold before anyone was paged sends no resolve", () => {
    const sim = new Sim();
    sim.quiet = { reason: "silence", until: 60 * MIN, detail: "sil_1" };
    sim.check("api", "down", 0);
    sim.until(20 * MIN);
    sim.check("api", "up", 21 * MIN);
    expect(sim.notifies()).toEqual([]);
    expect(sim.state.incident!.status).toBe("resolved");
  });

  it("a restart (state stored and loaded again) keeps the paged channels: the resolve still goes there", () => {
    const sim = new Sim();
    sim.check("api", "down", 0);
    sim.until(16 * MIN);
    // Durable Object storage round-trips through structured clone.
    const restarted = new Sim();
    restarted.state = structuredClone(sim.state);
    restarted.clock = sim.clock;
    restarted.check("api", "up", 17 * MIN);
    expect(restarted.channelsOf(restarted.notifies("incident.resolved")[0]!)).toEqual(["chat", "oncall"]);
  });

  it("a state stored before `paged` existed resolves to every level paged, as before", () => {
    const sim = new Sim();
    sim.check("api", "down", 0);
    sim.until(16 * MIN);
    delete sim.state.incident!.paged;
    sim.check("api", "up", 17 * MIN);
    const resolved = sim.notifies("incident.resolved")[0]!;
    expect(resolved.channels).toBeUndefined();
    expect(resolved.levels).toEqual([1, 2]);
  });

  it("a flapping notice is a page: its channel hears the resolve", () => {
    const sim = new Sim();
    sim.check("api", "down", 0);
    sim.check("api", "up", 1_000);
    sim.check("api", "down", 2_000);
    sim.check("api", "up", 3_000);
    sim.check("api", "down", 4_000);
    expect(sim.notifies("check.flapping")).toHaveLength(1);
    sim.check("api", "up", 5_000);
    sim.until(30 * MIN);
    const resolved = sim.notifies("incident.resolved");
    expect(resolved).toHaveLength(1);
    expect(sim.channelsOf(resolved[0]!)).toEqual(["chat"]);
  });

  it("a member joining an open incident, or a change of error text, is a timeline entry, not a page", () => {
    const sim = new Sim();
    sim.check("api", "down", 0);
    sim.until(MIN);
    sim.check("web", "down", 2 * MIN, "expected status 200, got 500");
    sim.check("api", "down", 3 * MIN, "timed out after 10 s while connecting to 127.0.0.1:9");
    sim.check("api", "down", 4 * MIN, "connection refused by 127.0.0.1:9");
    sim.check("api", "down", 5 * MIN, "timed out after 10 s while connecting to 127.0.0.1:9");
    sim.check("api", "down", 6 * MIN, "connection refused by 127.0.0.1:9");
    expect(sim.notifies().map((e) => e.event)).toEqual(["incident.opened"]);
    const timeline = sim.effects.filter((e): e is Extract<Effect, { type: "timeline" }> => e.type === "timeline");
    expect(timeline.map((e) => e.event)).toContain("member.added");
    expect(timeline.filter((e) => e.event === "member.reason_changed")[0]!.detail).toEqual({
      check: "api",
      from: "connection refused by 127.0.0.1:9",
      to: "timed out after 10 s while connecting to 127.0.0.1:9",
    });
    // Error text changing back and forth is not flapping.
    expect(sim.state.flapping).toEqual({});
    expect(sim.state.incident!.members.api).toMatchObject({ since: 0, reason: "connection refused by 127.0.0.1:9" });
  });
});

describe("titles that stay true", () => {
  it("a reopened incident's title carries the current reason, and its pages start afresh", () => {
    const sim = new Sim();
    sim.check("api", "down", 0, "connection refused by 127.0.0.1:9");
    sim.until(16 * MIN);
    sim.check("api", "up", 17 * MIN);
    expect(sim.state.incident!.title).toBe("Web: api down — connection refused by 127.0.0.1:9");
    sim.check("api", "down", 18 * MIN, "expected status 200, got 500");
    expect(sim.state.incident!.status).toBe("open");
    expect(sim.state.incident!.reopened).toBe(1);
    expect(sim.state.incident!.title).toBe("Web: api down — expected status 200, got 500");
    expect(sim.state.incident!.paged).toEqual([]);
    sim.until(19 * MIN);
    sim.check("api", "up", 20 * MIN);
    // The second episode paged L1 only: its resolve goes to chat only.
    expect(sim.channelsOf(sim.notifies("incident.resolved").at(-1)!)).toEqual(["chat"]);
  });
});
