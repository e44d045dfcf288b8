/**
 * Thresholds with hysteresis (agent/checks/hysteresis.ts): the pure grading as table tests
 * (named cases, back and forth around each line), every graded value of the judges walked
 * across its lines, the log check's floor keeping the last judged status, and the config's
 * clear values (defaults, overrides, errors with their paths).
 */
import { describe, expect, it } from "vitest";
import type { CheckStatus } from "../../agent/checks/check";
import { judgeHost } from "../../agent/checks/host";
import { type Grades, type Line, defaultClear, gradeHeld } from "../../agent/checks/hysteresis";
import { judgeLogs } from "../../agent/checks/logs";
import { judgePostgres } from "../../agent/checks/postgres";
import { quietPrimary } from "./postgres-observation";
import { judgeRedis } from "../../agent/checks/redis";
import { ConfigError, parseConfig } from "../../agent/config";

const WARN: Line = { trigger: 80, clear: 70 };
const CRIT: Line = { trigger: 90, clear: 80 };

describe("gradeHeld", () => {
  const cases: {
    name: string;
    value: number | undefined;
    previous: CheckStatus | undefined;
    warn?: Line | null;
    critical?: Line | null;
    want: CheckStatus;
  }[] = [
    { name: "first run, under every line", value: 50, previous: undefined, want: "ok" },
    { name: "first run, at the warn trigger", value: 80, previous: undefined, want: "warn" },
    { name: "first run, at the critical trigger", value: 90, previous: undefined, want: "critical" },
    { name: "first run, between clear and trigger: not raised", value: 75, previous: undefined, want: "ok" },
    { name: "ok stays ok between the warn clear and trigger", value: 79.9, previous: "ok", want: "ok" },
    { name: "warn holds just under its trigger", value: 79.9, previous: "warn", want: "warn" },
    { name: "warn holds at its clear value", value: 70, previous: "warn", want: "warn" },
    { name: "warn clears just below its clear value", value: 69.9, previous: "warn", want: "ok" },
    { name: "warn rises to critical at the critical trigger", value: 90, previous: "warn", want: "critical" },
    { name: "warn is not raised to critical between the critical clear and trigger", value: 85, previous: "warn", want: "warn" },
    { name: "critical holds just under its trigger", value: 89.9, previous: "critical", want: "critical" },
    { name: "critical holds at its clear value", value: 80, previous: "critical", want: "critical" },
    { name: "critical falls to warn below its clear value", value: 79.9, previous: "critical", want: "warn" },
    { name: "critical falls to warn (held) below the warn trigger", value: 72, previous: "critical", want: "warn" },
    { name: "critical falls to ok below both clear values", value: 60, previous: "critical", want: "ok" },
    { name: "a missing value is ok", value: undefined, previous: "critical", want: "ok" },
    { name: "NaN is ok", value: Number.NaN, previous: "warn", want: "ok" },
    { name: "warn line only: held", value: 75, previous: "warn", critical: null, want: "warn" },
    { name: "warn line only: never critical", value: 500, previous: "warn", critical: null, want: "warn" },
    { name: "critical line only: held", value: 85, previous: "critical", warn: null, want: "critical" },
    { name: "critical line only: clears to ok, not warn", value: 79, previous: "critical", warn: null, want: "ok" },
    { name: "previous unknown holds nothing", value: 75, previous: "unknown", want: "ok" },
    { name: "clear equal to the trigger: no hysteresis", value: 79.9, previous: "warn", warn: { trigger: 80, clear: 80 }, want: "ok" },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(
        gradeHeld(
          c.value,
          c.warn === null ? undefined : (c.warn ?? WARN),
          c.critical === null ? undefined : (c.critical ?? CRIT),
          c.previous,
        ),
      ).toBe(c.want);
    });
  }

  it("walks back and forth around each line", () => {
    const walk = [50, 80, 79, 75, 70, 69, 75, 79, 80, 89, 90, 85, 80, 79, 85, 89, 90, 70, 69];
    const want = [
      "ok",
      "warn",
      "warn",
      "warn",
      "warn",
      "ok",
      "ok",
      "ok",
      "warn",
      "warn",
      "critical",
      "critical",
      "critical",
      "warn",
      "warn",
      "warn",
      "critical",
      "warn",
      "ok",
    ];
    let previous: CheckStatus | undefined;
    const got = walk.map((v) => (previous = gradeHeld(v, WARN, CRIT, previous)));
    expect(got).toEqual(want);
  });
});

describe("default clear values", () => {
  it.each([
    ["pct", 80, 70],
    ["pct", 95, 85],
    ["pct", 90, 80],
    ["pct", 20, 10],
    ["pct", 5, 2.5],
    ["duration", 30_000, 24_000],
    ["duration", 300_000, 240_000],
    ["count", 100, 80],
  ] as const)("%s %d clears below %d", (unit, trigger, clear) => {
    expect(defaultClear(unit, trigger)).toBe(clear);
  });
});

/** Runs `judge` over `values`, each run handed the grades of the one before. */
function walk<T>(values: T[], judge: (v: T, previous: Grades) => { status: CheckStatus; grades: Grades; summary: string }) {
  let previous: Grades = {};
  return values.map((v) => {
    const r = judge(v, previous);
    previous = r.grades;
    return r;
  });
}

describe("every graded value of the judges holds until its clear value", () => {
  const spec = <K extends string>(kind: K, extra: Record<string, unknown> = {}) =>
    parseConfig({
      agent: { id: "x" },
      checks: [{ kind, ...(kind === "postgres" ? { url: "postgres://db/app" } : kind === "logs" ? { file: "/x" } : {}), ...extra }],
    }).checks[0]!;

  const pg = spec("postgres") as Parameters<typeof judgePostgres>[0];

  it("postgres connections: 80 % warn clears below 70 %, 95 % critical below 85 %", () => {
    const out = walk([50, 80, 72, 69, 75, 95, 86, 84, 71, 60], (n, p) => judgePostgres(pg, { ...quietPrimary, connections: n }, p));
    expect(out.map((r) => r.status)).toEqual(["ok", "warn", "warn", "ok", "ok", "critical", "critical", "warn", "warn", "ok"]);
    expect(out[2]!.summary).toMatch(/^conn warn \(held, clears below 70 %\): /);
    expect(out[6]!.summary).toMatch(/^conn critical \(held, clears below 85 %\): /);
  });

  it("postgres long query: 30 s warn clears below 24 s, 5 min critical below 4 min", () => {
    const out = walk([10, 30, 25, 23, 300, 250, 239, 20], (s, p) =>
      judgePostgres(pg, { ...quietPrimary, longestQuerySeconds: s, longestQueryPid: 9 }, p),
    );
    expect(out.map((r) => r.status)).toEqual(["ok", "warn", "warn", "ok", "critical", "critical", "warn", "ok"]);
    expect(out[2]!.summary).toMatch(/^query warn \(held, clears below 24s\)/);
    expect(out[5]!.summary).toMatch(/^query critical \(held, clears below 4m\)/);
  });

  it("postgres old transaction: 5 min warn clears below 4 min", () => {
    const out = walk([300, 250, 239], (s, p) => judgePostgres(pg, { ...quietPrimary, oldestTransactionSeconds: s }, p));
    expect(out.map((r) => r.status)).toEqual(["warn", "warn", "ok"]);
  });

  it("postgres replication lag: 30 s warn clears below 24 s; an unknown lag keeps no grade", () => {
    const out = walk([30, 25, null, 25, 23], (s, p) =>
      judgePostgres(pg, { ...quietPrimary, replica: true, replicationLagSeconds: s, walReceiver: "streaming" }, p),
    );
    expect(out.map((r) => r.status)).toEqual(["warn", "warn", "unknown", "ok", "ok"]);
  });

  it("postgres latency: 1 s warn clears below 800 ms; explicit clear values and hysteresis: false", () => {
    expect(walk([1000, 900, 799], (ms, p) => judgePostgres(pg, { ...quietPrimary, latencyMs: ms }, p)).map((r) => r.status)).toEqual([
      "warn",
      "warn",
      "ok",
    ]);
    const tight = spec("postgres", { clear: { latencyWarn: "950ms" } }) as typeof pg;
    expect(walk([1000, 960, 940], (ms, p) => judgePostgres(tight, { ...quietPrimary, latencyMs: ms }, p)).map((r) => r.status)).toEqual([
      "warn",
      "warn",
      "ok",
    ]);
    const off = spec("postgres", { hysteresis: false }) as typeof pg;
    expect(walk([80, 79, 80, 79], (n, p) => judgePostgres(off, { ...quietPrimary, connections: n }, p)).map((r) => r.status)).toEqual([
      "warn",
      "ok",
      "warn",
      "ok",
    ]);
  });

  const redisBase = {
    pingMs: 0.2,
    usedMemory: 0,
    maxmemory: 1000,
    maxmemoryPolicy: "allkeys-lru",
    hits: 0,
    misses: 0,
    hitsDelta: undefined,
    missesDelta: undefined,
    connectedClients: 1,
    blockedClients: 0,
    maxclients: 100,
    rejectedConnections: 0,
    rejectedIncrease: 0,
    evictedKeys: 0,
    evictedIncrease: 0,
    keys: 1,
  };
  const redis = spec("redis", { evictedWarn: 100 }) as Parameters<typeof judgeRedis>[0];

  it("redis memory: 80 % warn clears below 70 %, 95 % critical below 85 %", () => {
    const out = walk([800, 710, 690, 950, 860, 840, 600], (used, p) => judgeRedis(redis, { ...redisBase, usedMemory: used }, p));
    expect(out.map((r) => r.status)).toEqual(["warn", "warn", "ok", "critical", "critical", "warn", "ok"]);
    expect(out[4]!.summary).toMatch(/^memory critical \(held, clears below 85 %\): /);
  });

  it("redis evictions (100 warn, clears below 80) and rejected clients (1 warn, clears at 0)", () => {
    expect(walk([100, 90, 79], (n, p) => judgeRedis(redis, { ...redisBase, evictedIncrease: n }, p)).map((r) => r.status)).toEqual([
      "warn",
      "warn",
      "ok",
    ]);
    expect(walk([2, 1, 0], (n, p) => judgeRedis(redis, { ...redisBase, rejectedIncrease: n }, p)).map((r) => r.status)).toEqual([
      "warn",
      "warn",
      "ok",
    ]);
  });

  const hostBase = { cpuPct: 10, memoryPct: 10, memoryTotal: 1, load1: 0, cores: 2, disks: [{ mount: "/", usedPct: 10, freeBytes: 1 }] };
  const host = spec("host", { cpuCriticalPct: 95, loadWarnPerCore: 1 }) as Parameters<typeof judgeHost>[0];

  it("host CPU (80 / 95), memory (85 critical), load per core and each disk (80 / 90) hold per line", () => {
    expect(walk([80, 75, 69, 95, 90, 84, 60], (cpu, p) => judgeHost(host, { ...hostBase, cpuPct: cpu }, p)).map((r) => r.status)).toEqual([
      "warn",
      "warn",
      "ok",
      "critical",
      "critical",
      "warn",
      "ok",
    ]);
    expect(walk([85, 76, 74], (m, p) => judgeHost(host, { ...hostBase, memoryPct: m }, p)).map((r) => r.status)).toEqual([
      "critical",
      "critical",
      "ok",
    ]);
    expect(walk([2, 1.7, 1.5], (l, p) => judgeHost(host, { ...hostBase, load1: l }, p)).map((r) => r.status)).toEqual([
      "warn",
      "warn",
      "ok",
    ]);
    const disks = (root: number, data: number) => [
      { mount: "/", usedPct: root, freeBytes: 1 },
      { mount: "/data", usedPct: data, freeBytes: 1 },
    ];
    const out = walk([disks(90, 50), disks(85, 80), disks(79, 75), disks(69, 69)], (d, p) => judgeHost(host, { ...hostBase, disks: d }, p));
    expect(out.map((r) => r.status)).toEqual(["critical", "critical", "warn", "ok"]);
    expect(out[1]!.summary).toMatch(/^disk \/ 85 % critical \(held, clears below 80 %\), disk \/data 80 % warn; /);
    expect(out[2]!.grades).toMatchObject({ "disk:/": "warn", "disk:/data": "warn" });
  });

  const logs = spec("logs") as Parameters<typeof judgeLogs>[0];

  it("log error ratio: 5 % warn clears below 2.5 %, 20 % critical below 10 %", () => {
    const out = walk([5, 3, 2, 20, 11, 9, 1], (errors, p) => judgeLogs(logs, { lines: 100, errors }, p));
    expect(out.map((r) => r.status)).toEqual(["warn", "warn", "ok", "critical", "critical", "warn", "ok"]);
    expect(out[1]!.summary).toBe("error ratio 3 % (held, clears below 2.5 %) (3 of 100 lines) over the last 5m");
  });

  it("log lines below the floor are not judged and keep the last judged status; the first run below it is ok", () => {
    const counts = [
      { lines: 5, errors: 5 }, // first run, below the floor: ok, not judged
      { lines: 40, errors: 10 }, // 25 %: critical
      { lines: 3, errors: 0 }, // a quiet minute: keeps critical
      { lines: 0, errors: 0 }, // still quiet
      { lines: 40, errors: 0 }, // judged again: 0 % clears
      { lines: 2, errors: 2 }, // below the floor: keeps ok
    ];
    const out = walk(counts, (c, p) => judgeLogs(logs, c, p));
    expect(out.map((r) => r.status)).toEqual(["ok", "critical", "critical", "critical", "ok", "ok"]);
    expect(out[0]!.summary).toBe("5 lines over the last 5m (fewer than 20: ratio not judged), 5 errors");
    expect(out[2]!.summary).toBe(
      "3 lines over the last 5m (fewer than 20: ratio not judged; keeps critical from the last judged run), 0 errors",
    );
    expect(out.map((r) => (r as { metrics?: Record<string, number | undefined> }).metrics!.judged)).toEqual([0, 1, 0, 0, 1, 0]);
  });
});

describe("config: clear values", () => {
  function issues(checks: unknown[]): string[] {
    try {
      parseConfig({ agent: { id: "x" }, checks });
    } catch (e) {
      if (e instanceof ConfigError) return e.issues;
      throw e;
    }
    return [];
  }

  it("fills in every set trigger's clear value (what validate --json shows), overrides taken as given", () => {
    const [pg, host, logs] = parseConfig({
      agent: { id: "x" },
      checks: [
        { kind: "postgres", url: "postgres://db/app", connectionsCriticalPct: 90, clear: { longQueryWarn: "20s" } },
        { kind: "host", hysteresis: false, clear: { diskCriticalPct: 85 } },
        { kind: "logs", file: "/x" },
      ],
    }).checks;
    expect((pg as { clear: object }).clear).toEqual({
      latencyWarn: 800,
      connectionsWarnPct: 70,
      connectionsCriticalPct: 80,
      longQueryWarn: 20_000,
      longQueryCritical: 240_000,
      transactionWarn: 240_000,
      transactionCritical: 1_440_000,
      replicationLagWarn: 24_000,
      replicationLagCritical: 240_000,
    });
    // hysteresis: false: every clear value equals its trigger, except one given explicitly. Unset triggers have none.
    expect((host as { clear: object }).clear).toEqual({ cpuWarnPct: 80, memoryCriticalPct: 85, diskWarnPct: 80, diskCriticalPct: 85 });
    expect((logs as { clear: object }).clear).toEqual({ warnPct: 2.5, criticalPct: 10 });
  });

  it("a clear value of the wrong unit or for an unknown threshold is an error naming its path", () => {
    expect(
      issues([
        { kind: "redis", clear: { memoryWarnPct: "70" } },
        { kind: "logs", file: "/x", clear: { minLines: 3 } },
        { kind: "host", clear: { diskWarnPct: 101 } },
      ]),
    ).toEqual([
      "checks[0].clear.memoryWarnPct: Invalid input: expected number, received string",
      'checks[1].clear: Unrecognized key: "minLines"',
      "checks[2].clear.diskWarnPct: Too big: expected number to be <=100",
    ]);
  });

  it("a clear value above its trigger, or without a trigger, is an error naming its path", () => {
    expect(
      issues([
        { kind: "postgres", url: "postgres://db/app", clear: { connectionsWarnPct: 85, longQueryCritical: "10m" } },
        { kind: "host", clear: { cpuCriticalPct: 90 } },
        { kind: "redis", evictedWarn: 10, clear: { evictedWarn: 11, memoryCriticalPct: 95 } },
      ]),
    ).toEqual([
      "checks[0].clear.connectionsWarnPct: must be at or below its trigger connectionsWarnPct (80), got 85",
      "checks[0].clear.longQueryCritical: must be at or below its trigger longQueryCritical (5m), got 10m",
      "checks[1].clear.cpuCriticalPct: cpuCriticalPct is not set: set it too, or remove this clear value",
      "checks[2].clear.evictedWarn: must be at or below its trigger evictedWarn (10), got 11",
    ]);
  });
});
