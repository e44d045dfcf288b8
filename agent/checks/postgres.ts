/**
 * PostgreSQL through `pg`: connect + `SELECT 1` latency (the `pg_isready` moment), connections
 * in use vs `max_connections`, longest running query, oldest open transaction, replication lag
 * on a replica, and the slowest statements by mean time when `pg_stat_statements` is there.
 *
 * One connection is kept between runs and made anew every 5 minutes and after any failure:
 * a new connection costs ~5 ms of the agent's CPU per run, more than the rest of the check.
 * The latency is `SELECT 1` on it, connect time included when the run connected (then also
 * `connectMs`), so the `pg_isready` moment is still measured at least every 5 minutes, and
 * at once after a restart of the server. The agent holds one slot (and counts it).
 */
import type pg from "pg";
import { readSecret } from "../config-common";
import { formatDurationApprox as formatDuration } from "../../lib/duration";
import { errorText } from "../log";
import { type CheckContext, type CheckStatus, type Finding, round, worst } from "./check";
import { Grader, type Grades } from "./hysteresis";
import { monotonicMs } from "../time";
import { checkKind, hostPort, type CheckSpecOf } from "./kind";
import type { SchemaKit } from "./schema-kit";

/** The `postgres` check's config: `checks[]` entries with `kind: "postgres"`. */
const schema = (k: SchemaKit) =>
  k.z.strictObject({
    kind: k.z.literal("postgres"),
    ...k.common,
    /** `postgres://user@host:port/db`. A password belongs in `password`, not here. */
    url: k.z.string().regex(/^postgres(ql)?:\/\//, "expected a postgres:// URL"),
    password: k.secretRef.optional(),
    latencyWarn: k.duration.prefault("1s"),
    connectionsWarnPct: k.pct.default(80),
    connectionsCriticalPct: k.pct.default(95),
    longQueryWarn: k.duration.prefault("30s"),
    longQueryCritical: k.duration.prefault("5m"),
    transactionWarn: k.duration.prefault("5m"),
    transactionCritical: k.duration.prefault("30m"),
    replicationLagWarn: k.duration.prefault("30s"),
    replicationLagCritical: k.duration.prefault("5m"),
    /** How many of the slowest statements (by mean time) to name when pg_stat_statements is installed. Default 3. */
    slowStatements: k.z.int().min(0).max(20).default(3),
    ...k.graded("postgres"),
  });

type PostgresSpec = CheckSpecOf<typeof schema>;

export interface PostgresObservation {
  latencyMs: number;
  maxConnections: number;
  connections: number;
  activeConnections: number;
  longestQuerySeconds: number;
  longestQueryPid: number | null;
  oldestTransactionSeconds: number;
  oldestTransactionPid: number | null;
  replica: boolean;
  /**
   * Seconds since the last replayed transaction committed on the primary, or 0 when every
   * byte of WAL received has been replayed (an idle primary is not lag); null when it is behind
   * but has replayed no transaction since it started (no commit time to measure from).
   */
  replicationLagSeconds: number | null;
  /** WAL received but not yet replayed (bytes). */
  replayBehindBytes?: number | null;
  /** `pg_wal_replay_pause()` is in effect. */
  replayPaused?: boolean;
  /** The WAL receiver's status (`streaming`, `waiting`, …), null when none runs, undefined when not visible. */
  walReceiver?: string | null;
  /** The role sees every session and statement (superuser or pg_read_all_stats, e.g. through pg_monitor). */
  seesAllStats?: boolean;
  slowest: { query: string; meanMs: number; calls: number; database?: string | null }[] | null;
}

/** Marks the agent's own statements, so that pg_stat_statements' list leaves them out. */
const OWN = "/* vigil-agent */";

const STATS_SQL = `${OWN}
SELECT current_setting('max_connections')::int AS max_conn,
  (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')::int AS in_use,
  (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND state = 'active')::int AS active,
  q.secs::float8 AS longest_query_s, q.pid AS longest_query_pid,
  x.secs::float8 AS oldest_xact_s, x.pid AS oldest_xact_pid,
  pg_is_in_recovery() AS replica,
  CASE WHEN NOT pg_is_in_recovery() THEN NULL
    WHEN pg_last_wal_receive_lsn() IS NOT NULL AND pg_last_wal_receive_lsn() <= pg_last_wal_replay_lsn() THEN 0
    ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp()) END::float8 AS replay_lag_s,
  CASE WHEN pg_is_in_recovery() THEN pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()) END::float8 AS replay_behind_bytes,
  CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused() END AS replay_paused,
  (SELECT count(*) FROM pg_stat_wal_receiver)::int AS receivers,
  (SELECT status FROM pg_stat_wal_receiver LIMIT 1) AS receiver_status,
  pg_has_role(current_user, 'pg_read_all_stats', 'USAGE') AS all_stats,
  EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements') AS has_pss
FROM (SELECT 1) one
LEFT JOIN LATERAL (SELECT extract(epoch FROM clock_timestamp() - query_start) AS secs, pid FROM pg_stat_activity
  WHERE state = 'active' AND pid <> pg_backend_pid() AND backend_type = 'client backend'
  ORDER BY query_start LIMIT 1) q ON true
LEFT JOIN LATERAL (SELECT extract(epoch FROM clock_timestamp() - xact_start) AS secs, pid FROM pg_stat_activity
  WHERE xact_start IS NOT NULL AND pid <> pg_backend_pid() AND backend_type = 'client backend'
  ORDER BY xact_start LIMIT 1) x ON true`;

/**
 * Pure judgement. `previous`: the grades of the last run (hysteresis, agent/checks/hysteresis.ts);
 * the finding's `grades` are the ones to keep for the next.
 */
export function judgePostgres(spec: PostgresSpec, o: PostgresObservation, previous: Grades = {}): Finding & { grades: Grades } {
  const connPct = o.maxConnections > 0 ? (o.connections / o.maxConnections) * 100 : 0;
  const g = new Grader("postgres", spec, previous);
  const s = {
    latency: g.grade("latency", o.latencyMs, "latencyWarn"),
    conn: g.grade("conn", connPct, "connectionsWarnPct", "connectionsCriticalPct"),
    query: g.grade("query", o.longestQuerySeconds * 1000, "longQueryWarn", "longQueryCritical"),
    xact: g.grade("xact", o.oldestTransactionSeconds * 1000, "transactionWarn", "transactionCritical"),
    lag: o.replica
      ? o.replicationLagSeconds === null
        ? ("unknown" as CheckStatus)
        : g.grade("lag", o.replicationLagSeconds * 1000, "replicationLagWarn", "replicationLagCritical")
      : ("ok" as CheckStatus),
    // A replica cut off from its primary replays nothing new, so its lag reads 0: say so.
    stream: o.replica && o.walReceiver !== undefined && o.walReceiver !== "streaming" ? ("warn" as CheckStatus) : ("ok" as CheckStatus),
  };
  const notes = [`SELECT 1 in ${round(o.latencyMs)} ms`, `${o.connections}/${o.maxConnections} connections (${round(connPct)} %)`];
  if (o.longestQueryPid !== null) notes.push(`longest query ${formatDuration(o.longestQuerySeconds * 1000)} (pid ${o.longestQueryPid})`);
  if (o.oldestTransactionPid !== null)
    notes.push(`oldest transaction ${formatDuration(o.oldestTransactionSeconds * 1000)} (pid ${o.oldestTransactionPid})`);
  if (o.replica) {
    const lag =
      o.replicationLagSeconds === null
        ? "replica, lag unknown (no transaction replayed since it started)"
        : `replica lag ${formatDuration(o.replicationLagSeconds * 1000)}`;
    const more: string[] = [];
    if (o.replayBehindBytes) more.push(`${formatBytes(o.replayBehindBytes)} of WAL not replayed`);
    if (o.replayPaused) more.push("replay paused");
    if (o.walReceiver !== undefined && o.walReceiver !== "streaming")
      more.push(`not streaming from the primary (WAL receiver ${o.walReceiver ?? "not running"})`);
    notes.push(more.length ? `${lag} (${more.join(", ")})` : lag);
  }
  if (o.seesAllStats === false) notes.push("sees only its own sessions and statements (grant pg_monitor)");
  if (o.slowest?.length) {
    const db = (q: { database?: string | null }) => (q.database ? ` in ${q.database}` : "");
    notes.push(`slowest: ${o.slowest.map((q) => `${round(q.meanMs)} ms × ${q.calls} "${q.query}"${db(q)}`).join(", ")}`);
  }
  // Problems first: the summary is what a human reads in the alert.
  const order = (Object.keys(s) as (keyof typeof s)[]).filter((k) => s[k] !== "ok");
  const flagged = order.length ? `${order.map((k) => g.label(k, s[k])).join(", ")}: ` : "";
  return {
    grades: g.grades,
    status: worst(...Object.values(s)),
    summary: (flagged + notes.join("; ")).slice(0, 1000),
    metrics: {
      up: 1,
      latencyMs: round(o.latencyMs, 2),
      connections: o.connections,
      activeConnections: o.activeConnections,
      maxConnections: o.maxConnections,
      connectionsPct: round(connPct),
      longestQuerySeconds: round(o.longestQuerySeconds, 2),
      oldestTransactionSeconds: round(o.oldestTransactionSeconds, 2),
      replica: o.replica ? 1 : 0,
      replicationLagSeconds: o.replicationLagSeconds === null ? undefined : round(o.replicationLagSeconds, 2),
      replayBehindBytes: o.replica && o.replayBehindBytes != null ? o.replayBehindBytes : undefined,
      replayPaused: o.replica && o.replayPaused !== undefined ? (o.replayPaused ? 1 : 0) : undefined,
      streaming: o.replica && o.walReceiver !== undefined ? (o.walReceiver === "streaming" ? 1 : 0) : undefined,
      slowestMeanMs: o.slowest?.[0] ? round(o.slowest[0].meanMs, 2) : undefined,
      slowestCalls: o.slowest?.[0] ? o.slowest[0].calls : undefined,
    },
  };
}

/** Age at which the kept connection is replaced by a new one. */
const RECONNECT_MS = 5 * 60_000;

interface Conn {
  client: pg.Client;
  /** `ctx.now()` when it connected. */
  since: number;
  broken: boolean;
  /** Called by the cycle when the agent stops. */
  close(): void;
}

export async function runPostgres(spec: PostgresSpec, ctx: CheckContext): Promise<Finding[]> {
  let conn = ctx.memory.get("conn") as Conn | undefined;
  const drop = (c: Conn | undefined) => {
    c?.close();
    if (c && ctx.memory.get("conn") === c) ctx.memory.delete("conn");
  };
  if (conn && (conn.broken || ctx.now() - conn.since >= RECONNECT_MS)) {
    drop(conn);
    conn = undefined;
  }
  const kept = conn !== undefined;
  const abort = () => drop(conn);
  ctx.signal.addEventListener("abort", abort, { once: true });
  const t0 = monotonicMs();
  let connectMs: number | undefined;
  try {
    if (!conn) {
      // Loaded on first use: a host without a postgres check never pays for the module.
      const { default: pgModule } = await import("pg");
      const client = new pgModule.Client({
        connectionString: spec.url,
        password: spec.password ? await readSecret(spec.password) : undefined,
        connectionTimeoutMillis: spec.timeout,
        query_timeout: spec.timeout,
        statement_timeout: spec.timeout,
        application_name: "vigil-agent",
      });
      const c: Conn = { client, since: ctx.now(), broken: false, close: () => void client.end().catch(() => undefined) };
      client.on("error", () => (c.broken = true)); // a server-side disconnect between runs must not crash the agent
      conn = c;
      await client.connect();
      connectMs = monotonicMs() - t0;
      ctx.memory.set("conn", c);
    }
    const client = conn.client;
    await client.query("SELECT 1");
    const latencyMs = monotonicMs() - t0;
    const r = (await client.query(STATS_SQL)).rows[0] as Record<string, unknown>;
    let slowest: PostgresObservation["slowest"] = null;
    if (r.has_pss && spec.slowStatements > 0) slowest = await slowStatements(client, spec.slowStatements);
    const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
    const { grades, ...finding } = judgePostgres(
      spec,
      {
        latencyMs,
        maxConnections: Number(r.max_conn),
        connections: Number(r.in_use),
        activeConnections: Number(r.active),
        longestQuerySeconds: num(r.longest_query_s) ?? 0,
        longestQueryPid: num(r.longest_query_pid),
        oldestTransactionSeconds: num(r.oldest_xact_s) ?? 0,
        oldestTransactionPid: num(r.oldest_xact_pid),
        replica: Boolean(r.replica),
        replicationLagSeconds: num(r.replay_lag_s),
        replayBehindBytes: num(r.replay_behind_bytes),
        replayPaused: r.replay_paused === null ? undefined : Boolean(r.replay_paused),
        // No receiver row: none runs. A row without a status: this role may not see it.
        walReceiver: Number(r.receivers) === 0 ? null : typeof r.receiver_status === "string" ? r.receiver_status : undefined,
        seesAllStats: Boolean(r.all_stats),
        slowest,
      },
      ctx.memory.get("grades") as Grades | undefined,
    );
    ctx.memory.set("grades", grades);
    if (connectMs !== undefined) finding.metrics = { ...finding.metrics, connectMs: round(connectMs, 2) };
    return [finding];
  } catch (err) {
    drop(conn);
    // A kept connection that failed is not yet a down server: ask once more on a new one.
    if (kept && !ctx.signal.aborted) {
      ctx.signal.removeEventListener("abort", abort);
      return runPostgres(spec, ctx);
    }
    return [{ status: "critical", summary: `cannot query PostgreSQL: ${errorText(err)}`.slice(0, 1000), metrics: { up: 0 } }];
  } finally {
    ctx.signal.removeEventListener("abort", abort);
  }
}

const formatBytes = (n: number): string =>
  n < 1024
    ? `${n} B`
    : n < 1024 ** 2
      ? `${round(n / 1024)} kB`
      : n < 1024 ** 3
        ? `${round(n / 1024 ** 2)} MB`
        : `${round(n / 1024 ** 3)} GB`;

/** `pg_stat_statements` may be installed but not preloaded; then it is silently skipped. */
async function slowStatements(client: pg.Client, limit: number): Promise<PostgresObservation["slowest"]> {
  for (const col of ["mean_exec_time", "mean_time"]) {
    try {
      const res = await client.query(
        `${OWN} SELECT left(regexp_replace(s.query, '\\s+', ' ', 'g'), 80) AS query, s.${col}::float8 AS mean_ms, s.calls::int8 AS calls,
           NULLIF(d.datname, current_database()) AS other_db
         FROM pg_stat_statements s LEFT JOIN pg_database d ON d.oid = s.dbid
         WHERE s.query NOT LIKE '${OWN}%'
         ORDER BY s.${col} DESC LIMIT $1`,
        [limit],
      );
      // Statements of every database are listed; those of another than the check's are named with it.
      return res.rows.map((row: { query: string; mean_ms: number; calls: string; other_db: string | null }) => ({
        query: row.query,
        meanMs: row.mean_ms,
        calls: Number(row.calls),
        database: row.other_db,
      }));
    } catch (err) {
      if ((err as { code?: string }).code !== "42703") return null; // 42703 undefined_column: PG < 13 names it mean_time
    }
  }
  return null;
}

export const postgres = checkKind({
  kind: "postgres",
  schema,
  run: runPostgres,
  defaultName: (spec) => hostPort(spec.url),
});
