/**
 * Records one observation of one check: evaluate (pure engine), write the state if it changed,
 * and carry out the incident decisions with their notifications — all in one D1 batch, so a
 * state change and the notifications it causes are stored together or not at all.
 * Probe monitors, agent checks and heartbeats all come through here.
 */
import type { VigilConfig } from "../config";
import { evaluate, initialState, sameState, type EvaluationPolicy, type MonitorState, type StateChanged } from "../engine/evaluate";
import { decideIncident, type IncidentMember } from "../engine/incident";
import type { ProbeStatus } from "../contract/probe";
import { incidentEvent } from "../notify/event";
import { idempotencyKey, type NotifyMessage } from "../notify/message";
import { saveState } from "../store/check-state";
import { addEvent, insertIncident, openIncidentFor, resolveIncident, upsertMember } from "../store/incidents";
import { enqueueInOutbox } from "../store/outbox";

/** Anything that is evaluated: a monitor, an agent check, a heartbeat. */
export interface CheckRef extends EvaluationPolicy {
  id: string;
  /** Service id it belongs to. */
  service: string;
}

export interface Observation {
  status: ProbeStatus;
  reason?: string;
}

/** Evaluates one observation and writes what changed; true when the status changed. */
export async function recordObservation(
  db: D1Database,
  config: VigilConfig,
  states: Map<string, MonitorState>,
  check: CheckRef,
  observation: Observation,
  now: number,
): Promise<boolean> {
  const before = states.get(check.id) ?? initialState(now);
  const { state, events } = evaluate(before, observation, check, now);
  if (sameState(before, state) && states.has(check.id)) return false;
  states.set(check.id, state);
  const stmts: D1PreparedStatement[] = [saveState(db, check.id, state, now)];
  for (const change of events) stmts.push(...(await incidentStatements(db, config, check, change, now)));
  await db.batch(stmts);
  return events.length > 0;
}

async function incidentStatements(db: D1Database, config: VigilConfig, check: CheckRef, change: StateChanged, now: number): Promise<D1PreparedStatement[]> {
  const service = config.services.find((s) => s.id === check.service);
  if (!service) throw new Error(`check "${check.id}" names unknown service "${check.service}"`);
  const open = await openIncidentFor(db, service.id);
  const actions = decideIncident({ serviceId: service.id, serviceName: service.name, checkId: check.id, change, open });

  // The incident as it is after these actions, for notification payloads.
  let incident = open && { ...open, title: "", resolvedAt: null as number | null, members: [...open.members] };
  const setMember = (m: IncidentMember) => {
    if (!incident) return;
    incident.members = [...incident.members.filter((x) => x.checkId !== m.checkId), m];
  };
  const stmts: D1PreparedStatement[] = [];
  for (const a of actions) {
    switch (a.type) {
      case "open":
        incident = { id: a.incidentId, serviceId: service.id, level: 1, openedAt: change.at, title: a.title, resolvedAt: null, members: [a.member] };
        stmts.push(
          insertIncident(db, { id: a.incidentId, serviceId: service.id, title: a.title, openedAt: change.at }),
          upsertMember(db, a.incidentId, a.member),
          addEvent(db, a.incidentId, change.at, "incident.opened", { check: check.id, reason: change.reason }),
        );
        break;
      case "add-member":
        setMember(a.member);
        stmts.push(upsertMember(db, a.incidentId, a.member), addEvent(db, a.incidentId, change.at, "member.added", { check: check.id, reason: change.reason }));
        break;
      case "member-recovered":
        setMember(a.member);
        stmts.push(upsertMember(db, a.incidentId, a.member), addEvent(db, a.incidentId, change.at, "member.recovered", { check: check.id }));
        break;
      case "resolve":
        if (incident) incident.resolvedAt = a.at;
        stmts.push(resolveIncident(db, a.incidentId, a.at), addEvent(db, a.incidentId, a.at, "incident.resolved", {}));
        break;
      case "notify": {
        if (!incident) break;
        if (!incident.title) {
          const row = await db.prepare("SELECT title FROM incidents WHERE id = ?").bind(incident.id).first<{ title: string }>();
          incident.title = row?.title ?? "";
        }
        const policy = config.policies.find((p) => p.id === service.policy)!;
        const level = policy.levels[Math.min(a.level, policy.levels.length) - 1]!;
        const event = incidentEvent(a.event, incident, config, now);
        for (const channelId of level.channels) {
          const message: NotifyMessage = { key: idempotencyKey(a.incidentId, a.level, channelId, a.event), channelId, incidentId: a.incidentId, level: a.level, event };
          stmts.push(enqueueInOutbox(db, message, now), addEvent(db, a.incidentId, now, "notification.queued", { channel: channelId, event: a.event, level: a.level }));
        }
        break;
      }
    }
  }
  return stmts;
}
