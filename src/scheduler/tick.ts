/**
 * One cron tick: plan → probe → evaluate → store changes → incidents → notifications.
 *
 * 1. Plan the runs due in the minute starting at the tick (stable per-monitor offsets).
 * 2. Probe every due monitor, at most `LIMITS.socketsPerInvocation` at a time.
 *    (This version runs each due monitor once, at the tick; sub-minute runs at their
 *    offsets and queue fan-out for large fleets come with the scheduling-at-scale work.)
 * 3. Evaluate each observation with the pure engine; write only states that changed.
 * 4. Turn state changes into incident actions (pure) and write them with their
 *    notifications into the outbox, in one D1 batch per change.
 * 5. Hand the outbox to the notification queue.
 */
import type { ConfigEnv, MonitorSpec, VigilConfig } from "../config";
import type { ProbeResult } from "../contract/probe";
import { evaluate, initialState, sameState, type MonitorState, type StateChanged } from "../engine/evaluate";
import { decideIncident } from "../engine/incident";
import { plan } from "../engine/schedule";
import type { Env } from "../env";
import { LIMITS } from "../limits";
import { incidentEvent } from "../notify/event";
import { idempotencyKey, type NotifyMessage } from "../notify/message";
import { runProbe } from "../probes";
import { mapLimit } from "../probes/pool";
import { addEvent, insertIncident, openIncidentFor, resolveIncident, upsertMember } from "../store/incidents";
import { loadStates, saveState } from "../store/monitor-state";
import { enqueueInOutbox, flushOutbox } from "../store/outbox";

export interface TickSummary {
  planned: number;
  probed: number;
  changes: number;
  notificationsQueued: number;
}

export async function runTick(env: Env, config: VigilConfig, tickTime: number): Promise<TickSummary> {
  // 1. Plan.
  const enabled = config.monitors.filter((m) => m.enabled);
  const jobs = plan(enabled, tickTime);
  const dueIds = new Set(jobs.map((j) => j.monitorId));
  const due = enabled.filter((m) => dueIds.has(m.id));

  // 2. Probe.
  const results = await mapLimit(due, LIMITS.socketsPerInvocation, (spec) => runProbe(spec, env as ConfigEnv));

  // 3.–4. Evaluate and record.
  const states = await loadStates(env.DB);
  let changes = 0;
  for (let i = 0; i < due.length; i++) {
    const result = results[i]!;
    const changed = await applyResult(env, config, states, due[i]!, result, Date.parse(result.checkedAt));
    if (changed) changes++;
  }

  // 5. Notify.
  const notificationsQueued = await flushOutbox(env.DB, env.NOTIFY, Date.now());
  return { planned: jobs.length, probed: due.length, changes, notificationsQueued };
}

/** Evaluates one result and writes what changed; true when the state changed. */
export async function applyResult(
  env: Env,
  config: VigilConfig,
  states: Map<string, MonitorState>,
  spec: MonitorSpec,
  result: ProbeResult,
  now: number,
): Promise<boolean> {
  const db = env.DB;
  const before = states.get(spec.id) ?? initialState(now);
  const { state, events } = evaluate(before, result, spec, now);
  if (sameState(before, state) && states.has(spec.id)) return false;
  states.set(spec.id, state);
  const stmts: D1PreparedStatement[] = [saveState(db, spec.id, state, now)];
  for (const change of events) stmts.push(...(await incidentStatements(env, config, states, spec, change, now)));
  await db.batch(stmts);
  return events.length > 0;
}

async function incidentStatements(
  env: Env,
  config: VigilConfig,
  states: Map<string, MonitorState>,
  spec: MonitorSpec,
  change: StateChanged,
  now: number,
): Promise<D1PreparedStatement[]> {
  const db = env.DB;
  const service = config.services.find((s) => s.id === spec.service)!;
  const downMonitors = new Set(
    config.monitors.filter((m) => m.service === service.id && states.get(m.id)?.status === "down").map((m) => m.id),
  );
  const open = await openIncidentFor(db, service.id);
  const actions = decideIncident({ serviceId: service.id, serviceName: service.name, monitorId: spec.id, change, open, downMonitors });

  const stmts: D1PreparedStatement[] = [];
  // The incident as it will be after these actions, for notification payloads.
  let incident = open
    ? { ...open, title: "", resolvedAt: null as number | null, members: [...open.members] }
    : null;
  for (const a of actions) {
    switch (a.type) {
      case "open":
        incident = { id: a.incidentId, serviceId: service.id, level: 1, openedAt: change.at, title: a.title, resolvedAt: null, members: [a.member] };
        stmts.push(
          insertIncident(db, { id: a.incidentId, serviceId: service.id, title: a.title, openedAt: change.at }),
          upsertMember(db, a.incidentId, a.member),
          addEvent(db, a.incidentId, change.at, "incident.opened", { monitor: spec.id, reason: change.reason }),
        );
        break;
      case "add-member":
        incident?.members.push(a.member);
        stmts.push(upsertMember(db, a.incidentId, a.member), addEvent(db, a.incidentId, change.at, "member.added", { monitor: spec.id, reason: change.reason }));
        break;
      case "member-recovered": {
        const member = { monitorId: a.monitorId, status: change.to, reason: null, since: a.at };
        if (incident) incident.members = incident.members.map((m) => (m.monitorId === a.monitorId ? member : m));
        stmts.push(upsertMember(db, a.incidentId, member), addEvent(db, a.incidentId, a.at, "member.recovered", { monitor: a.monitorId }));
        break;
      }
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
