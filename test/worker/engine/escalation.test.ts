import { describe, expect, it } from "vitest";
import { policySpec, type PolicySpec } from "../../../src/config/policies";
import { emptyState, nextWake, step } from "../../../src/engine/escalation";
import type { Effect, EscalationContext, EscalationInput, EscalationState } from "../../../src/engine/escalation";

const MIN = 60_000;

/** The runbook policy: chat → on-call → leadership. */
const runbookInput = {
  id: "runbook",
  groupWait: "10s",
  reopenWithin: "5m",
  flapping: { changes: 4, window: "10m" },
  levels: [
    { channels: ["chat"] },
    { channels: ["oncall"], after: "15m", when: [{ failedRecoveries: 3 }, { flag: "data-loss-risk" }, { flag: "security" }] },
    {
      channels: ["leadership"],
      after: "1h",
      when: [{ outageFor: "30m" }, { failedRecoveries: 1, check: "agent:db-1:postgres" }, { failingMembers: 2, kind: "docker" }],
    },
  ],
};
const runbook: PolicySpec = policySpec.parse(runbookInput);
const variant = (overrides: Record<string, unknown>): PolicySpec => policySpec.parse({ ...runbookInput, ...overrides });

type Partial = Omit<EscalationContext, "now" | "serviceId" | "serviceName" | "policy"> & { policy?: PolicySpec };

/** Drives the engine like the Durable Object does: every input, then ticks at each wake-up. */
class Sim {
  state: EscalationState = emptyState();
  effects: Effect[] = [];
  ctx: Partial = { inhibited: {}, quiet: null };

  /** Time of the last input: alarms are armed from here. */
  clock = 0;

  private context(now: number): EscalationContext {
    return {
      serviceId: "safework",
      serviceName: "SafeWork",
      policy: this.ctx.policy ?? runbook,
      inhibited: this.ctx.inhibited,
      quiet: this.ctx.quiet,
      now,
    };
  }
  send(input: EscalationInput) {
    this.clock = input.at;
    const r = step(this.state, input, this.context(input.at));
    this.state = r.state;
    this.effects.push(...r.effects);
    return r.effects;
  }
  /** Runs alarms up to `t`, as the Durable Object's alarm would. */
  until(t: number) {
    for (let guard = 0; guard < 100; guard++) {
      const wake = nextWake(this.state, this.context(this.clock));
      if (wake === null || wake > t) break;
      this.send({ type: "tick", at: wake });
    }
  }
  down(checkId: string, at: number, kind = "http", reason = "expected status 2xx, got 503") {
    this.until(at);
    return this.send({ type: "check", checkId, kind, status: "down", reason, at });
  }
  up(checkId: string, at: number, kind = "http") {
    this.until(at);
    return this.send({ type: "check", checkId, kind, status: "up", reason: null, at });
  }
  pages() {
    return this.effects
      .filter((e): e is Extract<Effect, { type: "notify" }> => e.type === "notify")
      .map((e) => `${e.event}@L${e.levels.join(",")}`);
  }
  timeline() {
    return this.effects.filter((e): e is Extract<Effect, { type: "timeline" }> => e.type === "timeline").map((e) => e.event);
  }
}

describe("escalation: opening and the first page", () => {
  it("pages level 1 after groupWait, not before", () => {
    const sim = new Sim();
    sim.down("app-health", 0);
    expect(sim.pages()).toEqual([]);
    sim.until(9_999);
    expect(sim.pages()).toEqual([]);
    sim.until(10_000);
    expect(sim.pages()).toEqual(["incident.opened@L1"]);
    expect(sim.state.incident).toMatchObject({
      id: "inc_safework_0",
      status: "open",
      level: 1,
      title: "SafeWork: app-health down — expected status 2xx, got 503",
    });
  });

  it("a blip shorter than groupWait opens and resolves without paging anyone", () => {
    const sim = new Sim();
    sim.down("app-health", 0);
    sim.up("app-health", 5_000);
    sim.until(60 * MIN);
    expect(sim.pages()).toEqual([]);
    expect(sim.state.incident?.status).toBe("resolved");
  });

  it("groups a second failing check into the same incident, paging once", () => {
    const sim = new Sim();
    sim.down("app-health", 0);
    sim.down("app-ws", 2_000);
    sim.until(MIN);
    expect(sim.pages()).toEqual(["incident.opened@L1"]);
    expect(Object.keys(sim.state.incident!.members)).toEqual(["app-health", "app-ws"]);
    expect(sim.timeline()).toContain("member.added");
  });
});

describe("escalation: the runbook's level rules", () => {
  const cases: { name: string; run: (sim: Sim) => void; pages: string[] }[] = [
    {
      name: "L1 → L2 after three failed automatic recoveries",
      run: (sim) => {
        sim.down("agent:app-1:docker:app", 0, "docker");
        for (const t of [MIN, 2 * MIN]) sim.send({ type: "remediation", checkId: "agent:app-1:docker:app", outcome: "failed", at: t });
        sim.until(3 * MIN - 1);
        sim.send({ type: "remediation", checkId: "agent:app-1:docker:app", outcome: "failed", at: 3 * MIN });
      },
      pages: ["incident.opened@L1", "incident.escalated@L2"],
    },
    ...(
      [
        ["L1 → L2 at once when someone flags a data-loss risk", "data-loss-risk"],
        ["L1 → L2 at once on a suspected breach", "security"],
      ] as const
    ).map(([name, flag]) => ({
      name,
      run: (sim: Sim) => {
        sim.down("app-health", 0);
        sim.until(MIN);
        sim.send({ type: "flag", flag, by: "kim", at: 2 * MIN });
      },
      pages: ["incident.opened@L1", "incident.escalated@L2"],
    })),
    {
      name: "L1 → L2 when nobody acknowledges within 15 minutes",
      run: (sim) => {
        sim.down("app-health", 0);
        sim.until(10_000 + 15 * MIN);
      },
      pages: ["incident.opened@L1", "incident.escalated@L2"],
    },
    {
      name: "L2 → L3 after 30 minutes of outage",
      run: (sim) => {
        sim.down("app-health", 0);
        sim.send({ type: "flag", flag: "security", by: "kim", at: MIN });
        sim.until(30 * MIN);
      },
      pages: ["incident.opened@L1", "incident.escalated@L2", "incident.escalated@L3"],
    },
    {
      name: "L2 → L3 at once when the database recovery fails",
      run: (sim) => {
        sim.down("agent:db-1:postgres", 0, "postgres");
        sim.send({ type: "flag", flag: "data-loss-risk", by: "kim", at: MIN });
        sim.send({ type: "remediation", checkId: "agent:db-1:postgres", outcome: "failed", at: 2 * MIN });
      },
      pages: ["incident.opened@L1", "incident.escalated@L2", "incident.escalated@L3"],
    },
    {
      name: "L2 → L3 at once when several containers fail together",
      run: (sim) => {
        sim.down("agent:app-1:docker:web", 0, "docker");
        sim.send({ type: "flag", flag: "security", by: "kim", at: MIN });
        sim.down("agent:app-1:docker:worker", 2 * MIN, "docker");
      },
      pages: ["incident.opened@L1", "incident.escalated@L2", "incident.escalated@L3"],
    },
    {
      name: "conditions of a higher level wait until the level below is reached",
      run: (sim) => {
        sim.down("agent:db-1:postgres", 0, "postgres");
        sim.send({ type: "remediation", checkId: "agent:db-1:postgres", outcome: "failed", at: MIN });
      },
      pages: ["incident.opened@L1"],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const sim = new Sim();
      c.run(sim);
      expect(sim.pages()).toEqual(c.pages);
    });
  }

  it("says why it escalated", () => {
    const sim = new Sim();
    sim.down("agent:app-1:docker:app", 0, "docker");
    sim.until(MIN);
    for (const t of [2, 3, 4]) sim.send({ type: "remediation", checkId: "agent:app-1:docker:app", outcome: "failed", at: t * MIN });
    const escalated = sim.effects.find((e) => e.type === "notify" && e.event === "incident.escalated");
    expect(escalated).toMatchObject({ level: 2, levels: [2], reason: "3 automatic recoveries failed" });
  });
});

describe("escalation: repeat and acknowledgement", () => {
  it("repeats the current level until acknowledged, then stays quiet", () => {
    const sim = new Sim();
    sim.ctx.policy = variant({ levels: [{ channels: ["chat"] }], repeat: "20m" });
    sim.down("app-health", 0);
    sim.until(10_000 + 45 * MIN);
    expect(sim.pages()).toEqual(["incident.opened@L1", "incident.repeated@L1", "incident.repeated@L1"]);
    sim.send({ type: "ack", by: "kim", at: 46 * MIN, reescalateAfter: null });
    sim.until(5 * 60 * MIN);
    expect(sim.pages().slice(3)).toEqual(["incident.acknowledged@L1"]);
  });

  it("an acknowledgement stops escalation; with a timeout it re-pages when it runs out", () => {
    const sim = new Sim();
    sim.down("app-health", 0);
    sim.until(MIN);
    sim.send({ type: "ack", by: "kim", at: 2 * MIN, reescalateAfter: 30 * MIN });
    sim.until(31 * MIN);
    expect(sim.pages()).toEqual(["incident.opened@L1", "incident.acknowledged@L1"]);
    sim.until(32 * MIN);
    expect(sim.pages()).toEqual(["incident.opened@L1", "incident.acknowledged@L1", "incident.escalated@L1"]);
    expect(sim.timeline()).toContain("acknowledgement.expired");
    // The escalation clock restarted: L2 comes 15 min after the re-page.
    sim.until(32 * MIN + 15 * MIN);
    // (and L3 right after it: the outage is by then longer than 30 min)
    expect(sim.pages().slice(3)).toEqual(["incident.escalated@L2", "incident.escalated@L3"]);
  });

  it("ack racing an escalation: whichever the object serialises first wins, and nobody is paged twice", () => {
    const escalationAt = 10_000 + 15 * MIN;
    const ackFirst = new Sim();
    ackFirst.down("app-health", 0);
    ackFirst.until(escalationAt - 1);
    ackFirst.send({ type: "ack", by: "kim", at: escalationAt, reescalateAfter: null });
    ackFirst.until(escalationAt + 60 * MIN);
    expect(ackFirst.pages()).toEqual(["incident.opened@L1", "incident.acknowledged@L1"]);

    const escalationFirst = new Sim();
    escalationFirst.down("app-health", 0);
    escalationFirst.until(escalationAt);
    escalationFirst.send({ type: "ack", by: "kim", at: escalationAt, reescalateAfter: null });
    escalationFirst.until(escalationAt + 60 * MIN);
    expect(escalationFirst.pages()).toEqual(["incident.opened@L1", "incident.escalated@L2", "incident.acknowledged@L1,2"]);
  });

  it("a second acknowledgement changes nothing", () => {
    const sim = new Sim();
    sim.down("app-health", 0);
    sim.until(MIN);
    sim.send({ type: "ack", by: "kim", at: 2 * MIN, reescalateAfter: null });
    expect(sim.send({ type: "ack", by: "lee", at: 3 * MIN, reescalateAfter: null })).toEqual([]);
    expect(sim.state.incident?.ack?.by).toBe("kim");
  });
});

describe("escalation: resolving and reopening", () => {
  it("tells every paged level when it resolves", () => {
    const sim = new Sim();
    sim.down("app-health", 0);
    sim.until(10_000 + 15 * MIN);
    sim.up("app-health", 20 * MIN);
    expect(sim.pages()).toEqual(["incident.opened@L1", "incident.escalated@L2", "incident.resolved@L1,2"]);
    expect(sim.state.incident).toMatchObject({ status: "resolved", resolvedAt: 20 * MIN });
  });

  it("stays open while any member is down", () => {
    const sim = new Sim();
    sim.down("a", 0);
    sim.down("b", MIN);
    sim.up("a", 2 * MIN);
    expect(sim.state.incident?.status).toBe("open");
    sim.up("b", 3 * MIN);
    expect(sim.state.incident?.status).toBe("resolved");
  });

  it("a manual resolve closes it and notifies", () => {
    const sim = new Sim();
    sim.down("a", 0);
    sim.until(MIN);
    sim.send({ type: "resolve", by: "kim", at: 2 * MIN });
    expect(sim.pages()).toEqual(["incident.opened@L1", "incident.resolved@L1"]);
  });

  it("failing again within reopenWithin reopens the same incident and pages again", () => {
    const sim = new Sim();
    sim.down("a", 0);
    sim.until(MIN);
    sim.up("a", 2 * MIN);
    sim.down("a", 6 * MIN);
    sim.until(7 * MIN);
    expect(sim.state.incident).toMatchObject({ id: "inc_safework_0", status: "open", reopened: 1 });
    expect(sim.timeline()).toContain("incident.reopened");
    expect(sim.pages()).toEqual(["incident.opened@L1", "incident.resolved@L1", "incident.opened@L1"]);
  });

  it("failing again after reopenWithin opens a new incident", () => {
    const sim = new Sim();
    sim.down("a", 0);
    sim.up("a", MIN);
    sim.down("a", 7 * MIN);
    expect(sim.state.incident?.id).toBe(`inc_safework_${(7 * MIN).toString(36)}`);
  });

  it("idempotency keys are stable per occurrence and never repeat", () => {
    const sim = new Sim();
    sim.ctx.policy = variant({ levels: [{ channels: ["chat"] }], repeat: "20m" });
    sim.down("a", 0);
    sim.until(10_000 + 41 * MIN);
    sim.up("a", 50 * MIN);
    sim.down("a", 51 * MIN);
    sim.until(52 * MIN);
    const keys = sim.effects.flatMap((e) => (e.type === "notify" ? [e.key] : []));
    expect(keys).toEqual([
      "inc_safework_0:incident.opened:L1:0.1",
      "inc_safework_0:incident.repeated:L1:0.1",
      "inc_safework_0:incident.repeated:L1:0.2",
      "inc_safework_0:incident.resolved:L1:0.1",
      "inc_safework_0:incident.opened:L1:1.2",
    ]);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe("escalation: inhibition, silences and maintenance", () => {
  it("does not page while every down member is inhibited by a down dependency", () => {
    const sim = new Sim();
    sim.ctx.inhibited = { "app-health": "service:database" };
    sim.down("app-health", 0);
    sim.until(60 * MIN);
    expect(sim.pages()).toEqual([]);
    expect(sim.timeline()).toContain("pages.suppressed");
    // The database comes back but the app stays down: now the app is the root cause.
    sim.ctx.inhibited = {};
    sim.until(61 * MIN);
    expect(sim.pages()).toEqual(["incident.opened@L1"]);
    expect(sim.timeline()).toContain("pages.released");
  });

  it("pages when one down member is not inhibited", () => {
    const sim = new Sim();
    sim.ctx.inhibited = { "app-health": "service:database" };
    sim.down("app-health", 0);
    sim.down("app-disk", 1_000, "disk");
    sim.until(MIN);
    expect(sim.pages()).toEqual(["incident.opened@L1"]);
  });

  it("a silence holds pages and the incident pages when it expires mid-incident", () => {
    const sim = new Sim();
    sim.ctx.quiet = { reason: "silence", until: 20 * MIN, detail: "sil_1 by kim: deploying" };
    sim.down("a", 0);
    sim.until(19 * MIN);
    expect(sim.pages()).toEqual([]);
    expect(
      nextWake(sim.state, { now: 19 * MIN, serviceId: "safework", serviceName: "SafeWork", policy: runbook, quiet: sim.ctx.quiet }),
    ).toBe(20 * MIN);
    sim.ctx.quiet = null;
    sim.send({ type: "tick", at: 20 * MIN });
    expect(sim.pages()).toEqual(["incident.opened@L1"]);
    expect(sim.timeline()).toEqual(expect.arrayContaining(["pages.held", "pages.released"]));
  });

  it("a maintenance window hides a planned outage that ends inside it", () => {
    const sim = new Sim();
    sim.ctx.quiet = { reason: "maintenance", until: 60 * MIN, detail: "weekly db upgrade" };
    sim.down("a", 0);
    sim.until(30 * MIN);
    sim.up("a", 40 * MIN);
    sim.ctx.quiet = null;
    sim.until(2 * 60 * MIN);
    expect(sim.pages()).toEqual([]);
    expect(sim.state.incident?.status).toBe("resolved");
  });
});

describe("escalation: flapping", () => {
  it("notifies once, stays quiet while flapping, and resolves when it settles up", () => {
    const sim = new Sim();
    sim.ctx.policy = variant({ groupWait: "0s" });
    for (let i = 0; i < 10; i++) {
      const t = i * MIN;
      if (i % 2 === 0) sim.down("a", t);
      else sim.up("a", t);
    }
    const pages = sim.pages();
    expect(pages.filter((p) => p.startsWith("check.flapping"))).toHaveLength(1);
    // Before flapping was detected it opened, resolved and reopened; after, nothing more.
    const afterFlap = pages.slice(pages.indexOf("check.flapping@L1") + 1);
    expect(afterFlap).toEqual([]);
    expect(sim.state.incident?.status).toBe("open");
    sim.until(9 * MIN + 10 * MIN);
    expect(sim.timeline()).toContain("check.settled");
    expect(sim.state.incident?.status).toBe("resolved");
    expect(sim.pages().at(-1)).toBe("incident.resolved@L1");
  });
});

describe("the runbook policy shipped in examples/safework.config.ts", () => {
  it("escalates as the runbook says", async () => {
    const { default: source } = await import("../../../examples/safework.config");
    const { parseConfig } = await import("../../../src/config");
    const shipped = parseConfig(source, {}, { checkSecrets: false }).policies.find((p) => p.id === "runbook")!;

    const recoveries = new Sim();
    recoveries.ctx.policy = shipped;
    recoveries.down("agent:safework-prod-1:docker:safework-app", 0, "docker");
    for (const t of [1, 2, 3])
      recoveries.send({ type: "remediation", checkId: "agent:safework-prod-1:docker:safework-app", outcome: "failed", at: t * MIN });
    expect(recoveries.pages()).toEqual(["incident.opened@L1", "incident.escalated@L2"]);

    const longOutage = new Sim();
    longOutage.ctx.policy = shipped;
    longOutage.down("safework-health", 0);
    longOutage.until(30 * MIN);
    // L1 at 10 s, L2 when unacknowledged for 15 min, L3 at 30 min of outage.
    expect(longOutage.pages().filter((p) => !p.startsWith("incident.repeated"))).toEqual([
      "incident.opened@L1",
      "incident.escalated@L2",
      "incident.escalated@L3",
    ]);

    const dbRecovery = new Sim();
    dbRecovery.ctx.policy = shipped;
    dbRecovery.down("agent:safework-prod-1:postgres", 0, "postgres");
    dbRecovery.send({ type: "flag", flag: "data-loss-risk", by: "kim", at: MIN });
    dbRecovery.send({ type: "remediation", checkId: "agent:safework-prod-1:postgres", outcome: "failed", at: 2 * MIN });
    expect(dbRecovery.pages()).toEqual(["incident.opened@L1", "incident.escalated@L2", "incident.escalated@L3"]);
  });
});
