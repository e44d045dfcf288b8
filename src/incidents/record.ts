/**
 * Records one observation of one check: evaluate with the pure engine, write the check's state
 * if it changed (with the `monitor.state_changed` notifications for status pages, in the same
 * D1 batch), and hand each status change to the service's ServiceObject, which owns incidents
 * and escalation. Probe monitors, agent checks and heartbeats all come through here.
 */
import type { VigilConfig } from "../config";
import type { ProbeStatus } from "../contract/probe";
import { evaluate, initialState, sameState, type EvaluationPolicy, type MonitorState } from "../engine/evaluate";
import type { Env } from "../env";
import { logEvent } from "../log";
import { stateChangeMessages } from "../notify/event";
import { saveState } from "../store/check-state";
import type { NotifyMessage } from "../notify/message";
import { enqueueInOutbox, handOver } from "../store/outbox";

/** Anything that is evaluated: a monitor, an agent check, a heartbeat. */
export interface CheckRef extends EvaluationPolicy {
  id: string;
  /** Service id it belongs to. */
  service: string;
  /** Check kind for escalation conditions (`http`, `docker`, `postgres`, `heartbeat`, …). */
  kind?: string;
  /** The check whose being down explains this one (an agent check's heartbeat): inhibits its pages. */
  coveredBy?: string;
}

export interface Observation {
  /** `unknown`: the run could not measure (never a failure, see `evaluate`). */
  status: ProbeStatus | "unknown";
  reason?: string;
  /** With `unknown`: the check's agent went silent; a down check becomes unknown too (see `evaluate`). */
  stale?: boolean;
}

/** The bindings recording needs. */
export type RecordSink = Pick<Env, "DB" | "SERVICE" | "NOTIFY">;

/** Extra writes that belong to the same moment as the observation. */
export interface RecordOptions {
  /** Statements written in the same D1 batch (also when the check's state did not change). */
  also?: D1PreparedStatement[];
  /** Called as soon as the batch is stored, before the service object is told. */
  stored?: () => void;
}

/** Evaluates one observation and writes what changed; true when the status changed. */
export function recordObservation(
  sink: RecordSink,
  config: VigilConfig,
  states: Map<string, MonitorState>,
  check: CheckRef,
  observation: Observation,
  now: number,
  options: RecordOptions = {},
): Promise<boolean> {
  return recordObservations(sink, config, states, [{ check, observation }], now, options);
}

/** One observation as evaluated: the check's state before and after, and its status changes. */
interface Judged {
  check: CheckRef;
  observation: Observation;
  before: MonitorState;
  state: MonitorState;
  events: ReturnType<typeof evaluate>["events"];
  changed: boolean;
  /** The check had no state before: Vigil sees it for the first time. */
  first: boolean;
}

/**
 * Evaluates observations of several checks taken at one moment (a silent agent: its heartbeat
 * down, its other checks unknown) and writes every change in one D1 batch; the service object
 * is told after, in the order given. True when any status changed.
 */
export async function recordObservations(
  sink: RecordSink,
  config: VigilConfig,
  states: Map<string, MonitorState>,
  items: readonly { check: CheckRef; observation: Observation }[],
  now: number,
  options: RecordOptions = {},
): Promise<boolean> {
  const stmts: D1PreparedStatement[] = [];
  const messages: NotifyMessage[] = [];
  const judged = items.map(({ check, observation }): Judged => {
    const before = states.get(check.id) ?? initialState(now);
    const { state, events } = evaluate(before, observation, check, now);
    const first = !states.has(check.id);
    const changed = !sameState(before, state) || first;
    if (changed) stmts.push(saveState(sink.DB, check.id, state, now));
    for (const change of events) {
      messages.push(
        ...stateChangeMessages(
          config,
          { checkId: check.id, serviceId: check.service, from: change.from, to: change.to, reason: change.reason, at: change.at },
          now,
        ),
      );
    }
    return { check, observation, before, state, events, changed, first };
  });
  stmts.push(...(options.also ?? []));
  for (const m of messages) stmts.push(enqueueInOutbox(sink.DB, m, now));
  if (stmts.length > 0) await sink.DB.batch(stmts);
  options.stored?.();
  for (const { check, events } of judged)
    for (const e of events)
      logEvent("check.state", { check: check.id, service: check.service, from: e.from, to: e.to, reason: e.reason, at: e.at });
  // Status pages follow the change now, not at the next sweep (up to a minute later).
  if (messages.length > 0) await handOver(sink.DB, sink.NOTIFY, messages, now);
  for (const j of judged) {
    if (!j.changed) continue;
    await tellService(sink, config, j, now);
    states.set(j.check.id, j.state);
  }
  return judged.some((j) => j.events.length > 0);
}

/**
 * The state is stored; the service object is told after, and only then is the new state kept
 * in `states`. If telling fails, the caller's retry (with `states` restored) re-evaluates and
 * tells again: every write here is an upsert.
 */
async function tellService(
  sink: RecordSink,
  config: VigilConfig,
  { check, observation, before, state, events, first }: Judged,
  now: number,
): Promise<void> {
  const input = (status: MonitorState["status"], reason: string | null, at: number) => ({
    type: "check" as const,
    checkId: check.id,
    kind: check.kind ?? "check",
    status,
    reason,
    at,
  });
  // Only changes into or out of "down" can open, join or resolve an incident; the rest
  // (a new check's first "up", up ↔ degraded) stay out of the service object's way.
  for (const change of events.filter((e) => e.to === "down" || e.from === "down")) {
    await sink.SERVICE.getByName(check.service).apply(check.service, {
      ...input(change.to, change.reason, change.at),
      ...(check.coveredBy !== undefined && { coveredBy: check.coveredBy }),
    });
  }
  // Into or out of unknown or degraded, not down: only a policy's state pages (monitoringBroken,
  // degraded) care, so the service object hears of it only when its policy asks.
  const policy = config.policies.find((p) => p.id === config.services.find((s) => s.id === check.service)?.policy);
  const stateFor = (s: string) => (s === "unknown" && policy?.monitoringBroken) || (s === "degraded" && policy?.degraded);
  // A silent agent's checks (stale) page nobody for being unknown: its heartbeat's incident is the page.
  const statePaged = (e: (typeof events)[number]) => e.to !== "down" && e.from !== "down" && (stateFor(e.to) || stateFor(e.from));
  for (const change of observation.stale ? [] : events.filter(statePaged)) {
    await sink.SERVICE.getByName(check.service).observe(check.service, input(change.to, change.reason, change.at));
  }
  // Unknown since Vigil first saw it (a state starts unknown, so there is no change event): as
  // much "monitoring broken" as a check that became unknown later.
  if (first && state.status === "unknown" && !observation.stale && stateFor("unknown")) {
    await sink.SERVICE.getByName(check.service).observe(check.service, input("unknown", state.reason, state.since));
  }
  // Still down, failing differently: a timeline entry on the incident, never a page.
  if (events.length === 0 && before.status === "down" && state.status === "down" && state.reason !== before.reason) {
    await sink.SERVICE.getByName(check.service).apply(check.service, input("down", state.reason, now));
  }
}
