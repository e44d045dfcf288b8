/**
 * Hysteresis on a real PostgreSQL server (a throw-away cluster, test/agent/pg-cluster.ts, with
 * max_connections = 20 so that no other user's sessions move the count): `pg` clients held and
 * released so that the connections in use walk back and forth across the warn (50 %, clears
 * below 40 %) and critical (75 %, clears below 65 %) lines, the agent's check run on each step
 * with its memory kept, as in the agent's loop. The same walk without hysteresis flips.
 */
import type pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { parseConfig } from "../../agent/config";
import { type CycleMemory, closeMemory, runChecks } from "../../agent/cycle";
import { DockerClient } from "../../agent/docker-api";
import { PgCluster, pgClusterUnavailable } from "./pg-cluster";
import { describeWith } from "./services";

const describeCluster = describeWith("PostgreSQL test clusters (initdb)", await pgClusterUnavailable());
const MAX = 20;

describeCluster("postgres connections across the lines, back and forth (hysteresis)", () => {
  let cluster: PgCluster;
  const held: pg.Client[] = [];
  const docker = new DockerClient({ socketPath: "/nonexistent" });

  beforeAll(async () => {
    cluster = await PgCluster.create({ settings: { max_connections: MAX, superuser_reserved_connections: 1 } });
  }, 120_000);
  afterAll(async () => {
    await Promise.all(held.splice(0).map((c) => c.end().catch(() => undefined)));
    await docker.close();
    await cluster?.destroy();
  });

  /**
   * Holds clients so that `total` client backends exist with the check's own connection (kept
   * between runs; made by the first run, so not there yet when `checkConnected` is false).
   */
  async function holdTotal(total: number, checkConnected: boolean): Promise<void> {
    const want = total - 1;
    while (held.length < want) held.push(await cluster.client());
    while (held.length > want) await held.pop()!.end();
    // A closed session's backend leaves pg_stat_activity a moment after the client: wait for it (+1: this query's own).
    const expected = want + (checkConnected ? 1 : 0) + 1;
    await cluster.waitFor(
      `${expected} client backends`,
      async (c) =>
        (await c.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'client backend'")).rows[0].n === expected,
    );
  }

  async function walk(spec: Record<string, unknown>, totals: number[]): Promise<{ total: number; status: string; summary: string }[]> {
    const config = parseConfig({
      agent: { id: "pg-hysteresis" },
      checks: [{ kind: "postgres", url: cluster.url(), connectionsWarnPct: 50, connectionsCriticalPct: 75, ...spec }],
    });
    const memory: CycleMemory = new Map();
    const out: { total: number; status: string; summary: string }[] = [];
    try {
      for (const total of totals) {
        await holdTotal(total, memory.size > 0);
        const [r] = await runChecks(config.checks, docker, memory);
        expect(r!.result.metrics).toMatchObject({ connections: total, maxConnections: MAX }); // the check sees exactly the held sessions and its own
        out.push({ total, status: r!.result.status, summary: r!.result.summary });
      }
    } finally {
      closeMemory(memory);
    }
    return out;
  }

  it("a raised status holds until the connections drop below its clear value", async () => {
    //              25 %  50 %   45 %   40 %   35 %  45 %  50 %   75 %        70 %        65 %        60 %   45 %   35 %
    const totals = [5, 10, 9, 8, 7, 9, 10, 15, 14, 13, 12, 9, 7];
    const out = await walk({}, totals);
    expect(out.map((o) => `${o.total}:${o.status}`)).toEqual([
      "5:ok",
      "10:warn", // at the warn trigger
      "9:warn", // held: above its clear value (40 %)
      "8:warn", // held: at its clear value
      "7:ok", // below it: cleared
      "9:ok", // not raised again until the trigger
      "10:warn",
      "15:critical", // at the critical trigger
      "14:critical", // held above 65 %
      "13:critical", // held at 65 %
      "12:warn", // below the critical clear value, above the warn one
      "9:warn",
      "7:ok",
    ]);
    expect(out[2]!.summary).toMatch(/^conn warn \(held, clears below 40 %\): SELECT 1 in .*; 9\/20 connections \(45 %\)/);
    expect(out[8]!.summary).toMatch(/^conn critical \(held, clears below 65 %\): /);
  }, 120_000);

  it("without hysteresis the same hovering flips every cycle; explicit clear values move the lines", async () => {
    const flips = await walk({ hysteresis: false }, [10, 9, 10, 9]);
    expect(flips.map((o) => o.status)).toEqual(["warn", "ok", "warn", "ok"]);
    const tight = await walk({ clear: { connectionsWarnPct: 45 } }, [10, 9, 8]);
    expect(tight.map((o) => o.status)).toEqual(["warn", "warn", "ok"]);
  }, 120_000);
});
