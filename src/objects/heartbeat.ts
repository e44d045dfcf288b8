/**
 * HeartbeatObject: one Durable Object per ping job (`idFromName(jobId)`), Healthchecks.io
 * semantics.
 *
 * - success (`/ping/:key`, `/ping/:key/0`): the job is up; the next ping is expected one
 *   period later, or at the next cron run after this ping; late = expected + grace.
 * - start (`/start`): the run's clock starts; if no success or failure arrives within the
 *   grace, the job is down. Run time is measured from the start to the next success/failure.
 * - fail (`/fail`, `/:exitCode` ≠ 0): down at once.
 * - log (`/log`): keeps the body excerpt, changes nothing else.
 * A job that has never pinged is "new" and is not expected yet (as in Healthchecks.io).
 * The alarm sits at the late time; when it fires the job's check `ping:<id>` goes down.
 */
import { DurableObject } from "cloudflare:workers";
import { ConfigError, type JobSpec, type VigilConfig } from "../config";
import { loadConfig } from "../config/load";
import { jobDeadline } from "../engine/deadline";
import type { MonitorState } from "../engine/evaluate";
import type { Env } from "../env";
import type { CheckRef } from "../incidents/record";
import { loadStates } from "../store/check-state";
import { observe, SerialQueue } from "./observe";

export const jobCheckId = (jobId: string) => `ping:${jobId}`;

/** Ping bodies keep this many bytes as the last log excerpt. */
export const PING_EXCERPT_BYTES = 10 * 1024;
const HISTORY_LIMIT = 100;

export type PingKind = "success" | "start" | "fail" | "log";

export interface Ping {
  kind: PingKind;
  /** For `/:exitCode` pings. */
  exitCode?: number;
  /** The first `PING_EXCERPT_BYTES` of the body, as text. */
  excerpt?: string;
  /** The body had more bytes than were kept. */
  truncated?: boolean;
}

export interface PingOutcome {
  status: JobView["status"];
  expectedAt: number | null;
  lateAt: number | null;
  durationMs: number | null;
}

export interface JobView {
  jobId: string | null;
  status: "new" | "up" | "down" | "started";
  lastPingAt: number | null;
  lastPingKind: PingKind | null;
  lastExitCode: number | null;
  runningSince: number | null;
  lastDurationMs: number | null;
  lastExcerpt: string | null;
  excerptTruncated: boolean;
  expectedAt: number | null;
  lateAt: number | null;
  downReason: string | null;
  markedDownAt: number | null;
  history: { at: number; kind: PingKind; exitCode: number | null; durationMs: number | null }[];
}

interface Row {
  job_id: string | null;
  status: JobView["status"];
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

export class HeartbeatObject extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly queue = new SerialQueue();
  private row: Row;
  private states: Map<string, MonitorState> | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`
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
    this.row = this.sql.exec<Row>("SELECT * FROM job WHERE id = 1").one();
  }

  ping(jobId: string, ping: Ping): Promise<PingOutcome> {
    return this.queue.run(() => this.apply(jobId, ping));
  }

  describe(historyLimit = 20): Promise<JobView> {
    return this.queue.run(async () => {
      const r = this.row;
      const history = this.sql
        .exec<{ at: number; kind: PingKind; exit_code: number | null; duration_ms: number | null }>("SELECT * FROM pings ORDER BY id DESC LIMIT ?", historyLimit)
        .toArray()
        .map((h) => ({ at: h.at, kind: h.kind, exitCode: h.exit_code, durationMs: h.duration_ms }));
      return {
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
        history,
      };
    });
  }

  override async alarm(): Promise<void> {
    await this.queue.run(() => this.lateFired());
  }

  private config(): VigilConfig {
    const config = loadConfig(this.env);
    if (config instanceof ConfigError) throw config;
    return config;
  }

  private checkRef(spec: JobSpec): CheckRef {
    // A failure report or a missed deadline is already certain: no extra confirmations.
    return { id: jobCheckId(spec.id), service: spec.service, failureThreshold: 1, recoveryThreshold: 1 };
  }

  private async loadedStates(jobId: string): Promise<Map<string, MonitorState>> {
    this.states ??= await loadStates(this.env.DB, [jobCheckId(jobId)]);
    return this.states;
  }

  private schedule(config: VigilConfig, spec: JobSpec) {
    return { period: spec.period, cron: spec.cron, timezone: spec.timezone ?? config.timezone, grace: spec.grace };
  }

  private async apply(jobId: string, ping: Ping): Promise<PingOutcome> {
    const config = this.config();
    const spec = config.jobs.find((j) => j.id === jobId);
    if (!spec) throw new Error(`unknown job "${jobId}"`);
    const now = Date.now();
    const r: Row = { ...this.row, job_id: jobId };
    if (ping.excerpt !== undefined && (ping.excerpt !== "" || ping.kind === "log")) {
      r.last_excerpt = ping.excerpt;
      r.excerpt_truncated = ping.truncated ? 1 : 0;
    }
    let durationMs: number | null = null;

    switch (ping.kind) {
      case "log":
        break;
      case "start": {
        r.running_since = now;
        // A started run must finish within the grace (or by the regular deadline, if sooner).
        const runLate = now + spec.grace;
        r.late_at = r.late_at !== null && r.status !== "down" ? Math.min(r.late_at, runLate) : runLate;
        r.status = r.status === "down" ? "down" : "started";
        break;
      }
      case "success":
      case "fail": {
        const failed = ping.kind === "fail" || (ping.exitCode !== undefined && ping.exitCode !== 0);
        if (r.running_since !== null) durationMs = now - r.running_since;
        r.running_since = null;
        r.last_duration_ms = durationMs;
        r.last_exit_code = ping.exitCode ?? null;
        const { expectedAt, lateAt } = jobDeadline(this.schedule(config, spec), now);
        r.expected_at = expectedAt;
        r.late_at = lateAt;
        const reason = failed ? (ping.exitCode !== undefined ? `job exited with code ${ping.exitCode}` : "job reported failure") : undefined;
        await observe(this.env, config, await this.loadedStates(jobId), this.checkRef(spec), { status: failed ? "down" : "up", reason }, now);
        r.status = failed ? "down" : "up";
        r.down_reason = reason ?? null;
        r.marked_down_at = failed ? Date.now() : null;
        break;
      }
    }
    r.last_ping_at = now;
    r.last_ping_kind = ping.kind;
    this.ctx.storage.transactionSync(() => {
      this.save(r);
      this.sql.exec("INSERT INTO pings (at, kind, exit_code, duration_ms) VALUES (?, ?, ?, ?)", now, ping.kind, ping.exitCode ?? null, durationMs);
      this.sql.exec("DELETE FROM pings WHERE id <= (SELECT MAX(id) FROM pings) - ?", HISTORY_LIMIT);
    });
    if (r.late_at !== null && spec.enabled && r.status !== "new") await this.ctx.storage.setAlarm(r.late_at);
    return { status: r.status, expectedAt: r.expected_at, lateAt: r.late_at, durationMs };
  }

  private async lateFired(): Promise<void> {
    const r = this.row;
    if (r.job_id === null || r.late_at === null || r.status === "new") return;
    const now = Date.now();
    if (now < r.late_at) {
      await this.ctx.storage.setAlarm(r.late_at);
      return;
    }
    if (r.status === "down" && r.marked_down_at !== null) return; // already down; stays until the next ping
    const config = this.config();
    const spec = config.jobs.find((j) => j.id === r.job_id);
    if (!spec || !spec.enabled) return;
    const graceText = `grace ${Math.round(spec.grace / 1000)} s`;
    const reason =
      r.running_since !== null
        ? `started at ${new Date(r.running_since).toISOString()} and did not finish within the ${graceText}`
        : `expected a ping by ${new Date(r.expected_at ?? r.late_at).toISOString()} (+ ${graceText}); last ping ${r.last_ping_at ? new Date(r.last_ping_at).toISOString() : "never"}`;
    await observe(this.env, config, await this.loadedStates(r.job_id), this.checkRef(spec), { status: "down", reason }, now);
    this.save({ ...r, status: "down", down_reason: reason, marked_down_at: Date.now() });
  }

  private save(r: Row): void {
    this.sql.exec(
      `UPDATE job SET job_id = ?, status = ?, last_ping_at = ?, last_ping_kind = ?, last_exit_code = ?, running_since = ?,
         last_duration_ms = ?, last_excerpt = ?, excerpt_truncated = ?, expected_at = ?, late_at = ?, down_reason = ?,
         marked_down_at = ? WHERE id = 1`,
      r.job_id, r.status, r.last_ping_at, r.last_ping_kind, r.last_exit_code, r.running_since, r.last_duration_ms,
      r.last_excerpt, r.excerpt_truncated, r.expected_at, r.late_at, r.down_reason, r.marked_down_at,
    );
    this.row = r;
  }
}
