/**
 * AgentObject: one Durable Object per agent (`idFromName(agentId)`).
 *
 * - Serialises the agent's reports (a queue, since D1 calls do not hold the input gate).
 * - De-duplicates by `seq`: a seq seen before changes nothing; an older seq arriving late
 *   (out-of-order spool replay) goes into history and the remediation log and nothing else:
 *   it is not evaluated, does not move `lastSeen` or the deadline, so it cannot regress state.
 * - Evaluates each reported check with the probes' engine through `recordObservation`.
 * - Keeps the dead-man alarm at `lastSeen + grace`. When it fires, the heartbeat check
 *   `agent:<id>:heartbeat` goes down and every check of the agent is marked stale (its last
 *   status is kept, not turned into "down"); the next valid report recovers both.
 * - Keeps the day's disk use per mount from the host check's `disk:<mount>:usedPct` metrics
 *   (highest and latest, by the local day the check observed it) and writes that daily series
 *   to D1 at most every 15 minutes (`src/engine/disk-days.ts`) for the daily digest.
 *
 * Live state is in the object's SQLite; D1 (the read model) is written only on change.
 */
import { DurableObject } from "cloudflare:workers";
import { diskUsage, type AgentReport } from "../contract/report";
import { formatDuration, type AgentSpec, type VigilConfig } from "../config";
import { ConfigError } from "../config";
import { loadConfig } from "../config/load";
import { agentGraceMs, observationFor } from "../engine/deadline";
import { foldDiskSamples, type DiskDay, type DiskSample } from "../engine/disk-days";
import type { MonitorState } from "../engine/evaluate";
import type { Env } from "../env";
import type { CheckRef } from "../incidents/record";
import { localDate } from "../notify/content";
import { upsertDiskDay } from "../store/agent-disk";
import { setStale, upsertAgent } from "../store/agents";
import { loadStates } from "../store/check-state";
import { insertRemediation } from "../store/remediations";
import { observe, SerialQueue } from "./observe";

/** Check id of an agent's check in `check_state` and incidents. */
export const agentCheckId = (agentId: string, checkId: string) => `agent:${agentId}:${checkId}`;
export const heartbeatCheckId = (agentId: string) => agentCheckId(agentId, "heartbeat");

/** `1.5 s` under a minute (graces can be short), `1m 30s` above. */
const human = (ms: number) => (ms < 60_000 ? `${Number((ms / 1000).toFixed(1))} s` : formatDuration(ms));

/** Reports kept in the object's history. */
const HISTORY_LIMIT = 500;
/** While an agent is healthy, its D1 row's `last_seen` is refreshed at most this often. */
const READ_MODEL_REFRESH_MS = 60_000;
/** The daily disk series goes to D1 at most this often per agent (and when a day turns over). */
const DISK_SYNC_MS = 15 * 60_000;

export type ReportOutcome =
  | { kind: "accepted"; seq: number; intervalSeconds: number; graceMs: number; deadline: number }
  | { kind: "late"; seq: number; lastSeq: number }
  | { kind: "duplicate"; seq: number; lastSeq: number }
  | { kind: "refused"; reason: string };

export interface AgentView {
  agentId: string | null;
  lastSeq: number | null;
  lastSeen: number | null;
  intervalSeconds: number | null;
  graceMs: number | null;
  deadline: number | null;
  silentSince: number | null;
  /** When the dead-man's change was written (lateness = this − deadline). */
  markedDownAt: number | null;
  hostname: string | null;
  version: string | null;
  checks: { id: string; kind: string; status: string; summary: string; observedAt: number; seq: number; stale: boolean }[];
  history: { seq: number; receivedAt: number; sentAt: number; late: boolean; checks: { id: string; status: string }[]; remediations: number }[];
}

interface Meta {
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

export class AgentObject extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly queue = new SerialQueue();
  private meta: Meta;
  /** Engine states of this agent's checks (full ids), loaded from D1 on first use. */
  private states: Map<string, MonitorState> | null = null;
  private reportsSincePrune = 0;
  /**
   * When the alarm is armed for, as far as this instance knows (null: unknown or fired). A
   * report only re-arms it when its deadline is earlier: an alarm that fires before the
   * latest deadline re-arms itself to it (see deadManFired), which saves a storage write on
   * nearly every report.
   */
  private armedFor: number | null = null;
  /** The `disk_days` table, loaded on first use. */
  private disk: Map<string, DiskDay> | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`
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
    `);
    this.meta = this.sql.exec<Meta>("SELECT * FROM meta WHERE id = 1").one();
  }

  /** Applies one verified, schema-valid report. */
  report(agentId: string, report: AgentReport): Promise<ReportOutcome> {
    return this.queue.run(() => this.apply(agentId, report));
  }

  /** Everything the object knows, for the admin API. */
  describe(historyLimit = 20): Promise<AgentView> {
    return this.queue.run(async () => {
      const m = this.meta;
      const stale = m.silent_since !== null;
      const checks = this.sql
        .exec<{ check_id: string; kind: string; status: string; summary: string; observed_at: number; seq: number }>("SELECT * FROM checks ORDER BY check_id")
        .toArray()
        .map((r) => ({ id: r.check_id, kind: r.kind, status: r.status, summary: r.summary, observedAt: r.observed_at, seq: r.seq, stale }));
      const history = this.sql
        .exec<{ seq: number; received_at: number; sent_at: number; late: number; checks: string; remediations: number }>(
          "SELECT * FROM reports ORDER BY received_at DESC, seq DESC LIMIT ?",
          historyLimit,
        )
        .toArray()
        .map((r) => ({ seq: r.seq, receivedAt: r.received_at, sentAt: r.sent_at, late: r.late === 1, checks: JSON.parse(r.checks), remediations: r.remediations }));
      return {
        agentId: m.agent_id,
        lastSeq: m.last_seq,
        lastSeen: m.last_seen,
        intervalSeconds: m.interval_s,
        graceMs: m.grace_ms,
        deadline: m.deadline,
        silentSince: m.silent_since,
        markedDownAt: m.marked_down_at,
        hostname: m.hostname,
        version: m.version,
        checks,
        history,
      };
    });
  }

  /** The dead-man: no report by `deadline`. */
  override async alarm(): Promise<void> {
    await this.queue.run(() => this.deadManFired());
  }

  private config(): VigilConfig {
    const config = loadConfig(this.env);
    if (config instanceof ConfigError) throw config;
    return config;
  }

  private spec(config: VigilConfig, agentId: string): AgentSpec | undefined {
    return config.agents.find((a) => a.id === agentId);
  }

  private async loadedStates(agentId: string): Promise<Map<string, MonitorState>> {
    if (!this.states) {
      const ids = this.sql.exec<{ check_id: string }>("SELECT check_id FROM checks").toArray().map((r) => agentCheckId(agentId, r.check_id));
      this.states = await loadStates(this.env.DB, [heartbeatCheckId(agentId), ...ids]);
    }
    return this.states;
  }

  private checkRef(spec: AgentSpec, checkId: string): CheckRef {
    const o = spec.checks[checkId];
    return {
      id: agentCheckId(spec.id, checkId),
      service: spec.service,
      failureThreshold: o?.failureThreshold ?? spec.failureThreshold,
      recoveryThreshold: o?.recoveryThreshold ?? spec.recoveryThreshold,
    };
  }

  private heartbeatRef(spec: AgentSpec): CheckRef {
    // Silence has already lasted the whole grace: one missed deadline is down, one report is up.
    return { id: heartbeatCheckId(spec.id), service: spec.service, kind: "heartbeat", failureThreshold: 1, recoveryThreshold: 1 };
  }

  /** Failed automatic recoveries count toward escalation ("L2 after 3 failed recoveries"). */
  private async escalateRecoveries(spec: AgentSpec, report: AgentReport): Promise<void> {
    const service = this.env.SERVICE.getByName(spec.service);
    for (const r of report.remediations) {
      if (r.outcome !== "failed") continue;
      await service.apply(spec.service, { type: "remediation", checkId: agentCheckId(spec.id, r.check), outcome: "failed", at: Date.parse(r.at) });
    }
  }

  private async apply(agentId: string, report: AgentReport): Promise<ReportOutcome> {
    const config = this.config();
    const spec = this.spec(config, agentId);
    if (!spec) return { kind: "refused", reason: `unknown agent "${agentId}"` };
    if (!spec.enabled) return { kind: "refused", reason: `agent "${agentId}" is disabled` };
    const m = this.meta;
    const now = Date.now();

    // 1. Exactly once: a seq seen before (the latest, or one in history) changes nothing.
    //    (History holds no seq above the latest, so only an older seq needs the lookup.)
    const seen = m.last_seq === report.seq || (m.last_seq !== null && report.seq < m.last_seq && this.sql.exec("SELECT 1 FROM reports WHERE seq = ?", report.seq).toArray().length > 0);
    if (seen) {
      return { kind: "duplicate", seq: report.seq, lastSeq: m.last_seq ?? report.seq };
    }
    const late = m.last_seq !== null && report.seq < m.last_seq;
    const graceMs = agentGraceMs(spec.grace, report.intervalSeconds);
    const deadline = now + graceMs;
    const db = this.env.DB;
    const d1: D1PreparedStatement[] = [];

    // 2. Remediation attempts are facts whenever they arrive (late ones too); stored once.
    for (const r of report.remediations) {
      d1.push(
        insertRemediation(
          db,
          { checkId: agentCheckId(agentId, r.check), agentId, action: r.action, attempt: r.attempt, outcome: r.outcome, at: Date.parse(r.at), detail: r.detail ?? null, seq: report.seq },
          now,
        ),
      );
    }

    if (late) {
      // History and the remediation log only: it says nothing about now.
      if (d1.length > 0) await db.batch(d1);
      await this.escalateRecoveries(spec, report);
      this.insertHistory(report, now, true);
      return { kind: "late", seq: report.seq, lastSeq: m.last_seq! };
    }

    // 3. Evaluate each check, then the heartbeat (recovers if the dead-man had fired).
    const states = await this.loadedStates(agentId);
    for (const check of report.checks) {
      const status = observationFor(check.status);
      if (status === null) continue; // unknown: hold the last evaluated state (see observationFor)
      await observe(this.env, config, states, { ...this.checkRef(spec, check.id), kind: check.kind }, { status, reason: check.summary || undefined }, now);
    }
    await observe(this.env, config, states, this.heartbeatRef(spec), { status: "up" }, now);
    const wasSilent = m.silent_since !== null;
    if (wasSilent) d1.push(setStale(db, this.knownCheckIds(agentId, report), null));
    const disk = this.foldDisk(report, config.timezone, now);
    for (const d of disk.write) d1.push(upsertDiskDay(db, agentId, d, now));

    // 4. Read model: on the first report, on recovery, on a changed identity, else once a minute.
    const next: Meta = {
      ...m,
      agent_id: agentId,
      last_seq: report.seq,
      last_seen: now,
      interval_s: report.intervalSeconds,
      grace_ms: graceMs,
      deadline,
      silent_since: null,
      marked_down_at: null,
      hostname: report.agent.hostname,
      version: report.agent.version,
    };
    const identityChanged = next.hostname !== m.hostname || next.version !== m.version || next.interval_s !== m.interval_s;
    if (wasSilent || identityChanged || m.synced_at === null || now - m.synced_at >= READ_MODEL_REFRESH_MS) {
      d1.push(upsertAgent(db, this.agentRecord(next), now));
      next.synced_at = now;
    }
    if (d1.length > 0) await db.batch(d1);
    await this.escalateRecoveries(spec, report);

    // 5. Commit the object's own state in one transaction, then re-arm the dead-man.
    this.ctx.storage.transactionSync(() => {
      this.saveMeta(next);
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
      this.insertHistory(report, now, false);
      for (const d of disk.save) {
        this.sql.exec(
          "INSERT OR REPLACE INTO disk_days (mount, day, max_pct, last_pct, dirty, synced_at) VALUES (?, ?, ?, ?, ?, ?)",
          d.mount, d.day, d.maxPct, d.lastPct, d.dirty ? 1 : 0, d.syncedAt,
        );
      }
      for (const mount of disk.drop) this.sql.exec("DELETE FROM disk_days WHERE mount = ?", mount);
    });
    if (this.disk) {
      for (const d of disk.save) this.disk.set(d.mount, d);
      for (const mount of disk.drop) this.disk.delete(mount);
    }
    if (this.armedFor === null || deadline < this.armedFor) {
      await this.ctx.storage.setAlarm(deadline);
      this.armedFor = deadline;
    }
    return { kind: "accepted", seq: report.seq, intervalSeconds: report.intervalSeconds, graceMs, deadline };
  }

  /**
   * The report's disk samples folded into the day's series: what to keep in the object and what
   * to write to D1. A sample belongs to the local day its check observed it (a spooled report
   * replayed after an outage lands on its own day); a time in the future counts as now.
   */
  private foldDisk(report: AgentReport, timezone: string, now: number) {
    const samples: DiskSample[] = [];
    for (const c of report.checks) {
      const usage = diskUsage(c);
      if (usage.length === 0) continue;
      const observed = Date.parse(c.observedAt);
      const day = localDate(Number.isFinite(observed) ? Math.min(observed, now) : now, timezone);
      for (const u of usage) if (u.mount.length <= 200) samples.push({ mount: u.mount, day, usedPct: u.usedPct });
    }
    if (samples.length === 0) return { save: [], drop: [], write: [] };
    if (this.disk === null) {
      this.disk = new Map(
        this.sql
          .exec<{ mount: string; day: string; max_pct: number; last_pct: number; dirty: number; synced_at: number | null }>("SELECT * FROM disk_days")
          .toArray()
          .map((r) => [r.mount, { mount: r.mount, day: r.day, maxPct: r.max_pct, lastPct: r.last_pct, dirty: r.dirty === 1, syncedAt: r.synced_at }]),
      );
    }
    return foldDiskSamples(this.disk, samples, now, { syncEveryMs: DISK_SYNC_MS });
  }

  private insertHistory(report: AgentReport, now: number, late: boolean): void {
    this.sql.exec(
      "INSERT INTO reports (seq, received_at, sent_at, late, checks, remediations) VALUES (?, ?, ?, ?, ?, ?)",
      report.seq, now, Date.parse(report.sentAt), late ? 1 : 0,
      JSON.stringify(report.checks.map((c) => ({ id: c.id, status: c.status }))), report.remediations.length,
    );
    if (++this.reportsSincePrune >= 50) this.prune();
  }

  private async deadManFired(): Promise<void> {
    this.armedFor = null; // this alarm has fired
    const m = this.meta;
    if (m.agent_id === null || m.deadline === null || m.silent_since !== null) return;
    const now = Date.now();
    if (now < m.deadline) {
      await this.ctx.storage.setAlarm(m.deadline); // reports moved the deadline since it was armed
      this.armedFor = m.deadline;
      return;
    }
    const config = this.config();
    const spec = this.spec(config, m.agent_id);
    if (!spec || !spec.enabled) return; // removed or disabled: nobody expects it any more
    const states = await this.loadedStates(m.agent_id);
    const reason =
      `no report for ${human(now - (m.last_seen ?? now))} (grace ${human(m.grace_ms ?? 0)}` +
      `${spec.grace === undefined && m.interval_s ? ` = 3 × ${m.interval_s} s interval` : ""}); last seq ${m.last_seq}`;
    // In one D1 batch: 1. the heartbeat goes down; 2. every check of the agent is stale, not
    // down (nobody knows their state any more); the agents row says since when. That is the
    // moment it is "marked down"; the service object (incident, escalation) is told after.
    const next: Meta = { ...m, silent_since: now, synced_at: now };
    const db = this.env.DB;
    await observe(this.env, config, states, this.heartbeatRef(spec), { status: "down", reason }, now, {
      also: [setStale(db, this.knownCheckIds(m.agent_id), now), upsertAgent(db, this.agentRecord(next), now)],
      stored: () => (next.marked_down_at ??= Date.now()),
    });
    this.saveMeta(next);
    console.log(JSON.stringify({ msg: "dead-man", agent: m.agent_id, deadline: m.deadline, lateMs: next.marked_down_at! - m.deadline }));
  }

  private knownCheckIds(agentId: string, report?: AgentReport): string[] {
    const ids = new Set(this.sql.exec<{ check_id: string }>("SELECT check_id FROM checks").toArray().map((r) => r.check_id));
    for (const c of report?.checks ?? []) ids.add(c.id);
    return [...ids].map((id) => agentCheckId(agentId, id));
  }

  private agentRecord(m: Meta) {
    return {
      agent_id: m.agent_id!,
      hostname: m.hostname,
      version: m.version,
      interval_s: m.interval_s,
      last_seq: m.last_seq,
      last_seen: m.last_seen,
      deadline: m.deadline,
      silent_since: m.silent_since,
    };
  }

  private saveMeta(m: Meta): void {
    this.sql.exec(
      `UPDATE meta SET agent_id = ?, last_seq = ?, last_seen = ?, interval_s = ?, grace_ms = ?, deadline = ?, silent_since = ?,
         marked_down_at = ?, hostname = ?, version = ?, synced_at = ? WHERE id = 1`,
      m.agent_id, m.last_seq, m.last_seen, m.interval_s, m.grace_ms, m.deadline, m.silent_since, m.marked_down_at, m.hostname, m.version, m.synced_at,
    );
    this.meta = m;
  }

  private prune(): void {
    this.reportsSincePrune = 0;
    this.sql.exec(
      "DELETE FROM reports WHERE seq NOT IN (SELECT seq FROM reports ORDER BY received_at DESC, seq DESC LIMIT ?)",
      HISTORY_LIMIT,
    );
  }
}
