import { describe, expect, it } from "vitest";
import { planTick, type Budgets } from "../../../src/engine/plan";
import { combineRegions } from "../../../src/engine/quorum";
import { cumulativeBuckets, LATENCY_BOUNDS_MS, percentile, rollup } from "../../../src/engine/rollup";
import { LIMITS, subrequestsPerRun } from "../../../src/limits";

const MIN = 60_000;
const fleet = (n: number, interval: number, extra: object = {}) =>
  Array.from({ length: n }, (_, i) => ({ id: `m-${i}`, interval, ...extra }));

describe("planTick: budgets", () => {
  it("runs a small minute inline", () => {
    const p = planTick(fleet(50, MIN), 0, 0);
    expect(p.inline).toBe(true);
    expect(p.batches).toHaveLength(1);
    expect(p.batches[0]).toHaveLength(50);
  });

  it("fans a large minute out in batches that respect every budget (the budgets in src/limits.ts)", () => {
    // 2,000 monitors at 10 s: 12,000 runs in the minute.
    const monitors = fleet(2_000, 10_000);
    const p = planTick(monitors, 0, 0);
    expect(p.inline).toBe(false);
    expect(p.batches.flat()).toHaveLength(12_000);
    for (const b of p.batches) {
      expect(b.length).toBeLessThanOrEqual(LIMITS.jobsPerBatch);
      expect(b.reduce((n) => n + 1, 0)).toBeLessThanOrEqual(LIMITS.subrequestsPerInvocation);
    }
  });

  it("deals monitors round the batches, so each batch's runs spread over the minute", () => {
    // Filling batches in offset order gave each of the 31 batches a third of a second of a
    // 10 s interval: 66 runs at once on six sockets, every 10 s.
    const p = planTick(fleet(2_000, 10_000), 0, 0);
    expect(p.batches).toHaveLength(Math.ceil(12_000 / LIMITS.jobsPerBatch) + 1);
    for (const b of p.batches) {
      const perSecond = new Map<number, number>();
      for (const j of b) perSecond.set(Math.floor(j.at / 1_000), (perSecond.get(Math.floor(j.at / 1_000)) ?? 0) + 1);
      expect(Math.max(...perSecond.values())).toBeLessThanOrEqual(16);
    }
  });

  it("a monitor over budget on its own still gets a batch", () => {
    const p = planTick([{ id: "big", interval: MIN, samples: 10 }, ...fleet(3, MIN)], 0, 0, {
      inlineJobs: 0,
      jobsPerBatch: 10,
      subrequestsPerInvocation: 5,
    });
    expect(p.batches.flat()).toHaveLength(4);
    expect(p.batches.find((b) => b.some((j) => j.monitorId === "big"))).toHaveLength(1);
  });

  it("counts a regional monitor's subrequests per region", () => {
    const budgets: Budgets = { inlineJobs: 0, jobsPerBatch: 1_000, subrequestsPerInvocation: 30 };
    const p = planTick(fleet(20, MIN, { regions: ["weur", "enam", "apac"] }), 0, 0, budgets);
    expect(subrequestsPerRun({ regions: ["weur", "enam", "apac"] })).toBe(3);
    for (const b of p.batches) expect(b.length * 3).toBeLessThanOrEqual(30);
    expect(p.batches.flat()).toHaveLength(20);
  });

  it("keeps all runs of one monitor in one batch, in time order", () => {
    const p = planTick(fleet(300, 10_000), 0, 0, { inlineJobs: 0, jobsPerBatch: 100, subrequestsPerInvocation: 900 });
    const batchOf = new Map<string, number>();
    p.batches.forEach((b, i) => {
      for (const j of b) {
        expect(batchOf.get(j.monitorId) ?? i).toBe(i);
        batchOf.set(j.monitorId, i);
      }
      expect(b.map((j) => j.at)).toEqual([...b.map((j) => j.at)].sort((x, y) => x - y));
    });
  });
});

describe("planTick: late ticks", () => {
  it("a tick on time plans every run of the minute", () => {
    expect(planTick([{ id: "a", interval: 10_000 }], 0, 0).batches.flat()).toHaveLength(6);
  });

  it("a late tick runs each monitor's latest missed run once, not a burst", () => {
    const p = planTick([{ id: "a", interval: 10_000 }], 0, 45_000);
    const runs = p.batches.flat();
    // Of the 6 runs, those before 45 s collapse into the latest one; later ones stay planned.
    expect(p.coalesced + runs.length).toBe(6);
    expect(runs.filter((r) => r.at <= 45_000)).toHaveLength(1);
  });

  it("a tick for a minute long past runs every monitor exactly once", () => {
    const p = planTick(fleet(10, 10_000), 0, 10 * MIN);
    expect(p.batches.flat()).toHaveLength(10);
    expect(p.coalesced).toBe(50);
  });
});

describe("combineRegions: quorum", () => {
  const r = (region: string, status: "up" | "down" | "degraded", latencyMs = 100, reason?: string) => ({
    region,
    result: { status, latencyMs, checkedAt: "2026-11-23T00:00:00.000Z", ...(reason && { reason }) },
  });
  it("is down only when the quorum agrees", () => {
    const res = combineRegions(
      [r("weur", "down", 50, "timed out after 10s while connecting"), r("enam", "down", 60, "timed out"), r("apac", "up")],
      2,
    );
    expect(res).toMatchObject({ status: "down", reason: "down from 2 of 3 regions (weur, enam: timed out after 10s while connecting)" });
  });
  it("one failing region is degraded, unconfirmed", () => {
    const res = combineRegions([r("weur", "down", 50, "connection refused"), r("enam", "up", 80), r("apac", "up", 120)], 2);
    expect(res).toMatchObject({
      status: "degraded",
      latencyMs: 80,
      reason: "down from 1 of 3 regions, unconfirmed (weur: connection refused)",
    });
    expect(res.regions).toMatchObject({ weur: { status: "down" }, enam: { status: "up" }, apac: { status: "up" } });
  });
  it("all up is up with the median latency", () => {
    expect(combineRegions([r("weur", "up", 10), r("enam", "up", 30), r("apac", "up", 20)], 2)).toMatchObject({
      status: "up",
      latencyMs: 20,
    });
  });
});

describe("rollup", () => {
  it("counts, failures, degraded and latency min/avg/p95/max per check", () => {
    const rows = rollup([
      ["a", 0, 0, 100],
      ["a", 1, 2, 300],
      ["a", 2, 1, 200],
      ["b", 0, 0, 5],
    ]);
    expect(rows).toEqual([
      {
        checkId: "a",
        count: 3,
        failures: 1,
        degraded: 1,
        unknown: 0,
        retried: 0,
        latencyMin: 100,
        latencyAvg: 200,
        latencyP95: 300,
        latencyMax: 300,
        latencySum: 600,
        latencyLe: [0, 1, 2, 3, 3, 3, 3, 3],
        firstByteAvg: null,
      },
      {
        checkId: "b",
        count: 1,
        failures: 0,
        degraded: 0,
        unknown: 0,
        retried: 0,
        latencyMin: 5,
        latencyAvg: 5,
        latencyP95: 5,
        latencyMax: 5,
        latencySum: 5,
        latencyLe: [1, 1, 1, 1, 1, 1, 1, 1],
        firstByteAvg: null,
      },
    ]);
  });
  it("averages the time to first byte over the results that carry one (http probes)", () => {
    const [row] = rollup([
      ["a", 0, 0, 100, 40],
      ["a", 1, 0, 120, 45],
      ["a", 2, 2, 5000],
    ]);
    expect(row).toMatchObject({ count: 3, latencyAvg: 1740, firstByteAvg: 42.5 });
  });
  it("latency buckets are cumulative counts at or below each bound (a bound is inclusive)", () => {
    expect(LATENCY_BOUNDS_MS).toEqual([50, 100, 250, 500, 1000, 2500, 5000, 10000]);
    expect(cumulativeBuckets([0, 50, 50.5, 100, 9999, 10000, 10001, 60000])).toEqual([2, 4, 4, 4, 4, 4, 4, 6]);
    expect(cumulativeBuckets([])).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
  });
  it("nearest-rank percentile", () => {
    const v = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(v, 95)).toBe(95);
    expect(percentile(v, 50)).toBe(50);
    expect(percentile([], 95)).toBeNull();
  });
});
