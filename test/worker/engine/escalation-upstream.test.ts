/**
 * Escalation while a provider the service depends on reports an incident (ctx.upstream,
 * src/engine/upstream.ts): by default nobody is paged and the timeline says why; with
 * `upstreamLevel` the pages stop at that level; every page says "upstream incident: …".
 */
import { describe, expect, it } from "vitest";
import { policySpec, type PolicySpec } from "../../../src/config/policies";
import { emptyState, nextWake, step, type Effect, type EscalationContext, type EscalationState } from "../../../src/engine/escalation";
import type { UpstreamFact } from "../../../src/engine/upstream";

const MIN = 60_000;
const policy = (upstreamLevel: number): PolicySpec =>
  policySpec.parse({
    id: "runbook",
    groupWait: "10s",
    upstreamLevel,
    levels: [{ channels: ["chat"] }, { channels: ["oncall"], after: "15m" }, { channels: ["leadership"], after: "1h" }],
  });
const fact = (maxLevel: number, title = "Elevated API error rates"): UpstreamFact => ({
  upstreams: ["cloud"],
  text: `upstream incident: ${title} (Upstream Cloud)`,
  maxLevel,
  since: 0,
});

/** Drives the engine as the ServiceObject does, with the upstream fact switchable. */
class Sim {
  state: EscalationState = emptyState();
  effects: Effect[] = [];
  clock = 0;
  upstream: UpstreamFact | null = null;
  constructor(private readonly p: PolicySpec) {}
  ctx(now: number): EscalationContext {
    return { now, serviceId: "ci", serviceName: "CI", policy: this.p, inhibited: {}, quiet: null, upstream: this.upstream };
  }
  send(input: Parameters<typeof step>[1]) {
    this.clock = input.at;
    const r = step(this.state, input, this.ctx(input.at));
    this.state = r.state;
    this.effects.push(...r.effects);
  }
  until(t: number) {
    for (let guard = 0; guard < 200; guard++) {
      const wake = nextWake(this.state, this.ctx(this.clock));
      if (wake === null || wake > t) break;
      this.send({ type: "tick", at: wake });
    }
  }
  pages() {
    return this.effects
      .filter((e): e is Extract<Effect, { type: "notify" }> => e.type === "notify")
      .map((e) => `${e.event}@L${e.levels.join(",")}: ${[e.reason, e.upstream].filter(Boolean).join(" / ")}`);
  }
  timeline() {
    return this.effects.filter((e): e is Extract<Effect, { type: "timeline" }> => e.type === "timeline").map((e) => [e.event, e.detail]);
  }
}

describe("escalation with an upstream incident", () => {
  it("default (level 0): nobody is paged; the timeline says why; pages resume when the upstream clears", () => {
    const sim = new Sim(policy(0));
    sim.upstream = fact(0);
    sim.send({ type: "check", checkId: "ci-health", kind: "http", status: "down", reason: "expected status 2xx, got 502", at: 0 });
    sim.until(3 * 60 * MIN);
    expect(sim.pages()).toEqual([]);
    expect(sim.timeline()).toEqual([
      ["incident.opened", { check: "ci-health", reason: "expected status 2xx, got 502" }],
      ["upstream.incident", { detail: "upstream incident: Elevated API error rates (Upstream Cloud)", upstreams: ["cloud"], maxLevel: 0 }],
      ["pages.held", { reason: "upstream incident", detail: "upstream incident: Elevated API error rates (Upstream Cloud)" }],
    ]);
    // It keeps looking (the poller also ticks the service when the upstream changes).
    expect(nextWake(sim.state, sim.ctx(sim.clock))).toBe(sim.clock + 30_000);
    sim.upstream = null;
    sim.send({ type: "tick", at: 3 * 60 * MIN + 1 });
    expect(
      sim
        .timeline()
        .slice(3)
        .map(([e]) => e),
    ).toEqual(["upstream.cleared", "pages.released", "incident.paged"]);
    expect(sim.pages()).toEqual(["incident.opened@L1: "]);
  });

  it("upstreamLevel 1: level 1 hears, saying why; level 2 is not paged while it holds", () => {
    const sim = new Sim(policy(1));
    sim.upstream = fact(1);
    sim.send({ type: "check", checkId: "ci-health", kind: "http", status: "down", reason: "502", at: 0 });
    sim.until(2 * 60 * MIN);
    expect(sim.pages()).toEqual(["incident.opened@L1: upstream incident: Elevated API error rates (Upstream Cloud)"]);
    expect(sim.state.incident?.level).toBe(1);
    // Capped: no runaway alarm at the overdue level-2 time, a recheck instead.
    expect(nextWake(sim.state, sim.ctx(sim.clock))).toBe(sim.clock + 30_000);
    sim.upstream = null;
    sim.send({ type: "tick", at: 2 * 60 * MIN + 1 });
    expect(sim.pages().slice(1)).toEqual(["incident.escalated@L2: not acknowledged within 15m"]);
  });

  it("a new incident title is noted once; repeats at the allowed level carry it", () => {
    const levels = [{ channels: ["chat"] }, { channels: ["oncall"], after: "15m" }];
    const p = policySpec.parse({ id: "r", groupWait: "0s", upstreamLevel: 1, repeat: "30m", levels });
    const sim = new Sim(p);
    sim.upstream = fact(1);
    sim.send({ type: "check", checkId: "ci-health", kind: "http", status: "down", reason: "502", at: 0 });
    sim.upstream = fact(1, "Elevated API error rates (+1 more)");
    sim.until(31 * MIN);
    expect(sim.timeline().filter(([e]) => e === "upstream.incident")).toHaveLength(2);
    expect(sim.pages()).toEqual([
      "incident.opened@L1: upstream incident: Elevated API error rates (Upstream Cloud)",
      "incident.repeated@L1: still down after 30m, not acknowledged / upstream incident: Elevated API error rates (+1 more) (Upstream Cloud)",
    ]);
  });

  it("an upstream incident beginning after level 2 was paged stops further escalation", () => {
    const sim = new Sim(policy(1));
    sim.send({ type: "check", checkId: "ci-health", kind: "http", status: "down", reason: "502", at: 0 });
    sim.until(20 * MIN);
    expect(sim.state.incident?.level).toBe(2);
    sim.upstream = fact(1);
    sim.until(3 * 60 * MIN);
    expect(sim.state.incident?.level).toBe(2);
    expect(sim.pages().map((p) => p.split(":")[0])).toEqual(["incident.opened@L1", "incident.escalated@L2"]);
  });

  it("resolves as usual while the upstream incident holds", () => {
    const sim = new Sim(policy(0));
    sim.upstream = fact(0);
    sim.send({ type: "check", checkId: "ci-health", kind: "http", status: "down", reason: "502", at: 0 });
    sim.send({ type: "check", checkId: "ci-health", kind: "http", status: "up", reason: null, at: 5 * MIN });
    expect(sim.state.incident?.status).toBe("resolved");
    expect(sim.pages()).toEqual([]);
  });
});
