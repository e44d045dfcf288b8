/**
 * An AgentObject's own SQLite: its tables and their row mapping, in one place.
 *
 * - `meta`: the ledger (one row, src/engine/report-acceptance.ts).
 * - `checks`: the latest report of each check.
 * - `reports`: recent reports (history; also what makes an older seq a duplicate).
 * - `disk_days`: the day's disk use per mount (src/engine/disk-days.ts).
 * - `location_results`: the latest result of each monitor this agent runs as a location.
 */
import type { ProbeResult } from "../contract/probe";
import type { AgentReport, LocationProbe } from "../contract/report";
import type { DiskDay, DiskFold } from "../engine/disk-days";
import type { AgentLedger } from "../engine/report-acceptance";

/** Reports kept in the object's history. */
const HISTORY_LIMIT = 500;
/** History is pruned once per this many inserts. */
const PRUNE_EVERY = 50;

interface MetaRow {
  agent_id: string | null;
  last_seq: number | null;
  last_seen: number | null;
  interval_s: number | null;
  grace_ms: number | null;
  deadline: number | null;
  silent_since: number | null;
  marked_down_at: number | null;
  hostname: string | null;
  version: string | null;
  synced_at: number | null;
  [k: string]: SqlStorageValue;
}

interface CheckRow {
  check_id: string;
  kind: string;
  status: string;
  summary: string;
  observed_at: number;
  seq: number;
  [k: string]: SqlStorageValue;
}

interface ReportRow {
  seq: number;
  received_at: number;
  sent_at: number;
  late: number;
  checks: string;
  remediations: number;
  [k: string]: SqlStorageValue;
}

interface DiskRow {
  mount: string;
  day: string;
  max_pct: number;
  last_pct: number;
  dirty: number;
  synced_at: number | null;
  [k: string]: SqlStorageValue;
}

export interface StoredCheck {
  id: string;
  kind: string;
  status: string;
  summary: string;
  observedAt: number;
  seq: number;
}

export interface StoredReport {
  seq: number;
  receivedAt: number;
  sentAt: number;
  late: boolean;
  checks: { id: string; status: string }[];
  remediations: number;
}

const toLedger = (r: MetaRow): AgentLedger => ({
  agentId: r.agent_id,
  lastSeq: r.last_seq,
  lastSeen: r.last_seen,
  intervalS: r.interval_s,
  graceMs: r.grace_ms,
  deadline: r.deadline,
  silentSince: r.silent_since,
  markedDownAt: r.marked_down_at,
  hostname: r.hostname,
  version: r.version,
  syncedAt: r.synced_at,
});

const toDiskDay = (r: DiskRow): DiskDay => ({
  mount: r.mount,
  day: r.day,
  maxPct: r.max_pct,
  lastPct: r.last_pct,
  dirty: r.dirty === 1,
  syncedAt: r.synced_at,
});

/** The tables of one AgentObject (created on construction) and their reads and writes. */
export class AgentStorage {
  private insertsSincePrune = 0;

  constructor(private readonly sql: SqlStorage) {
    sql.exec(`
      CREATE TABLE IF NOT EXISTS meta (
        id INTEGER PRIMARY KEY CHECK (id = 1), agent_id TEXT, last_seq INTEGER, last_seen INTEGER,
        interval_s INTEGER, grace_ms INTEGER, deadline INTEGER, silent_since INTEGER, marked_down_at INTEGER,
        hostname TEXT, version TEXT, synced_at INTEGER);
      INSERT OR IGNORE INTO meta (id) VALUES (1);
      CREATE TABLE IF NOT EXISTS checks (
        check_id TEXT PRIMARY KEY, kind TEXT NOT NULL, status TEXT NOT NULL, summary TEXT NOT NULL,
        observed_at INTEGER NOT NULL, seq INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS reports (
        seq INTEGER PRIMARY KEY, received_at INTEGER NOT NULL, sent_at INTEGER NOT NULL, late INTEGER NOT NULL,
        checks TEXT NOT NULL, remediations INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS disk_days (
        mount TEXT PRIMARY KEY, day TEXT NOT NULL, max_pct REAL NOT NULL, last_pct REAL NOT NULL,
        dirty INTEGER NOT NULL, synced_at INTEGER);
      CREATE TABLE IF NOT EXISTS location_results (
        monitor_id TEXT PRIMARY KEY, checked_at INTEGER NOT NULL, received_at INTEGER NOT NULL, result TEXT NOT NULL);
    `);
  }

  ledger(): AgentLedger {
    return toLedger(this.sql.exec<MetaRow>("SELECT * FROM meta WHERE id = 1").one());
  }

  saveLedger(m: AgentLedger): void {
    this.sql.exec(
      `UPDATE meta SET agent_id = ?, last_seq = ?, last_seen = ?, interval_s = ?, grace_ms = ?, deadline = ?, silent_since = ?,
         marked_down_at = ?, hostname = ?, version = ?, synced_at = ? WHERE id = 1`,
      m.agentId,
      m.lastSeq,
      m.lastSeen,
      m.intervalS,
      m.graceMs,
      m.deadline,
      m.silentSince,
      m.markedDownAt,
      m.hostname,
      m.version,
      m.syncedAt,
    );
  }

  /** Is `seq` in the report history? */
  hasReport(seq: number): boolean {
    return this.sql.exec("SELECT 1 FROM reports WHERE seq = ?", seq).toArray().length > 0;
  }

  /** Ids of the checks the agent has reported (short ids, as the agent names them). */
  checkIds(): string[] {
    return this.sql
      .exec<{ check_id: string }>("SELECT check_id FROM checks")
      .toArray()
      .map((r) => r.check_id);
  }

  checks(): StoredCheck[] {
    return this.sql
      .exec<CheckRow>("SELECT * FROM checks ORDER BY check_id")
      .toArray()
      .map((r) => ({ id: r.check_id, kind: r.kind, status: r.status, summary: r.summary, observedAt: r.observed_at, seq: r.seq }));
  }

  /** The latest state of each check of `report`. */
  saveChecks(report: AgentReport): void {
    // A few statements for all checks: 16 rows (96 bound parameters, under the 100 a
    // Durable Object's SQL statement takes) each.
    for (let i = 0; i < report.checks.length; i += 16) {
      const rows = report.checks.slice(i, i + 16);
      this.sql.exec(
        `INSERT INTO checks (check_id, kind, status, summary, observed_at, seq) VALUES ${rows.map(() => "(?, ?, ?, ?, ?, ?)").join(", ")}
         ON CONFLICT (check_id) DO UPDATE SET kind = excluded.kind, status = excluded.status, summary = excluded.summary,
           observed_at = excluded.observed_at, seq = excluded.seq`,
        ...rows.flatMap((c) => [c.id, c.kind, c.status, c.summary, Date.parse(c.observedAt), report.seq]),
      );
    }
  }

  /** Newest first. */
  history(limit: number): StoredReport[] {
    return this.sql
      .exec<ReportRow>("SELECT * FROM reports ORDER BY received_at DESC, seq DESC LIMIT ?", limit)
      .toArray()
      .map((r) => ({
        seq: r.seq,
        receivedAt: r.received_at,
        sentAt: r.sent_at,
        late: r.late === 1,
        checks: JSON.parse(r.checks),
        remediations: r.remediations,
      }));
  }

  /** Adds `report` to the history (received at `now`); keeps the newest HISTORY_LIMIT. */
  insertHistory(report: AgentReport, now: number, late: boolean): void {
    this.sql.exec(
      "INSERT INTO reports (seq, received_at, sent_at, late, checks, remediations) VALUES (?, ?, ?, ?, ?, ?)",
      report.seq,
      now,
      Date.parse(report.sentAt),
      late ? 1 : 0,
      JSON.stringify(report.checks.map((c) => ({ id: c.id, status: c.status }))),
      report.remediations.length,
    );
    if (++this.insertsSincePrune >= PRUNE_EVERY) {
      this.insertsSincePrune = 0;
      this.sql.exec(
        "DELETE FROM reports WHERE seq NOT IN (SELECT seq FROM reports ORDER BY received_at DESC, seq DESC LIMIT ?)",
        HISTORY_LIMIT,
      );
    }
  }

  /** Keeps each monitor's latest result: reports arrive here in `seq` order (late ones never do). */
  saveLocationResults(probes: readonly LocationProbe[], now: number): void {
    for (const p of probes) {
      this.sql.exec(
        `INSERT INTO location_results (monitor_id, checked_at, received_at, result) VALUES (?, ?, ?, ?)
         ON CONFLICT (monitor_id) DO UPDATE SET checked_at = excluded.checked_at, received_at = excluded.received_at,
           result = excluded.result`,
        p.monitor,
        Date.parse(p.result.checkedAt),
        now,
        JSON.stringify(p.result),
      );
    }
  }

  /** The monitor's latest result from this agent, if it ever sent one. */
  locationResult(monitorId: string): { checkedAt: number; receivedAt: number; result: ProbeResult } | null {
    const row = this.sql
      .exec<{ checked_at: number; received_at: number; result: string }>(
        "SELECT checked_at, received_at, result FROM location_results WHERE monitor_id = ?",
        monitorId,
      )
      .toArray()[0];
    return row ? { checkedAt: row.checked_at, receivedAt: row.received_at, result: JSON.parse(row.result) as ProbeResult } : null;
  }

  /** Every monitor's latest result from this agent, by monitor id. */
  locationResults(): { monitorId: string; checkedAt: number; receivedAt: number; result: ProbeResult }[] {
    return this.sql
      .exec<{ monitor_id: string; checked_at: number; received_at: number; result: string }>(
        "SELECT monitor_id, checked_at, received_at, result FROM location_results ORDER BY monitor_id",
      )
      .toArray()
      .map((r) => ({
        monitorId: r.monitor_id,
        checkedAt: r.checked_at,
        receivedAt: r.received_at,
        result: JSON.parse(r.result) as ProbeResult,
      }));
  }

  diskDays(): Map<string, DiskDay> {
    return new Map(
      this.sql
        .exec<DiskRow>("SELECT * FROM disk_days")
        .toArray()
        .map((r) => [r.mount, toDiskDay(r)]),
    );
  }

  saveDisk(fold: Pick<DiskFold, "save" | "drop">): void {
    for (const d of fold.save) {
      this.sql.exec(
        "INSERT OR REPLACE INTO disk_days (mount, day, max_pct, last_pct, dirty, synced_at) VALUES (?, ?, ?, ?, ?, ?)",
        d.mount,
        d.day,
        d.maxPct,
        d.lastPct,
        d.dirty ? 1 : 0,
        d.syncedAt,
      );
    }
    for (const mount of fold.drop) this.sql.exec("DELETE FROM disk_days WHERE mount = ?", mount);
  }
}
