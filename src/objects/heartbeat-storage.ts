/**
 * A HeartbeatObject's own SQLite: its tables and their row mapping, in one place.
 *
 * - `job`: the job's state (one row, src/engine/ping.ts).
 * - `pings`: recent pings (history).
 * - `runs`: recent finished runs (the run history, and what the envelope learns from).
 */
import type { PastRun } from "../engine/job-envelope";
import type { JobState, PingKind, RunRecord, RunViolation } from "../engine/ping";

const HISTORY_LIMIT = 100;
/** Finished runs kept: at least the most an envelope learns from (`learn.runs` ≤ 100). */
const RUNS_LIMIT = 100;

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
  last_run_started_at: number | null;
  run_expected_at: number | null;
  overrun_at: number | null;
  run_violations: string | null;
  [k: string]: SqlStorageValue;
}

interface RunRow {
  started_at: number;
  finished_at: number;
  duration_ms: number | null;
  start_delay_ms: number | null;
  outcome: RunRecord["outcome"];
  exit_code: number | null;
  reasons: string;
  down_reason: string | null;
  [k: string]: SqlStorageValue;
}

const toRun = (r: RunRow): RunRecord => ({
  startedAt: r.started_at,
  finishedAt: r.finished_at,
  durationMs: r.duration_ms,
  startDelayMs: r.start_delay_ms,
  outcome: r.outcome,
  exitCode: r.exit_code,
  reasons: r.reasons === "" ? [] : (r.reasons.split(",") as RunRecord["reasons"]),
  downReason: r.down_reason,
});

/** Columns added to `job` after it first shipped (an object created before has them added). */
const LATER_JOB_COLUMNS = ["last_run_started_at INTEGER", "run_expected_at INTEGER", "overrun_at INTEGER", "run_violations TEXT"];

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
  lastRunStartedAt: r.last_run_started_at ?? null,
  runExpectedAt: r.run_expected_at ?? null,
  overrunAt: r.overrun_at ?? null,
  runViolations: r.run_violations ? (JSON.parse(r.run_violations) as RunViolation[]) : [],
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
      CREATE TABLE IF NOT EXISTS runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT, started_at INTEGER NOT NULL, finished_at INTEGER NOT NULL,
        duration_ms INTEGER, start_delay_ms INTEGER, outcome TEXT NOT NULL, exit_code INTEGER,
        reasons TEXT NOT NULL DEFAULT '', down_reason TEXT);
    `);
    const have = new Set(
      sql
        .exec<{ name: string }>("SELECT name FROM pragma_table_info('job')")
        .toArray()
        .map((c) => c.name),
    );
    for (const column of LATER_JOB_COLUMNS) if (!have.has(column.split(" ")[0]!)) sql.exec(`ALTER TABLE job ADD COLUMN ${column}`);
  }

  job(): JobState {
    return toJob(this.sql.exec<JobRow>("SELECT * FROM job WHERE id = 1").one());
  }

  saveJob(s: JobState): void {
    this.sql.exec(
      `UPDATE job SET job_id = ?, status = ?, last_ping_at = ?, last_ping_kind = ?, last_exit_code = ?, running_since = ?,
         last_duration_ms = ?, last_excerpt = ?, excerpt_truncated = ?, expected_at = ?, late_at = ?, down_reason = ?,
         marked_down_at = ?, last_run_started_at = ?, run_expected_at = ?, overrun_at = ?, run_violations = ? WHERE id = 1`,
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
      s.lastRunStartedAt,
      s.runExpectedAt,
      s.overrunAt,
      s.runViolations.length > 0 ? JSON.stringify(s.runViolations) : null,
    );
  }

  /** Adds a finished run; keeps the newest RUNS_LIMIT. */
  insertRun(r: RunRecord): void {
    this.sql.exec(
      "INSERT INTO runs (started_at, finished_at, duration_ms, start_delay_ms, outcome, exit_code, reasons, down_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      r.startedAt,
      r.finishedAt,
      r.durationMs,
      r.startDelayMs,
      r.outcome,
      r.exitCode,
      r.reasons.join(","),
      r.downReason,
    );
    this.sql.exec("DELETE FROM runs WHERE id <= (SELECT MAX(id) FROM runs) - ?", RUNS_LIMIT);
  }

  /** Finished runs, newest first. */
  runs(limit: number): RunRecord[] {
    return this.sql.exec<RunRow>("SELECT * FROM runs ORDER BY id DESC LIMIT ?", limit).toArray().map(toRun);
  }

  /** The newest `limit` successful runs, oldest first, as the envelope learns from them. */
  pastRuns(limit: number): PastRun[] {
    if (limit <= 0) return [];
    return this.sql
      .exec<RunRow>("SELECT * FROM runs WHERE outcome = 'success' ORDER BY id DESC LIMIT ?", limit)
      .toArray()
      .reverse()
      .map((r) => ({ startedAt: r.started_at, durationMs: r.duration_ms, startDelayMs: r.start_delay_ms }));
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
