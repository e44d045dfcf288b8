/**
 * State pages (issue #21, points 1 and 5): a check unknown or degraded longer than a policy asks
 * pages that policy's channels ("monitoring broken: …", "… degraded for …") and resolves on the
 * same channels when it leaves the state; without the policy field nothing pages. Injected time.
 */
import { describe, expect, it } from "vitest";
import { policySpec, type PolicySpec } from "../../../src/config/policies";
import type { MemberStatus } from "../../../src/engine/escalation";
import { statePagesWake, stepStatePages, type QuietFor, type StatePageEffect, type StatePages } from "../../../src/engine/state-pages";

const MIN = 60_000;
const levels = [{ channels: ["oncall"] }];
const opted = policySpec.parse({
  id: "p",
  levels,
  monitoringBroken: { after: "10m", channels: ["ops"] },
  degraded: { after: "15m", channels: ["perf", "ops"] },
});
const plain = policySpec.parse({ id: "p", levels });

class Sim {
  pages: StatePages = {};
  effects: StatePageEffect[] = [];
  held: string[] = [];
  /** Quiet periods: [from, until) and the checks they cover (null: every check), as the service object sees them. */
  quiets: { from: number; until: number; reason: "silence" | "maintenance"; checks: string[] | null }[] = [];
  constructor(public policy: PolicySpec) {}
  quietAt(now: number): QuietFor {
    return (checkId) => {
      const q = this.quiets.find((q) => q.from <= now && now < q.until && (q.checks === null || q.checks.includes(checkId)));
      return q ? { reason: q.reason, until: q.until, detail: q.reason } : null;
    };
  }
  run(at: number, change: { checkId: string; status: MemberStatus; reason?: string } | null = null) {
    const input = change ? { checkId: change.checkId, status: change.status, reason: change.reason ?? null, at } : null;
    const out = stepStatePages(this.pages, input, { now: at, serviceId: "web", policy: this.policy, quiet: this.quietAt(at) });
    this.pages = out.pages;
    this.effects.push(...out.effects);
    this.held.push(...out.held.map((h) => `${h.checkId}:${h.quiet.reason}`));
    return out.effects;
  }
  wake(now: number) {
    return statePagesWake(this.pages, this.policy, now, this.quietAt(now));
  }
}

describe("monitoring broken: a check unknown for longer than the policy asks", () => {
  it("pages the named channels after `after`, once, and resolves there when the check measures again", () => {
    const sim = new Sim(opted);
    expect(sim.run(0, { checkId: "api", status: "unknown", reason: "internal error in the http probe" })).toEqual([]);
    expect(sim.wake(MIN)).toBe(10 * MIN);
    expect(sim.run(9 * MIN)).toEqual([]);
    const [page] = sim.run(10 * MIN);
    expect(page).toMatchObject({
      event: "incident.opened",
      kind: "unknown",
      checkId: "api",
      channels: ["ops"],
      title: "monitoring broken: api unknown for 10m (internal error in the http probe)",
    });
    expect(sim.run(30 * MIN)).toEqual([]); // paged once
    expect(sim.wake(30 * MIN)).toBeNull();
    const [resolve] = sim.run(31 * MIN, { checkId: "api", status: "up" });
    expect(resolve).toMatchObject({ event: "incident.resolved", channels: ["ops"], title: page!.title, reason: "api is up" });
    expect(resolve!.key).not.toBe(page!.key);
    expect(sim.pages).toEqual({});
  });

  it("a check that measures again before `after` pages nothing, and its clock restarts", () => {
    const sim = new Sim(opted);
    sim.run(0, { checkId: "api", status: "unknown" });
    sim.run(9 * MIN, { checkId: "api", status: "up" });
    sim.run(10 * MIN, { checkId: "api", status: "unknown" });
    expect(sim.run(19 * MIN)).toEqual([]);
    expect(sim.run(20 * MIN)).toHaveLength(1);
    expect(sim.effects.map((e) => e.event)).toEqual(["incident.opened"]);
  });

  it("without monitoringBroken in the policy, unknown pages nobody", () => {
    const sim = new Sim(plain);
    sim.run(0, { checkId: "api", status: "unknown" });
    sim.run(1000 * MIN);
    expect(sim.effects).toEqual([]);
    expect(sim.wake(0)).toBeNull();
  });

  it("the resolve goes to the channels paged even after a redeploy removed the rule", () => {
    const sim = new Sim(opted);
    sim.run(0, { checkId: "api", status: "unknown" });
    sim.run(10 * MIN);
    sim.policy = plain;
    const [resolve] = sim.run(20 * MIN, { checkId: "api", status: "down", reason: "refused" });
    expect(resolve).toMatchObject({ event: "incident.resolved", channels: ["ops"], reason: "api is down" });
  });

  it("a held state not yet paged is dropped when the policy no longer asks", () => {
    const sim = new Sim(opted);
    sim.run(0, { checkId: "api", status: "unknown" });
    sim.policy = plain;
    sim.run(20 * MIN);
    expect(sim.pages).toEqual({});
    expect(sim.effects).toEqual([]);
  });
});

describe("degraded pages only when the policy asks, and resolves like any other state", () => {
  it("pages after `degraded.after`, resolves when the latency is back", () => {
    const sim = new Sim(opted);
    sim.run(0, { checkId: "api", status: "degraded", reason: "1200 ms > degradedMs 800" });
    expect(sim.run(14 * MIN)).toEqual([]);
    const [page] = sim.run(15 * MIN);
    expect(page).toMatchObject({ kind: "degraded", channels: ["perf", "ops"], title: "api degraded for 15m (1200 ms > degradedMs 800)" });
    const [resolve] = sim.run(16 * MIN, { checkId: "api", status: "up" });
    expect(resolve).toMatchObject({ event: "incident.resolved", kind: "degraded", channels: ["perf", "ops"] });
  });

  it("degraded → unknown resolves the degraded page and starts the unknown clock", () => {
    const sim = new Sim(opted);
    sim.run(0, { checkId: "api", status: "degraded" });
    sim.run(15 * MIN);
    const [resolve] = sim.run(20 * MIN, { checkId: "api", status: "unknown" });
    expect(resolve).toMatchObject({ event: "incident.resolved", kind: "degraded" });
    expect(sim.pages.api).toMatchObject({ kind: "unknown", since: 20 * MIN, paged: null });
    expect(sim.run(30 * MIN)[0]).toMatchObject({ event: "incident.opened", kind: "unknown" });
  });

  it("without `degraded` in the policy, degraded pages nobody", () => {
    const sim = new Sim(plain);
    sim.run(0, { checkId: "api", status: "degraded" });
    sim.run(1000 * MIN);
    expect(sim.effects).toEqual([]);
  });

  it("checks are held independently", () => {
    const sim = new Sim(opted);
    sim.run(0, { checkId: "a", status: "degraded" });
    sim.run(5 * MIN, { checkId: "b", status: "unknown" });
    expect(sim.wake(5 * MIN)).toBe(15 * MIN);
    expect(sim.run(15 * MIN).map((e) => [e.checkId, e.kind])).toEqual([
      ["a", "degraded"],
      ["b", "unknown"],
    ]);
  });
});

describe("silences and maintenance windows hold state pages as they hold incidents' pages", () => {
  it("a page due during a silence waits for its end, and goes out then if the check is still unknown", () => {
    const sim = new Sim(opted);
    sim.quiets.push({ from: 5 * MIN, until: 40 * MIN, reason: "silence", checks: ["api"] });
    sim.run(0, { checkId: "api", status: "unknown", reason: "probe crashed" });
    expect(sim.run(10 * MIN)).toEqual([]);
    expect(sim.held).toEqual(["api:silence"]);
    // Held: the object wakes when the silence ends, not every minute.
    expect(sim.wake(10 * MIN)).toBe(40 * MIN);
    expect(sim.run(25 * MIN)).toEqual([]);
    expect(sim.held).toEqual(["api:silence"]); // said once
    const [page] = sim.run(40 * MIN);
    expect(page).toMatchObject({
      event: "incident.opened",
      channels: ["ops"],
      title: "monitoring broken: api unknown for 40m (probe crashed)",
      since: 0,
    });
    expect(sim.pages.api?.heldUntil).toBeUndefined();
  });

  it("a check that measures again during the silence, never paged, is forgotten: nothing at the end", () => {
    const sim = new Sim(opted);
    sim.quiets.push({ from: 0, until: 60 * MIN, reason: "maintenance", checks: null });
    sim.run(0, { checkId: "api", status: "degraded" });
    sim.run(20 * MIN);
    sim.run(30 * MIN, { checkId: "api", status: "up" });
    expect(sim.run(60 * MIN)).toEqual([]);
    expect(sim.effects).toEqual([]);
    expect(sim.pages).toEqual({});
    expect(sim.held).toEqual(["api:maintenance"]);
  });

  it("a page sent before the silence gets its resolve during it, on the same channels", () => {
    const sim = new Sim(opted);
    sim.run(0, { checkId: "api", status: "degraded" });
    const [page] = sim.run(15 * MIN);
    sim.quiets.push({ from: 16 * MIN, until: 60 * MIN, reason: "silence", checks: null });
    const [resolve] = sim.run(20 * MIN, { checkId: "api", status: "up" });
    expect(resolve).toMatchObject({ event: "incident.resolved", channels: ["perf", "ops"], title: page!.title });
  });

  it("a maintenance window: a state due inside it pages when the window ends; one that left during it does not", () => {
    const sim = new Sim(opted);
    sim.quiets.push({ from: 0, until: 30 * MIN, reason: "maintenance", checks: null });
    sim.run(0, { checkId: "a", status: "unknown" });
    sim.run(2 * MIN, { checkId: "b", status: "degraded" });
    sim.run(20 * MIN);
    sim.run(25 * MIN, { checkId: "b", status: "up" });
    expect(sim.wake(25 * MIN)).toBe(30 * MIN);
    expect(sim.run(30 * MIN).map((e) => [e.event, e.checkId, e.title])).toEqual([
      ["incident.opened", "a", "monitoring broken: a unknown for 30m"],
    ]);
  });

  it("a silence of another check holds nothing", () => {
    const sim = new Sim(opted);
    sim.quiets.push({ from: 0, until: 60 * MIN, reason: "silence", checks: ["other"] });
    sim.run(0, { checkId: "api", status: "unknown" });
    expect(sim.run(10 * MIN)).toHaveLength(1);
  });

  it("a page not yet due is not held: the wake stays at its due time", () => {
    const sim = new Sim(opted);
    sim.quiets.push({ from: 0, until: 60 * MIN, reason: "silence", checks: null });
    sim.run(0, { checkId: "api", status: "unknown" });
    expect(sim.wake(MIN)).toBe(10 * MIN);
    sim.run(10 * MIN);
    expect(sim.wake(10 * MIN)).toBe(60 * MIN);
  });
});

describe("policy schema", () => {
  it("names the field of a bad state page", () => {
    const r = policySpec.safeParse({ id: "p", levels, monitoringBroken: { after: "10m", channels: [] } });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.path).toEqual(["monitoringBroken", "channels"]);
  });
});
