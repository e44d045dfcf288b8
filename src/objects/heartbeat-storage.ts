/**
 * A HeartbeatObject's own SQLite: its tables and their row mapping, in one place.
 *
 * - `job`: the job's state (one row, src/engine/ping.ts).
 * - `pings`: recent pings (history).
 */
import type { JobState, PingKind } from "../engine/ping";

const HISTORY_LIMIT = 100;

interface JobRow {
  job_id: string | null;
  status: JobState["status"];
  last_ping_at: number | null;
  last_ping_kind: PingKind | null;
  last_exit_code: number | null;
  running_since: number | null;
  last_duration_ms: number | null;
  last_excerpt: string | null;
  excerpt_truncated: number;
  expected_at: number | null;
  late_at: number | null;
  down_reason: string | null;
  marked_down_at: number | null;
  [k: string]: SqlStorageValue;
}

interface PingRow {
  at: number;
  kind: PingKind;
  exit_code: number | null;
  duration_ms: number | null;
  [k: string]: SqlStorageValue;
}

export interface StoredPing {
  at: number;
  kind: PingKind;
  exitCode: number | null;
  durationMs: number | null;
}

const toJob = (r: JobRow): JobState => ({
  jobId: r.job_id,
  status: r.status,
  lastPingAt: r.last_ping_at,
  lastPingKind: r.last_ping_kind,
  lastExitCode: r.last_exit_code,
  runningSince: r.running_since,
  lastDurationMs: r.last_duration_ms,
  lastExcerpt: r.last_excerpt,
  excerptTruncated: r.excerpt_truncated === 1,
  expectedAt: r.expected_at,
  lateAt: r.late_at,
  downReason: r.down_reason,
  markedDownAt: r.marked_down_at,
});

/** The tables of one HeartbeatObject (created on construction) and their reads and writes. */
export class HeartbeatStorage {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`
      CREATE TABLE IF NOT EXISTS job (
        id INTEGER PRIMARY KEY CHECK (id = 1), job_id TEXT, status TEXT NOT NULL DEFAULT 'new',
        last_ping_at INTEGER, last_ping_kind TEXT, last_exit_code INTEGER, running_since INTEGER,
        last_duration_ms INTEGER, last_excerpt TEXT, excerpt_truncated INTEGER NOT NULL DEFAULT 0,
        expected_at INTEGER, late_at INTEGER, down_reason TEXT, marked_down_at INTEGER);
      INSERT OR IGNORE INTO job (id) VALUES (1);
      CREATE TABLE IF NOT EXISTS pings (
        id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, kind TEXT NOT NULL,
        exit_code INTEGER, duration_ms INTEGER);
    `);
  }

  job(): JobState {
    return toJob(this.sql.exec<JobRow>("SELECT * FROM job WHERE id = 1").one());
  }

  saveJob(s: JobState): void {
    this.sql.exec(
      `UPDATE job SET job_id = ?, status = ?, last_ping_at = ?, last_ping_kind = ?, last_exit_code = ?, running_since = ?,
         last_duration_ms = ?, last_excerpt = ?, excerpt_truncated = ?, expected_at = ?, late_at = ?, down_reason = ?,
         marked_down_at = ? WHERE id = 1`,
      s.jobId,
      s.status,
      s.lastPingAt,
      s.lastPingKind,
      s.lastExitCode,
      s.runningSince,
      s.lastDurationMs,
      s.lastExcerpt,
      s.excerptTruncated ? 1 : 0,
      s.expectedAt,
      s.lateAt,
      s.downReason,
      s.markedDownAt,
    );
  }

  /** Adds a ping to the history; keeps the newest HISTORY_LIMIT. */
  insertPing(p: StoredPing): void {
    this.sql.exec("INSERT INTO pings (at, kind, exit_code, duration_ms) VALUES (?, ?, ?, ?)", p.at, p.kind, p.exitCode, p.durationMs);
    this.sql.exec("DELETE FROM pings WHERE id <= (SELECT MAX(id) FROM pings) - ?", HISTORY_LIMIT);
  }

  /** Newest first. */
  history(limit: number): StoredPing[] {
    return this.sql
      .exec<PingRow>("SELECT * FROM pings ORDER BY id DESC LIMIT ?", limit)
      .toArray()
      .map((h) => ({ at: h.at, kind: h.kind, exitCode: h.exit_code, durationMs: h.duration_ms }));
  }
}
