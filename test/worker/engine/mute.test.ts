/** Mute facts: inhibition, maintenance, silences, with injected time (src/engine/mute.ts). */
import { describe, expect, it } from "vitest";
import type { MaintenanceSpec } from "../../../src/config/policies";
import {
  inhibitions,
  maintenanceQuiet,
  monitorDependencies,
  silenceCovers,
  silenceQuiet,
  type InhibitionFacts,
  type Silence,
} from "../../../src/engine/mute";

const T0 = Date.UTC(2026, 10, 22, 14, 0, 0);
const facts = (f: Partial<InhibitionFacts>): InhibitionFacts => ({
  down: [],
  dependsOn: new Map(),
  downChecks: new Set(),
  downService: null,
  ...f,
});
const hb = "agent:db-1:heartbeat";

describe("inhibitions", () => {
  const cases: { name: string; facts: InhibitionFacts; out: Record<string, string> }[] = [
    { name: "nothing down, nothing inhibited", facts: facts({}), out: {} },
    {
      name: "an agent check is inhibited by its heartbeat, down in the same incident",
      facts: facts({ down: [{ id: hb }, { id: "agent:db-1:postgres", coveredBy: hb }] }),
      out: { "agent:db-1:postgres": hb },
    },
    {
      name: "not by a heartbeat that is up",
      facts: facts({ down: [{ id: "agent:db-1:postgres", coveredBy: hb }] }),
      out: {},
    },
    {
      name: "nor by another agent's heartbeat",
      facts: facts({ down: [{ id: "agent:db-2:heartbeat" }, { id: "agent:db-1:postgres", coveredBy: hb }] }),
      out: {},
    },
    {
      name: "an id that merely looks like an agent check is not covered",
      facts: facts({ down: [{ id: hb }, { id: "agent:db-1:postgres" }] }),
      out: {},
    },
    {
      name: "a monitor whose dependsOn check is down names the first down dependency",
      facts: facts({ down: [{ id: "api" }], dependsOn: new Map([["api", ["cache", "db"]]]), downChecks: new Set(["db", "cache"]) }),
      out: { api: "cache" },
    },
    {
      name: "a monitor whose dependencies are up is not inhibited",
      facts: facts({ down: [{ id: "api" }], dependsOn: new Map([["api", ["db"]]]), downChecks: new Set() }),
      out: {},
    },
    {
      name: "a down service this one dependsOn covers every down member not already explained",
      facts: facts({ down: [{ id: hb }, { id: "agent:db-1:postgres", coveredBy: hb }, { id: "web" }], downService: "db" }),
      out: { [hb]: "service:db", "agent:db-1:postgres": hb, web: "service:db" },
    },
  ];
  for (const c of cases) it(c.name, () => expect(inhibitions(c.facts)).toEqual(c.out));

  it("monitorDependencies: only down monitors that have dependencies", () => {
    const monitors = [
      { id: "api", dependsOn: ["db"] },
      { id: "web", dependsOn: [] },
      { id: "idle", dependsOn: ["db"] },
    ];
    expect([...monitorDependencies(monitors, [{ id: "api" }, { id: "web" }])]).toEqual([["api", ["db"]]]);
  });
});

describe("maintenanceQuiet", () => {
  const oneOff: MaintenanceSpec = {
    id: "m1",
    services: ["app"],
    title: "DB upgrade",
    start: "2026-11-22T13:00:00Z",
    end: "2026-11-22T15:00:00Z",
  };
  const nightly: MaintenanceSpec = {
    id: "m2",
    services: ["app"],
    title: "Nightly",
    cron: "0 3 * * *",
    duration: 3_600_000,
    timezone: "Asia/Seoul",
  };
  it("holds pages while a window for the service runs, until its end", () => {
    expect(maintenanceQuiet([oneOff], "app", "UTC", T0)).toEqual({
      reason: "maintenance",
      until: Date.parse(oneOff.end!),
      detail: "DB upgrade",
    });
    expect(maintenanceQuiet([oneOff], "other", "UTC", T0)).toBeNull();
    expect(maintenanceQuiet([oneOff], "app", "UTC", Date.parse(oneOff.end!))).toBeNull();
  });
  it("a recurring window runs in its own time zone", () => {
    const at = Date.UTC(2026, 10, 22, 18, 30); // 03:30 in Seoul
    expect(maintenanceQuiet([nightly], "app", "UTC", at)).toMatchObject({ until: Date.UTC(2026, 10, 22, 19, 0) });
    expect(maintenanceQuiet([nightly], "app", "UTC", Date.UTC(2026, 10, 22, 19, 0))).toBeNull();
  });
});

describe("silences", () => {
  const s = (over: Partial<Silence>): Silence => ({
    id: "s1",
    serviceId: "app",
    checkGlob: null,
    comment: "deploying",
    createdBy: "kim",
    createdAt: T0,
    endsAt: T0 + 60_000,
    ...over,
  });
  it("a silence covers its service, or every check its glob matches", () => {
    expect(silenceCovers(s({}), "app", ["x"])).toBe(true);
    expect(silenceCovers(s({}), "other", ["x"])).toBe(false);
    expect(silenceCovers(s({ serviceId: null }), "other", ["x"])).toBe(true);
    expect(silenceCovers(s({ checkGlob: "agent:*:postgres" }), "app", ["agent:db-1:postgres"])).toBe(true);
    expect(silenceCovers(s({ checkGlob: "agent:*:postgres" }), "app", ["agent:db-1:postgres", "api"])).toBe(false);
    expect(silenceCovers(s({ checkGlob: "agent:*:postgres" }), "app", [])).toBe(false);
  });
  it("holds until the covering silence that ends last; an ended one holds nothing", () => {
    const rows = [s({ id: "s1", endsAt: T0 + 60_000 }), s({ id: "s2", endsAt: T0 + 120_000, comment: "longer" })];
    expect(silenceQuiet(rows, "app", ["api"], T0)).toEqual({ reason: "silence", until: T0 + 120_000, detail: "s2 by kim: longer" });
    expect(silenceQuiet(rows, "app", ["api"], T0 + 120_000)).toBeNull();
    expect(silenceQuiet(rows, "other", ["api"], T0)).toBeNull();
  });
});
