/**
 * Unknown is not up, degraded is not down, and the cadence you can check (issue #21, points 1,
 * 2 and 5): the numbers, pure.
 */
import { describe, expect, it } from "vitest";
import { availability, formatShare, periodLevel, sumTallies, tallyOfDays, type AvailabilityTally } from "../../../src/engine/availability";
import { cadence, plannedRuns, spanCadence, sumCadence } from "../../../src/engine/cadence";
import { rollup } from "../../../src/engine/rollup";
import { offsetOf, plan } from "../../../src/engine/schedule";

const HOUR = 3_600_000;

describe("plannedRuns", () => {
  it("counts the planner's own runs in any span (sub-minute, minute, slower than the span)", () => {
    for (const interval of [10_000, 15_000, 60_000, 300_000, 7 * 60_000, 2 * HOUR]) {
      for (const id of ["api", "db-health", "x"]) {
        const m = { id, interval };
        for (const [from, to] of [
          [0, HOUR],
          [HOUR + 17, 2 * HOUR + 5],
          [1_796_122_800_000, 1_796_122_800_000 + HOUR],
        ] as const) {
          expect(plannedRuns(m, from, to), `${id} every ${interval} in [${from}, ${to})`).toBe(plan([m], from, to - from).length);
        }
      }
    }
  });
  it("a 5-minute monitor plans 12 runs an hour; a 10 s one 360; an empty span none", () => {
    expect(plannedRuns({ id: "a", interval: 300_000 }, 0, HOUR)).toBe(12);
    expect(plannedRuns({ id: "a", interval: 10_000 }, 0, HOUR)).toBe(360);
    expect(plannedRuns({ id: "a", interval: 10_000 }, HOUR, HOUR)).toBe(0);
  });
  it("a run exactly at the span's end belongs to the next span", () => {
    const m = { id: "edge", interval: 60_000 };
    const at = offsetOf(m) + 60 * 60_000; // a planned run
    expect(plannedRuns(m, at - HOUR, at)).toBe(60);
    expect(plannedRuns(m, at - HOUR + 1, at + 1)).toBe(60);
  });
});

describe("cadence", () => {
  it("missed = planned − executed, never negative", () => {
    expect(cadence(12, 9)).toEqual({ planned: 12, executed: 9, missed: 3 });
    expect(cadence(12, 13)).toEqual({ planned: 12, executed: 13, missed: 0 });
  });
  it("an hourly cron where a 5-minute one was promised (Upptime #42): 12 planned, 1 executed, 11 missed", () => {
    const rows = spanCadence([{ id: "site", interval: 300_000 }], 0, HOUR, new Map([["site", 1]]));
    expect(rows.get("site")).toEqual({ planned: 12, executed: 1, missed: 11 });
  });
  it("a monitor that never ran in the span gets a row: every run missed", () => {
    const rows = spanCadence(
      [
        { id: "a", interval: 60_000 },
        { id: "b", interval: 60_000 },
      ],
      0,
      HOUR,
      new Map([["a", 60]]),
    );
    expect(rows.get("b")).toEqual({ planned: 60, executed: 0, missed: 60 });
  });
  it("runs planned before the monitor existed are not counted", () => {
    const rows = spanCadence([{ id: "new", interval: 60_000, since: HOUR / 2 }], 0, HOUR, new Map([["new", 30]]));
    expect(rows.get("new")).toEqual({ planned: 30, executed: 30, missed: 0 });
  });
  it("sums hours into a day", () => {
    expect(sumCadence([cadence(60, 60), cadence(60, 50), cadence(60, 0)])).toEqual({ planned: 180, executed: 110, missed: 70 });
  });
});

describe("rollup counts unknown runs apart", () => {
  it("status 3 is unknown: executed, but neither in count (measured runs) nor in latency", () => {
    const [row] = rollup([
      ["a", 0, 0, 100],
      ["a", 1, 3, 0],
      ["a", 2, 2, 300],
      ["a", 3, 1, 200],
    ]);
    expect(row).toMatchObject({ count: 3, failures: 1, degraded: 1, unknown: 1, latencyMin: 100, latencySum: 600 });
  });
});

describe("availability", () => {
  const cases: { name: string; t: AvailabilityTally; want: Partial<ReturnType<typeof availability>> }[] = [
    {
      name: "all planned runs measured and up",
      t: { planned: 60, count: 60, failures: 0, degraded: 0 },
      want: { measured: 60, measuredShare: 1, unknownShare: 0, uptime: 1, shares: { up: 1, degraded: 0, down: 0 } },
    },
    {
      name: "Vigil down half the hour: uptime over what was measured, and it says so (Uptime Kuma #6475)",
      t: { planned: 60, count: 30, failures: 0, degraded: 0 },
      want: { measured: 30, measuredShare: 0.5, unknownShare: 0.5, uptime: 1 },
    },
    {
      name: "probe crashes are unknown, not down",
      t: { planned: 60, count: 45, failures: 0, degraded: 0, unknown: 15 },
      want: { measured: 45, measuredShare: 0.75, unknownShare: 0.25, uptime: 1 },
    },
    {
      name: "degraded is its own share and counts as available",
      t: { planned: 100, count: 100, failures: 10, degraded: 20 },
      want: { uptime: 0.9, shares: { up: 0.7, degraded: 0.2, down: 0.1 } },
    },
    {
      name: "nothing measured: no uptime, fully unknown",
      t: { planned: 60, count: 0, failures: 0, degraded: 0 },
      want: { measured: 0, measuredShare: 0, unknownShare: 1, uptime: null, shares: null },
    },
    {
      name: "nothing planned nor run",
      t: { planned: 0, count: 0, failures: 0, degraded: 0 },
      want: { measuredShare: null, unknownShare: null, uptime: null },
    },
    {
      name: "hours rolled up before planned runs were kept: taken as fully measured",
      t: { count: 50, failures: 5, degraded: 0 },
      want: { measuredShare: 1, uptime: 0.9 },
    },
  ];
  it.each(cases)("$name", ({ t, want }) => {
    const a = availability(t);
    expect(a).toMatchObject(want);
    if (a.shares) expect(a.shares.up + a.shares.degraded + a.shares.down).toBeCloseTo(1, 12);
  });

  it("sums tallies; an hour without `planned` planned what it executed", () => {
    expect(
      sumTallies([
        { planned: 60, count: 50, failures: 1, degraded: 2, unknown: 3 },
        { count: 57, failures: 0, degraded: 0, unknown: 3 },
      ]),
    ).toEqual({
      planned: 120,
      count: 107,
      failures: 1,
      degraded: 2,
      unknown: 6,
    });
    expect(sumTallies([{ count: 1, failures: 0, degraded: 0 }]).planned).toBeUndefined();
  });

  it.each([
    ["nothing planned", { planned: 0, count: 0, failures: 0, degraded: 0 }, "none"],
    ["planned, none ran", { planned: 24, count: 0, failures: 0, degraded: 0 }, "unknown"],
    ["under half measured, all up", { planned: 24, count: 10, failures: 0, degraded: 0 }, "unknown"],
    ["half measured, up", { planned: 24, count: 12, failures: 0, degraded: 0 }, "up"],
    ["a failure is always shown, however little was measured", { planned: 24, count: 2, failures: 2, degraded: 0 }, "down"],
    ["few failures: partial", { planned: 100, count: 100, failures: 5, degraded: 0 }, "partial"],
    ["degraded", { planned: 100, count: 100, failures: 0, degraded: 1 }, "degraded"],
    ["crashes only: unknown", { planned: 10, count: 0, failures: 0, degraded: 0, unknown: 10 }, "unknown"],
  ] as const)("periodLevel: %s → %s", (_n, t, want) => expect(periodLevel(t)).toBe(want));

  it.each([
    [1, "100 %"],
    [0.9996, "99.9 %"],
    [0.875, "87.5 %"],
    [0.5, "50 %"],
    [0, "0 %"],
  ])("formatShare(%f) → %s", (share, want) => expect(formatShare(share)).toBe(want));
});

describe("tallyOfDays", () => {
  const days = Int32Array.from([60, 0, 0, 50, 5, 2, 0, 0, 0]);
  const cad = Int32Array.from([60, 0, 0, 60, 1, 3, 24, 0, 0]);
  it("sums a range of days, with planned, unknown and retried", () => {
    expect(tallyOfDays(days, cad, 0, 3)).toEqual({ count: 110, failures: 5, degraded: 2, unknown: 1, retried: 3, planned: 144 });
    expect(availability(tallyOfDays(days, cad, 1, 3))).toMatchObject({ measured: 50, expected: 84 });
  });
  it("without cadence: no planned (fully measured)", () => {
    expect(tallyOfDays(days, undefined, 0, 2)).toEqual({ count: 110, failures: 5, degraded: 2, unknown: 0, retried: 0 });
  });
});
