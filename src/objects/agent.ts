/**
 * AgentObject: one Durable Object per agent (`idFromName(agentId)`).
 *
 * - Serialises the agent's reports (a queue, since D1 calls do not hold the input gate).
 * - De-duplicates by `seq`: a seq seen before changes nothing; an older seq arriving late
 *   (out-of-order spool replay) goes into history and the remediation log and nothing else:
 *   it is not evaluated, does not move `lastSeen` or the deadline, so it cannot regress state.
 * - Evaluates each reported check with the probes' engine through `recordObservation`.
 * - Keeps the dead-man alarm at `lastSeen + grace`. When it fires, the heartbeat check
 *   `agent:<id>:heartbeat` goes down and every other check of the agent becomes unknown
 *   ("stale: agent silent since …", flagged stale: nobody knows its state, up or down, any
 *   more); the next valid report measures them again.
 * - Keeps the day's disk use per mount from the host check's `disk:<mount>:usedPct` metrics
 *   (highest and latest, by the local day the check observed it) and writes that daily series
 *   to D1 at most every 15 minutes (`src/engine/disk-days.ts`) for the daily digest.
 *
 * Live state is in the object's SQLite (src/objects/agent-storage.ts); D1 (the read model) is
 * written only on change. Every decision is a pure function: report acceptance and the dead-man
 * in src/engine/report-acceptance.ts, the disk series in src/engine/disk-days.ts.
 */
import { diskUsage, type AgentReport } from "../contract/report";
import type { ProbeResult } from "../contract/probe";
import { locationMonitors, type AgentSpec } from "../config";
import { formatDurationApprox } from "../../lib/duration";
import { observationFor } from "../engine/deadline";
import { foldDiskSamples, type DiskDay, type DiskSample } from "../engine/disk-days";
import { acceptReport, deadManDue, deadManReason, seqVerdict, silenced, type AgentLedger } from "../engine/report-acceptance";
import type { Env } from "../env";
import type { CheckRef } from "../incidents/record";
import { localDate } from "../../lib/time-zone";
import { upsertDiskDay } from "../store/agent-disk";
import { setStale, upsertAgent, type AgentRecord } from "../store/agents";
import { insertRemediation } from "../store/remediations";
import { AgentStorage, type StoredCheck, type StoredReport } from "./agent-storage";
import { observe, observeAll } from "./observe";
import { VigilObject } from "./vigil-object";

/** Check id of an agent's check in `check_state` and incidents. */
export const agentCheckId = (agentId: string, checkId: string) => `agent:${agentId}:${checkId}`;
export const heartbeatCheckId = (agentId: string) => agentCheckId(agentId, "heartbeat");

/** The daily disk series goes to D1 at most this often per agent (and when a day turns over). */
const DISK_SYNC_MS = 15 * 60_000;

export type ReportOutcome =
  | { kind: "accepted"; seq: number; intervalSeconds: number; graceMs: number; deadline: number }
  | { kind: "late"; seq: number; lastSeq: number }
  | { kind: "duplicate"; seq: number; lastSeq: number }
  | { kind: "refused"; reason: string };

/** The ledger as the admin API shows it, with the latest checks and reports. */
export interface AgentView extends Omit<AgentLedger, "intervalS" | "syncedAt"> {
  intervalSeconds: number | null;
  checks: (StoredCheck & { stale: boolean })[];
  history: StoredReport[];
  /** The latest result of each monitor this agent runs as a private location. */
  locations: { monitor: string; status: string; latencyMs: number; reason?: string; checkedAt: number; receivedAt: number }[];
}

export class AgentObject extends VigilObject {
  private readonly store: AgentStorage;
  private ledger: AgentLedger;
  /** The `disk_days` table, loaded on first use. */
  private disk: Map<string, DiskDay> | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new AgentStorage(ctx.storage.sql);
    this.ledger = this.store.ledger();
  }

  /** Applies one verified, schema-valid report. */
  report(agentId: string, report: AgentReport): Promise<ReportOutcome> {
    return this.queue.run(() => this.apply(agentId, report));
  }

  /** Everything the object knows, for the admin API. */
  describe(historyLimit = 20): Promise<AgentView> {
    return this.queue.run(async () => {
      const m = this.ledger;
      const stale = m.silentSince !== null;
      return {
        agentId: m.agentId,
        lastSeq: m.lastSeq,
        lastSeen: m.lastSeen,
        intervalSeconds: m.intervalS,
        graceMs: m.graceMs,
        deadline: m.deadline,
        silentSince: m.silentSince,
        markedDownAt: m.markedDownAt,
        hostname: m.hostname,
        version: m.version,
        checks: this.store.checks().map((c) => ({ ...c, stale })),
        history: this.store.history(historyLimit),
        locations: this.store.locationResults().map((l) => ({
          monitor: l.monitorId,
          status: l.result.status,
          latencyMs: l.result.latencyMs,
          ...(l.result.reason !== undefined && { reason: l.result.reason }),
          checkedAt: l.checkedAt,
          receivedAt: l.receivedAt,
        })),
      };
    });
  }

  /**
   * This agent's vote on a run of a monitor that lists it in `locations`: its latest result, if
   * it is at most `maxAgeMs` plus the agent's report interval old; otherwise why there is none
   * (the location is then left out of the quorum, like a silent region).
   */
  async locationVote(monitorId: string, maxAgeMs: number): Promise<{ result: ProbeResult } | { why: string }> {
    const m = this.ledger;
    if (m.lastSeen === null) return { why: "the agent has never reported" };
    const stored = this.store.locationResult(monitorId);
    if (!stored)
      return {
        why: "the agent has reported no result for this monitor (an agent version without private locations, or without `monitors` in its config)",
      };
    const age = Date.now() - stored.checkedAt;
    if (age > maxAgeMs + (m.intervalS ?? 0) * 1000) {
      const silent = m.silentSince === null ? "" : `; agent silent since ${new Date(m.lastSeen).toISOString()}`;
      return { why: `its latest result is ${formatDurationApprox(Math.max(0, age))} old${silent}` };
    }
    return { result: stored.result };
  }

  /** The dead-man: no report by `deadline`. */
  override async alarm(): Promise<void> {
    await this.queue.run(() => this.deadManFired());
  }

  private states(agentId: string) {
    return this.loadedStates(() => [heartbeatCheckId(agentId), ...this.store.checkIds().map((id) => agentCheckId(agentId, id))]);
  }

  private checkRef(spec: AgentSpec, checkId: string): CheckRef {
    const o = spec.checks[checkId];
    return {
      id: agentCheckId(spec.id, checkId),
      service: spec.service,
      failureThreshold: o?.failureThreshold ?? spec.failureThreshold,
      recoveryThreshold: o?.recoveryThreshold ?? spec.recoveryThreshold,
      // A silent agent explains its checks' silence: the heartbeat inhibits their pages.
      coveredBy: heartbeatCheckId(spec.id),
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
      await service.apply(spec.service, {
        type: "remediation",
        checkId: agentCheckId(spec.id, r.check),
        outcome: "failed",
        at: Date.parse(r.at),
      });
    }
  }

  private async apply(agentId: string, report: AgentReport): Promise<ReportOutcome> {
    // 1. Load.
    const config = this.config();
    const spec = config.agents.find((a) => a.id === agentId);
    if (!spec) return { kind: "refused", reason: `unknown agent "${agentId}"` };
    if (!spec.enabled) return { kind: "refused", reason: `agent "${agentId}" is disabled` };
    const before = this.ledger;
    const now = Date.now();

    // 2. Decide: exactly once (a seq seen before changes nothing); a late seq only adds to history.
    const verdict = seqVerdict(before.lastSeq, report.seq, (seq) => this.store.hasReport(seq));
    if (verdict === "duplicate") return { kind: "duplicate", seq: report.seq, lastSeq: before.lastSeq ?? report.seq };
    const db = this.env.DB;
    // Remediation attempts are facts whenever they arrive (late ones too); stored once.
    const d1: D1PreparedStatement[] = report.remediations.map((r) =>
      insertRemediation(
        db,
        {
          checkId: agentCheckId(agentId, r.check),
          agentId,
          action: r.action,
          attempt: r.attempt,
          outcome: r.outcome,
          at: Date.parse(r.at),
          detail: r.detail ?? null,
          seq: report.seq,
        },
        now,
      ),
    );
    if (verdict === "late") {
      // History and the remediation log only: it says nothing about now.
      if (d1.length > 0) await db.batch(d1);
      await this.escalateRecoveries(spec, report);
      this.store.insertHistory(report, now, true);
      return { kind: "late", seq: report.seq, lastSeq: before.lastSeq! };
    }
    const accepted = acceptReport(
      before,
      { agentId, seq: report.seq, intervalSeconds: report.intervalSeconds, hostname: report.agent.hostname, version: report.agent.version },
      spec.grace,
      now,
    );
    const next = accepted.ledger;

    // 3. Evaluate each check, then the heartbeat (recovers if the dead-man had fired).
    const states = await this.states(agentId);
    for (const check of report.checks) {
      const status = observationFor(check.status); // unknown: neither failure nor recovery (see observationFor)
      await observe(
        this.env,
        config,
        states,
        { ...this.checkRef(spec, check.id), kind: check.kind },
        { status, reason: check.summary || undefined },
        now,
      );
    }
    await observe(this.env, config, states, this.heartbeatRef(spec), { status: "up" }, now);

    // 4. Write the read model in one D1 batch: staleness cleared on recovery, the disk series, the agents row.
    if (accepted.recovered) d1.push(setStale(db, this.knownCheckIds(agentId, report), null));
    const disk = this.foldDisk(report, config.timezone, now);
    for (const d of disk.write) d1.push(upsertDiskDay(db, agentId, d, now));
    if (accepted.syncReadModel) d1.push(upsertAgent(db, agentRecord(next), now));
    if (d1.length > 0) await db.batch(d1);
    await this.escalateRecoveries(spec, report);

    // 5. Commit the object's own state in one transaction, then re-arm the dead-man.
    const mine = locationMonitors(config, agentId);
    const probes = (report.probes ?? []).filter((p) => mine.some((m) => m.id === p.monitor));
    this.ctx.storage.transactionSync(() => {
      this.store.saveLedger(next);
      this.store.saveChecks(report);
      if (probes.length > 0) this.store.saveLocationResults(probes, now);
      this.store.insertHistory(report, now, false);
      this.store.saveDisk(disk);
    });
    this.ledger = next;
    if (this.disk) {
      for (const d of disk.save) this.disk.set(d.mount, d);
      for (const mount of disk.drop) this.disk.delete(mount);
    }
    await this.alarmClock.armEarlier(next.deadline!);
    return { kind: "accepted", seq: report.seq, intervalSeconds: report.intervalSeconds, graceMs: next.graceMs!, deadline: next.deadline! };
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
    this.disk ??= this.store.diskDays();
    return foldDiskSamples(this.disk, samples, now, { syncEveryMs: DISK_SYNC_MS });
  }

  private async deadManFired(): Promise<void> {
    this.alarmClock.fired();
    // 1. Load and decide: is the deadline really past (reports may have moved it since it was armed)?
    const m = this.ledger;
    const now = Date.now();
    const due = deadManDue(m, now);
    if (due.kind === "idle") return;
    if (due.kind === "rearm") return this.alarmClock.arm(due.at);
    const config = this.config();
    const spec = config.agents.find((a) => a.id === m.agentId);
    if (!spec?.enabled) return; // removed or disabled: nobody expects it any more
    const states = await this.states(m.agentId!);
    const reason = deadManReason(m, spec.grace !== undefined, now);
    const next = silenced(m, now);
    // 2. Write, in one D1 batch: the heartbeat goes down; every other check of the agent becomes
    //    unknown, whatever it was (down included: its page is the heartbeat's incident) and is
    //    flagged stale; the agents row says since when. That is the moment it is "marked down";
    //    the service object (incident, escalation) is told after.
    const db = this.env.DB;
    const stale = `stale: agent silent since ${new Date(m.lastSeen ?? now).toISOString()}`;
    const checks = this.store.checks().map((c) => ({
      check: { ...this.checkRef(spec, c.id), kind: c.kind },
      observation: { status: "unknown" as const, reason: stale, stale: true },
    }));
    await observeAll(
      this.env,
      config,
      states,
      [{ check: this.heartbeatRef(spec), observation: { status: "down", reason } }, ...checks],
      now,
      {
        also: [setStale(db, this.knownCheckIds(m.agentId!), now), upsertAgent(db, agentRecord(next), now)],
        stored: () => (next.markedDownAt ??= Date.now()),
      },
    );
    this.store.saveLedger(next);
    this.ledger = next;
    console.log(JSON.stringify({ msg: "dead-man", agent: m.agentId, deadline: m.deadline, lateMs: next.markedDownAt! - m.deadline! }));
  }

  private knownCheckIds(agentId: string, report?: AgentReport): string[] {
    const ids = new Set(this.store.checkIds());
    for (const c of report?.checks ?? []) ids.add(c.id);
    return [...ids].map((id) => agentCheckId(agentId, id));
  }
}

/** The `agents` read-model row of a ledger. */
function agentRecord(m: AgentLedger): AgentRecord {
  return {
    agent_id: m.agentId!,
    hostname: m.hostname,
    version: m.version,
    interval_s: m.intervalS,
    last_seq: m.lastSeq,
    last_seen: m.lastSeen,
    deadline: m.deadline,
    silent_since: m.silentSince,
  };
}
