/**
 * Job schedules: next expected run of a cron expression in its time zone, across DST changes
 * (America/New_York: 2026-03-08 02:00 → 03:00, 2026-11-01 02:00 → 01:00; Europe/Berlin:
 * 2026-03-29 02:00 → 03:00, 2026-10-25 03:00 → 02:00), and the deadlines built on it.
 */
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config";
import { nextCronRun } from "../../../src/engine/cron";
import { agentGraceMs, jobDeadline, observationFor } from "../../../src/engine/deadline";

const utc = (iso: string) => Date.parse(iso);
const runs = (expr: string, tz: string, from: string, n: number) => {
  const out: string[] = [];
  let at = utc(from);
  for (let i = 0; i < n; i++) {
    const next = nextCronRun(expr, tz, at);
    if (typeof next === "string") throw new Error(next);
    out.push(new Date(next).toISOString());
    at = next;
  }
  return out;
};

describe("nextCronRun across DST", () => {
  const cases: { name: string; expr: string; tz: string; from: string; want: string[] }[] = [
    {
      name: "New York, spring forward: 02:30 does not exist on 8 March; runs at 03:00 EDT, then 02:30 EDT",
      expr: "30 2 * * *",
      tz: "America/New_York",
      from: "2026-03-07T00:00:00Z",
      want: ["2026-03-07T07:30:00.000Z", "2026-03-08T07:00:00.000Z", "2026-03-09T06:30:00.000Z"],
    },
    {
      name: "New York, fall back: 01:30 happens twice on 1 November; a daily job runs once",
      expr: "30 1 * * *",
      tz: "America/New_York",
      from: "2026-10-31T00:00:00Z",
      want: ["2026-10-31T05:30:00.000Z", "2026-11-01T05:30:00.000Z", "2026-11-02T06:30:00.000Z"],
    },
    {
      name: "New York, fall back: an hourly job runs at both 01:00s (real time)",
      expr: "0 * * * *",
      tz: "America/New_York",
      from: "2026-11-01T04:30:00Z",
      want: ["2026-11-01T05:00:00.000Z", "2026-11-01T06:00:00.000Z", "2026-11-01T07:00:00.000Z"],
    },
    {
      name: "Berlin, spring forward: 03:00 local is 02:00 UTC before and 01:00 UTC after 29 March",
      expr: "0 3 * * *",
      tz: "Europe/Berlin",
      from: "2026-03-28T00:00:00Z",
      want: ["2026-03-28T02:00:00.000Z", "2026-03-29T01:00:00.000Z", "2026-03-30T01:00:00.000Z"],
    },
    {
      name: "Berlin, spring forward: an interval job in the missing hour skips that day",
      expr: "*/30 2 * * *",
      tz: "Europe/Berlin",
      from: "2026-03-28T01:45:00Z",
      want: ["2026-03-30T00:00:00.000Z", "2026-03-30T00:30:00.000Z", "2026-03-31T00:00:00.000Z"],
    },
    {
      name: "Berlin, fall back: 02:30 happens twice on 25 October; a daily job runs once",
      expr: "30 2 * * *",
      tz: "Europe/Berlin",
      from: "2026-10-24T00:00:00Z",
      want: ["2026-10-24T00:30:00.000Z", "2026-10-25T00:30:00.000Z", "2026-10-26T01:30:00.000Z"],
    },
    {
      name: "weekdays at 09:00 in Seoul (no DST), Friday to Monday",
      expr: "0 9 * * 1-5",
      tz: "Asia/Seoul",
      from: "2026-11-20T01:00:00Z",
      want: ["2026-11-23T00:00:00.000Z", "2026-11-24T00:00:00.000Z", "2026-11-25T00:00:00.000Z"],
    },
  ];
  for (const c of cases) it(c.name, () => expect(runs(c.expr, c.tz, c.from, c.want.length)).toEqual(c.want));

  it("explains unusable expressions", () => {
    expect(nextCronRun("61 * * * *", "UTC", 0)).toBe('invalid cron expression "61 * * * *": Invalid value for minute: 61');
    expect(nextCronRun("0 0 30 2 *", "UTC", 0)).toBe('cron expression "0 0 30 2 *" never runs');
    expect(nextCronRun("* * * * * *", "UTC", 0)).toMatch(/^invalid cron expression/); // seconds are not crontab
  });
});

describe("deadlines", () => {
  it("job: late = next expected run + grace, by period or by cron in the job's time zone", () => {
    const ping = utc("2026-03-08T06:40:00Z"); // 01:40 EST, the night of the spring change
    expect(jobDeadline({ period: 3_600_000, timezone: "UTC", grace: 300_000 }, ping)).toEqual({
      expectedAt: ping + 3_600_000,
      lateAt: ping + 3_900_000,
    });
    expect(jobDeadline({ cron: "30 2 * * *", timezone: "America/New_York", grace: 1_800_000 }, ping)).toEqual({
      expectedAt: utc("2026-03-08T07:00:00Z"), // 03:00 EDT: 02:30 does not exist that night
      lateAt: utc("2026-03-08T07:30:00Z"),
    });
  });

  it("agent: grace is the configured one, else 3 × the promised interval", () => {
    expect(agentGraceMs(undefined, 30)).toBe(90_000);
    expect(agentGraceMs(1_500, 30)).toBe(1_500);
  });

  it("agent statuses map onto the engine, unknown holds", () => {
    expect(["ok", "warn", "critical", "unknown"].map((s) => observationFor(s as never))).toEqual(["up", "degraded", "down", "unknown"]);
  });
});

describe("config", () => {
  const base = {
    services: [{ id: "s", name: "S", policy: "p" }],
    channels: [],
    policies: [{ id: "p", levels: [{ channels: [] as string[] }] }],
  };
  const problems = (extra: object) => {
    try {
      parseConfig({ ...base, policies: [], services: [], ...extra } as never, { K: "x", S: "y" });
      return [];
    } catch (err) {
      return (err as { issues: string[] }).issues;
    }
  };

  it("names every problem of agents and jobs by path", () => {
    const got = problems({
      services: [{ id: "s", name: "S", policy: "p" }],
      policies: [{ id: "p", levels: [{ channels: ["c"] }] }],
      channels: [{ id: "c", type: "webhook", url: "https://x.test", secret: { env: "S" } }],
      agents: [
        { id: "a", service: "nope", secret: { env: "S" }, grace: "soon" },
        { id: "a", service: "s", secret: "inline-secret" },
      ],
      jobs: [
        { id: "j1", service: "s", key: { env: "K" } },
        { id: "j2", service: "s", key: { env: "K" }, period: "1h", cron: "0 3 * * *" },
        { id: "j3", service: "s", key: { env: "K" }, cron: "0 25 * * *" },
        { id: "j4", service: "s", key: { env: "K" }, cron: "0 3 * * *", timezone: "Mars/Olympus" },
      ],
    });
    expect(got).toEqual([
      'agents[0].grace: expected a duration such as "30s", "5m" or "6h", got "soon"',
      "agents[1].secret: Invalid input: expected object, received string",
      'jobs[0].period: set exactly one of "period" (e.g. "1h") and "cron" (e.g. "0 3 * * *")',
      'jobs[1].period: set exactly one of "period" (e.g. "1h") and "cron" (e.g. "0 3 * * *")',
      'jobs[2].cron: invalid cron expression "0 25 * * *": Invalid value for hour: 25',
      'jobs[3].timezone: unknown IANA time zone "Mars/Olympus"',
      'agents[1].id: duplicate id "a"',
      'agents[0].service: unknown service "nope" (known: "s")',
    ]);
  });

  it("checks agent and job references: duplicates and unknown services", () => {
    const got = problems({
      services: [{ id: "s", name: "S", policy: "p" }],
      policies: [{ id: "p", levels: [{ channels: ["c"] }] }],
      channels: [{ id: "c", type: "webhook", url: "https://x.test", secret: { env: "S" } }],
      agents: [
        { id: "a", service: "nope", secret: { env: "S" } },
        { id: "a", service: "s", secret: { env: "S" } },
      ],
      jobs: [{ id: "j", service: "gone", key: { env: "K" }, period: "1d" }],
    });
    expect(got).toEqual([
      'agents[1].id: duplicate id "a"',
      'agents[0].service: unknown service "nope" (known: "s")',
      'jobs[0].service: unknown service "gone" (known: "s")',
    ]);
  });
});
