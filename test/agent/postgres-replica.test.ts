/**
 * The PostgreSQL check against throw-away clusters (test/agent/pg-cluster.ts), never the
 * machine's own server: a primary with pg_stat_statements preloaded and a streaming replica
 * made by `pg_basebackup -R`. Replication lag is made visible by pausing replay on the replica
 * while the primary writes; the slowest statements by a deliberately slow `pg_sleep`.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { parseConfig } from "../../agent/config";
import { closeMemory, runChecks } from "../../agent/cycle";
import { DockerClient } from "../../agent/docker-api";
import { PgCluster, pgClusterUnavailable } from "./pg-cluster";
import { describeWith } from "./services";

const describeClusters = describeWith("PostgreSQL test clusters (initdb)", await pgClusterUnavailable());

async function check(url: string, spec: Record<string, unknown> = {}) {
  const config = parseConfig({ agent: { id: "pg-replica-test" }, checks: [{ kind: "postgres", url, ...spec }] });
  const docker = new DockerClient({ socketPath: "/nonexistent" });
  try {
    const memory = new Map();
    const [r] = await runChecks(config.checks, docker, memory);
    closeMemory(memory); // ends the connection the check keeps between runs
    return r!.result;
  } finally {
    await docker.close();
  }
}

describeClusters("postgres check on a primary and its streaming replica", () => {
  let primary: PgCluster;
  let replica: PgCluster;

  beforeAll(async () => {
    primary = await PgCluster.create({
      settings: { shared_preload_libraries: "pg_stat_statements", wal_level: "replica", "pg_stat_statements.track": "top" },
    });
    await primary.query("CREATE EXTENSION pg_stat_statements");
    await primary.query("CREATE DATABASE app");
    const app = await primary.client("app");
    await app.query("CREATE EXTENSION pg_stat_statements");
    await app.end();
    await primary.query("CREATE TABLE ticks (id serial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())");
    await primary.query("INSERT INTO ticks DEFAULT VALUES");
    replica = await primary.replica();
    await caughtUp();
  }, 120_000);

  afterAll(async () => {
    await replica?.destroy();
    await primary?.destroy();
  });

  /** Waits until the replica has replayed everything the primary has written so far. */
  async function caughtUp(): Promise<void> {
    const lsn = (await primary.query<{ lsn: string }>("SELECT pg_current_wal_lsn()::text AS lsn"))[0]!.lsn;
    await replica.waitFor(
      "the replica to replay up to the primary",
      async (c) => (await c.query("SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS ok", [lsn])).rows[0].ok === true,
    );
  }

  it("the primary is not a replica and the replica is one, streaming, caught up", async () => {
    const p = await check(primary.url());
    expect(p.status).toBe("ok");
    expect(p.metrics).toMatchObject({ up: 1, replica: 0 });
    expect(p.metrics!.replicationLagSeconds).toBeUndefined();
    const r = await check(replica.url());
    expect(r.status).toBe("ok");
    expect(r.metrics).toMatchObject({ up: 1, replica: 1, replicationLagSeconds: 0, replayBehindBytes: 0, replayPaused: 0, streaming: 1 });
    expect(r.summary).toMatch(/replica lag 0ms(;|$)/);
  });

  it("an idle primary is not lag: a caught-up replica stays ok however long ago the last write was", async () => {
    await caughtUp();
    await new Promise((r) => setTimeout(r, 2200));
    const r = await check(replica.url(), { replicationLagWarn: "1s", replicationLagCritical: "2s" });
    expect(r.status).toBe("ok");
    expect(r.metrics!.replicationLagSeconds).toBe(0);
  });

  it("reports replication lag while replay is paused and the primary writes: warn, then critical", async () => {
    // A transaction the replica replays first: its commit time is what the lag is measured from.
    await primary.query("INSERT INTO ticks DEFAULT VALUES");
    await caughtUp();
    await replica.query("SELECT pg_wal_replay_pause()");
    try {
      await replica.waitFor(
        "replay to pause",
        async (c) => (await c.query("SELECT pg_get_wal_replay_pause_state() AS s")).rows[0].s === "paused",
      );
      await primary.query("INSERT INTO ticks SELECT FROM generate_series(1, 1000)");
      const lsn = (await primary.query<{ lsn: string }>("SELECT pg_current_wal_lsn()::text AS lsn"))[0]!.lsn;
      await replica.waitFor(
        "the replica to receive the new WAL",
        async (c) => (await c.query("SELECT pg_last_wal_receive_lsn() >= $1::pg_lsn AS ok", [lsn])).rows[0].ok === true,
      );
      await new Promise((r) => setTimeout(r, 1500));

      const byDefault = await check(replica.url()); // runbook: 30 s warn, 5 min critical
      expect(byDefault.status).toBe("ok");
      expect(byDefault.metrics!.replicationLagSeconds).toBeGreaterThan(1);
      expect(byDefault.metrics!.replayBehindBytes).toBeGreaterThan(0);
      expect(byDefault.metrics).toMatchObject({ replayPaused: 1, streaming: 1 });
      expect(byDefault.summary).toMatch(/replica lag [\d.]+s \([\d.]+ [kM]?B of WAL not replayed, replay paused\)/);

      const warn = await check(replica.url(), { replicationLagWarn: "1s", replicationLagCritical: "1h" });
      expect(warn.status).toBe("warn");
      expect(warn.summary).toMatch(/^lag warn: /);

      const critical = await check(replica.url(), { replicationLagWarn: "500ms", replicationLagCritical: "1s" });
      expect(critical.status).toBe("critical");
      expect(critical.summary).toMatch(/^lag critical: /);
    } finally {
      await replica.query("SELECT pg_wal_replay_resume()");
    }
    await caughtUp();
    const after = await check(replica.url(), { replicationLagWarn: "1s", replicationLagCritical: "1h" });
    expect(after.status).toBe("ok");
    expect(after.metrics).toMatchObject({ replicationLagSeconds: 0, replayBehindBytes: 0, replayPaused: 0 });
  });

  it("lists the slowest statements by mean time, a deliberately slow one first", async () => {
    await primary.query("SELECT pg_stat_statements_reset()");
    const c = await primary.client();
    try {
      for (let i = 0; i < 3; i++) await c.query("SELECT pg_sleep(0.2)");
      for (let i = 0; i < 5; i++) await c.query("SELECT count(*) FROM ticks");
    } finally {
      await c.end();
    }
    const r = await check(primary.url());
    expect(r.status).toBe("ok");
    expect(r.metrics!.slowestMeanMs).toBeGreaterThanOrEqual(200);
    expect(r.metrics!.slowestMeanMs).toBeLessThan(1000);
    expect(r.metrics!.slowestCalls).toBe(3);
    expect(r.summary).toMatch(/; slowest: 2\d\d(\.\d)? ms × 3 "SELECT pg_sleep\(\$1\)", /);
    expect(r.summary).toContain('"SELECT count(*) FROM ticks"');
    // The agent's own statements are not the application's slow ones.
    expect(r.summary).not.toMatch(/max_conn|pg_stat_statements s|vigil-agent/);
    const one = await check(primary.url(), { slowStatements: 1 });
    expect(one.summary).toMatch(/; slowest: 2\d\d(\.\d)? ms × 3 "SELECT pg_sleep\(\$1\)"$/);
    const none = await check(primary.url(), { slowStatements: 0 });
    expect(none.summary).not.toMatch(/slowest/);
    expect(none.metrics!.slowestMeanMs).toBeUndefined();
    // pg_stat_statements is cluster-wide: a statement of another database is named with it.
    const fromApp = await check(primary.url("app"), { slowStatements: 1 });
    expect(fromApp.summary).toMatch(/; slowest: 2\d\d(\.\d)? ms × 3 "SELECT pg_sleep\(\$1\)" in postgres$/);
  });

  it("a monitoring role without pg_monitor is told it sees only its own sessions; with it, everything", async () => {
    await primary.query("CREATE ROLE vigil_monitor LOGIN");
    const url = (c: PgCluster) => c.url().replace("postgres@", "vigil_monitor@");
    const bare = await check(url(primary));
    expect(bare.summary).toContain("sees only its own sessions and statements (grant pg_monitor)");
    expect(bare.summary).toContain('"<insufficient privilege>"');
    await caughtUp();
    const bareReplica = await check(url(replica));
    expect(bareReplica.status).toBe("ok"); // the WAL receiver's status is hidden from it: no false "not streaming"
    expect(bareReplica.metrics!.streaming).toBeUndefined();
    await primary.query("GRANT pg_monitor TO vigil_monitor");
    await caughtUp();
    const granted = await check(url(primary));
    expect(granted.summary).not.toContain("grant pg_monitor");
    expect(granted.summary).toMatch(/slowest: 2\d\d(\.\d)? ms × 3 "SELECT pg_sleep\(\$1\)"/);
    const grantedReplica = await check(url(replica));
    expect(grantedReplica.metrics).toMatchObject({ replica: 1, streaming: 1 });
  });

  it("a replica cut off from its primary says it is not streaming (warn)", async () => {
    await primary.stop("fast");
    try {
      await replica.waitFor(
        "the WAL receiver to stop streaming",
        async (c) => (await c.query("SELECT count(*)::int AS n FROM pg_stat_wal_receiver WHERE status = 'streaming'")).rows[0].n === 0,
      );
      const r = await check(replica.url());
      expect(r.status).toBe("warn");
      expect(r.summary).toMatch(/^stream warn: .*not streaming from the primary \(WAL receiver [a-z ]+\)/);
      expect(r.metrics).toMatchObject({ replica: 1, streaming: 0 });
    } finally {
      await primary.start();
    }
  });
});
