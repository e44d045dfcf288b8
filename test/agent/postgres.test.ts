/**
 * The PostgreSQL check against the machine's real server: connections held until near
 * max_connections (warn, then critical), a long transaction and a long query named by pid,
 * pg_stat_statements when present, an unreachable server.
 */
import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { parseConfig } from "../../agent/config";
import { judgePostgres } from "../../agent/checks/postgres";
import { closeMemory, runChecks } from "../../agent/cycle";
import { DockerClient } from "../../agent/docker-api";
import { quietPrimary } from "./postgres-observation";
import { PG_URL, describeWith, tcpReachable } from "./services";

const u = new URL(PG_URL);
const reachable = await tcpReachable(u.hostname, Number(u.port || 5432));
const describePg = describeWith("PostgreSQL", reachable ? "" : `nothing listens on ${u.host}`);

async function check(spec: Record<string, unknown>, memory = new Map(), keep = false) {
  const config = parseConfig({ agent: { id: "pg-test" }, checks: [{ kind: "postgres", url: PG_URL, ...spec }] });
  const docker = new DockerClient({ socketPath: "/nonexistent" });
  const [r] = await runChecks(config.checks, docker, memory);
  if (!keep) closeMemory(memory); // ends the connection the check keeps between runs
  await docker.close();
  return r!.result;
}

async function client(url = PG_URL): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url, application_name: "vigil-agent-test" });
  c.on("error", () => undefined);
  await c.connect();
  return c;
}

describePg("postgres check on the real server", () => {
  let admin: pg.Client;
  let maxConnections = 0;
  beforeAll(async () => {
    admin = await client();
    maxConnections = Number((await admin.query("SHOW max_connections")).rows[0].max_connections);
  });
  afterAll(async () => {
    await admin.end();
  });

  async function inUse(): Promise<number> {
    const r = await admin.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'client backend'");
    return r.rows[0].n as number;
  }

  it("is ok on a quiet server and reports the pg_isready moment and connections", async () => {
    const r = await check({});
    expect(r.status).toBe("ok");
    expect(r.metrics).toMatchObject({ up: 1, maxConnections, replica: 0 });
    expect(r.metrics!.latencyMs).toBeGreaterThan(0);
    expect(r.summary).toMatch(/SELECT 1 in .* ms; \d+\/\d+ connections/);
  });

  it("warns, then goes critical, as held connections approach max_connections (runbook defaults 80 % / 95 %)", async () => {
    const held: pg.Client[] = [];
    try {
      // The check's own connection counts too: hold one fewer than the target.
      const fill = async (targetPct: number) => {
        const want = Math.ceil((maxConnections * targetPct) / 100) - 1 - (await inUse());
        const opened = await Promise.all(Array.from({ length: Math.max(0, want) }, () => client()));
        held.push(...opened);
      };
      await fill(82);
      const warn = await check({});
      expect(warn.status).toBe("warn");
      expect(warn.summary).toMatch(/^conn warn: /);
      expect(warn.metrics!.connectionsPct).toBeGreaterThanOrEqual(80);
      await fill(96);
      const critical = await check({});
      expect(critical.status).toBe("critical");
      expect(critical.metrics!.connectionsPct).toBeGreaterThanOrEqual(95);
    } finally {
      await Promise.all(held.map((c) => c.end().catch(() => undefined)));
    }
    expect((await check({})).status).toBe("ok");
  }, 60_000);

  it("names the oldest open transaction and the longest running query", async () => {
    const tx = await client();
    const slow = await client();
    try {
      await tx.query("BEGIN");
      await tx.query("SELECT txid_current()"); // the transaction now holds an xid: idle in transaction
      const slowPid = (await slow.query("SELECT pg_backend_pid() AS pid")).rows[0].pid as number;
      const sleeping = slow.query("SELECT pg_sleep(4)").catch(() => undefined);
      await new Promise((r) => setTimeout(r, 1500));
      const r = await check({ transactionWarn: "1s", transactionCritical: "1h", longQueryWarn: "1s", longQueryCritical: "1h" });
      expect(r.status).toBe("warn");
      expect(r.summary).toMatch(/query warn, xact warn/);
      expect(r.summary).toContain(`longest query`);
      expect(r.summary).toContain(`longest query 1.`);
      expect(r.summary).toMatch(new RegExp(`longest query [^;]*\\(pid ${slowPid}\\)`));
      expect(r.metrics!.oldestTransactionSeconds).toBeGreaterThanOrEqual(1.4);
      expect(r.metrics!.longestQuerySeconds).toBeGreaterThanOrEqual(1.4);
      const crit = await check({ transactionWarn: "100ms", transactionCritical: "1s" });
      expect(crit.status).toBe("critical");
      await sleeping;
    } finally {
      await tx.query("ROLLBACK").catch(() => undefined);
      await Promise.all([tx.end(), slow.end()]);
    }
  }, 30_000);

  it("copes with pg_stat_statements installed but not preloaded, and lists the slowest when it is", async () => {
    const preload = String((await admin.query("SHOW shared_preload_libraries")).rows[0].shared_preload_libraries);
    const db = `vigil_agent_pss_${process.pid}`;
    await admin.query(`DROP DATABASE IF EXISTS ${db}`);
    await admin.query(`CREATE DATABASE ${db}`);
    try {
      const url = new URL(PG_URL);
      url.pathname = `/${db}`;
      const c = await client(url.href);
      await c.query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
      await c.end();
      const r = await check({ url: url.href });
      expect(r.status).toBe("ok");
      if (preload.includes("pg_stat_statements")) expect(r.metrics!.slowestMeanMs).toBeGreaterThan(0);
      else expect(r.metrics!.slowestMeanMs).toBeUndefined();
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    }
  });

  it("keeps its connection between runs and makes a new one when the server ends it", async () => {
    const memory = new Map();
    try {
      const first = await check({}, memory, true);
      expect(first.metrics!.connectMs).toBeGreaterThan(0);
      // The server process serving the check's connection (memory: check id → that check's memory).
      const pid = () => ([...memory.values()][0].get("conn") as { client: { processID: number } }).client.processID;
      const agentPid = pid();
      const second = await check({}, memory, true);
      expect(second.status).toBe("ok");
      expect(second.metrics!.connectMs).toBeUndefined(); // the same connection
      expect(pid()).toBe(agentPid);
      await admin.query("SELECT pg_terminate_backend($1)", [agentPid]);
      const third = await check({}, memory, true);
      expect(third.status).toBe("ok");
      expect(third.metrics!.connectMs).toBeGreaterThan(0);
      expect(pid()).not.toBe(agentPid);
    } finally {
      closeMemory(memory);
    }
  });

  it("an unreachable server is critical", async () => {
    const r = await check({ url: "postgres://postgres@127.0.0.1:1/test", timeout: "2s" });
    expect(r.status).toBe("critical");
    expect(r.summary).toMatch(/^cannot query PostgreSQL: .*ECONNREFUSED/);
    expect(r.metrics).toEqual({ up: 0 });
  });
});

// Against a real streaming replica: test/agent/postgres-replica.test.ts (throw-away clusters).
it("judges replication lag on a replica (pure judgement)", () => {
  const spec = parseConfig({ agent: { id: "x" }, checks: [{ kind: "postgres", url: PG_URL }] }).checks[0] as Parameters<
    typeof judgePostgres
  >[0];
  expect(judgePostgres(spec, { ...quietPrimary, replica: true, replicationLagSeconds: 5 }).status).toBe("ok");
  expect(judgePostgres(spec, { ...quietPrimary, replica: true, replicationLagSeconds: 45 }).status).toBe("warn");
  expect(judgePostgres(spec, { ...quietPrimary, replica: true, replicationLagSeconds: 400 }).status).toBe("critical");
  expect(judgePostgres(spec, { ...quietPrimary, replica: true, replicationLagSeconds: null }).status).toBe("unknown");
  // Cut off from the primary: nothing new to replay reads as no lag, so the stream itself is judged.
  const cut = judgePostgres(spec, { ...quietPrimary, replica: true, replicationLagSeconds: 0, walReceiver: null });
  expect(cut.status).toBe("warn");
  expect(cut.summary).toMatch(/^stream warn: .*not streaming from the primary \(WAL receiver not running\)/);
  // A role that may not see the WAL receiver's status is not told it is cut off.
  expect(judgePostgres(spec, { ...quietPrimary, replica: true, replicationLagSeconds: 0, walReceiver: undefined }).status).toBe("ok");
  // On a primary the receiver is irrelevant.
  expect(judgePostgres(spec, { ...quietPrimary, replica: false, replicationLagSeconds: null, walReceiver: null }).status).toBe("ok");
});
