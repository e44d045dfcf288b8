/**
 * Report acceptance and the dead-man, as pure decisions over an agent's ledger (what its
 * AgentObject keeps about it). No I/O, no clock: `now` is passed in.
 *
 * 1. `seqVerdict`: a seq seen before changes nothing (duplicate); an older seq not seen before
 *    (out-of-order spool replay) is late: history and the remediation log only, it says nothing
 *    about now; anything newer is the next report.
 * 2. `acceptReport`: the ledger after the next report — last seen now, the dead-man deadline at
 *    now + grace, silence over — and whether the D1 read model must be refreshed.
 * 3. `deadManDue` / `deadManReason` / `silenced`: when the alarm fires, whether the deadline has
 *    really passed, and what the heartbeat's "down" says.
 */
import { formatDuration } from "../../lib/duration";
import { agentGraceMs } from "./deadline";

/** What an AgentObject keeps about its agent (one row). */
export interface AgentLedger {
  agentId: string | null;
  lastSeq: number | null;
  /** When the latest report was accepted. */
  lastSeen: number | null;
  /** The interval the agent promised in its latest report (seconds). */
  intervalS: number | null;
  graceMs: number | null;
  /** Dead-man deadline: lastSeen + grace. */
  deadline: number | null;
  /** Set when the dead-man fired; null again on the next report. */
  silentSince: number | null;
  /** When the dead-man's change was written (lateness = this − deadline). */
  markedDownAt: number | null;
  hostname: string | null;
  version: string | null;
  /** When the `agents` row in D1 was last written. */
  syncedAt: number | null;
}

/** The ledger of an agent that has never reported. */
export const emptyLedger = (): AgentLedger => ({
  agentId: null,
  lastSeq: null,
  lastSeen: null,
  intervalS: null,
  graceMs: null,
  deadline: null,
  silentSince: null,
  markedDownAt: null,
  hostname: null,
  version: null,
  syncedAt: null,
});

/** While an agent is healthy, its D1 row's `last_seen` is refreshed at most this often. */
export const READ_MODEL_REFRESH_MS = 60_000;

export type SeqVerdict = "duplicate" | "late" | "next";

/**
 * Where `seq` stands against the latest accepted one. `inHistory` answers whether an older seq
 * was seen before; it is only asked for a seq below the latest (history holds none above it).
 */
export function seqVerdict(lastSeq: number | null, seq: number, inHistory: (seq: number) => boolean): SeqVerdict {
  if (lastSeq === seq) return "duplicate";
  if (lastSeq !== null && seq < lastSeq) return inHistory(seq) ? "duplicate" : "late";
  return "next";
}

/** The facts of one report that the ledger keeps. */
export interface ReportFacts {
  agentId: string;
  seq: number;
  intervalSeconds: number;
  hostname: string | null;
  version: string | null;
}

export interface Acceptance {
  ledger: AgentLedger;
  /** The dead-man had fired: the heartbeat recovers and the checks are current again. */
  recovered: boolean;
  /** Write the `agents` row now: on the first report, on recovery, on a changed identity, else once a minute. */
  syncReadModel: boolean;
}

/** The ledger after the next report (seqVerdict "next"), accepted at `now`. */
export function acceptReport(ledger: AgentLedger, report: ReportFacts, configuredGraceMs: number | undefined, now: number): Acceptance {
  const graceMs = agentGraceMs(configuredGraceMs, report.intervalSeconds);
  const next: AgentLedger = {
    ...ledger,
    agentId: report.agentId,
    lastSeq: report.seq,
    lastSeen: now,
    intervalS: report.intervalSeconds,
    graceMs,
    deadline: now + graceMs,
    silentSince: null,
    markedDownAt: null,
    hostname: report.hostname,
    version: report.version,
  };
  const recovered = ledger.silentSince !== null;
  const identityChanged = next.hostname !== ledger.hostname || next.version !== ledger.version || next.intervalS !== ledger.intervalS;
  const syncReadModel = recovered || identityChanged || ledger.syncedAt === null || now - ledger.syncedAt >= READ_MODEL_REFRESH_MS;
  if (syncReadModel) next.syncedAt = now;
  return { ledger: next, recovered, syncReadModel };
}

export type DeadManDue = { kind: "idle" } | { kind: "rearm"; at: number } | { kind: "due" };

/**
 * When the dead-man alarm fires at `now`: nothing to do (no agent yet, no deadline, already
 * silent), re-arm (reports moved the deadline since the alarm was armed), or due.
 */
export function deadManDue(ledger: AgentLedger, now: number): DeadManDue {
  if (ledger.agentId === null || ledger.deadline === null || ledger.silentSince !== null) return { kind: "idle" };
  if (now < ledger.deadline) return { kind: "rearm", at: ledger.deadline };
  return { kind: "due" };
}

/** `1.5 s` under a minute (graces can be short), `1m 30s` above. */
const humanDuration = (ms: number) => (ms < 60_000 ? `${Number((ms / 1000).toFixed(1))} s` : formatDuration(ms));

/** Why the heartbeat is down: how long it has been silent, against which grace. */
export function deadManReason(ledger: AgentLedger, configuredGrace: boolean, now: number): string {
  return (
    `no report for ${humanDuration(now - (ledger.lastSeen ?? now))} (grace ${humanDuration(ledger.graceMs ?? 0)}` +
    `${!configuredGrace && ledger.intervalS ? ` = 3 × ${ledger.intervalS} s interval` : ""}); last seq ${ledger.lastSeq}`
  );
}

/** The ledger once the dead-man has fired at `now` (the read model is written with it). */
export function silenced(ledger: AgentLedger, now: number): AgentLedger {
  return { ...ledger, silentSince: now, syncedAt: now };
}
