/**
 * Builds event payloads (the same for every channel; channels render them) and the queue
 * messages that carry them. Pure: `now` and every fact are passed in.
 *
 * Hooks for the incident / escalation code (it decides; this only shapes):
 * - `incidentEvent(...)`: the payload of one incident event.
 * - `pageMessages(effect, incident, config, now, links)`: every message for one `notify` effect,
 *   one per channel of the effect's levels; put each in the outbox with `enqueueInOutbox`.
 * - `stateChangeMessages(config, change, now)`: `monitor.state_changed` messages for status-page
 *   channels (and webhooks with `stateChanges: true`) whenever a check's status changes.
 */
import type { VigilConfig } from "../config";
import { incidentHeadline, incidentView } from "./content";
import { channels } from "./kinds";
import { idempotencyKey, stateChangeKey, type IncidentEventType, type NotifyMessage, type WebhookEvent } from "./message";

/** A member as the read model stores it. */
export interface MemberFact {
  checkId: string;
  status: string;
  reason: string | null;
  since: number;
}

/** Facts the title and templates use, passed in by whoever decided the event. */
export interface IncidentFacts {
  /** What is down, in words ("PostgreSQL"); default: the down members' check ids. */
  subject?: string;
  /** Failed automatic recoveries during this incident ("3 recoveries failed"). */
  failedRecoveries?: number;
  /** Who acknowledged (for `incident.acknowledged`). */
  acknowledgedBy?: string;
  /** Why this event happened ("not acknowledged within 15 min", "flapping: 6 changes in 10 min"). */
  reason?: string;
  /** A provider the service depends on reports an incident: "upstream incident: <title> (<provider>)". */
  upstream?: string;
  /** The whole headline after `[L1]` / `[RESOLVED]`, for pages that are no incident's ("monitoring broken: …"). */
  headline?: string;
}

export interface IncidentLinks {
  /**
   * The acknowledge link shown as a button (Slack, Teams), a link (Discord, e-mail, SMS) and
   * PagerDuty link. The escalation work builds it (signed, expiring) and passes it in; without
   * it no acknowledge link is shown.
   */
  acknowledge?: string;
}

export interface IncidentSnapshot {
  id: string;
  serviceId: string;
  title: string;
  level: number;
  openedAt: number;
  resolvedAt: number | null;
  /** Read-model rows, or the escalation state's record keyed by check id. */
  members: MemberFact[] | Record<string, { status: string; reason: string | null; since: number }>;
}

const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());

function memberList(members: IncidentSnapshot["members"]): MemberFact[] {
  if (Array.isArray(members)) return members;
  return Object.entries(members).map(([checkId, m]) => ({ checkId, status: m.status, reason: m.reason, since: m.since }));
}

/** View link: `<publicUrl>/incidents/<id>`, when `publicUrl` is configured. */
export function incidentUrl(config: Pick<VigilConfig, "publicUrl">, incidentId: string): string | undefined {
  return config.publicUrl ? `${config.publicUrl.replace(/\/$/, "")}/incidents/${encodeURIComponent(incidentId)}` : undefined;
}

export function incidentEvent(
  type: IncidentEventType,
  incident: IncidentSnapshot,
  config: VigilConfig,
  now: number,
  extras: { facts?: IncidentFacts; links?: IncidentLinks } = {},
): WebhookEvent {
  const service = config.services.find((s) => s.id === incident.serviceId);
  const facts = Object.fromEntries(Object.entries(extras.facts ?? {}).filter(([, v]) => v !== undefined && v !== null && v !== ""));
  const url = incidentUrl(config, incident.id);
  return {
    type,
    timestamp: new Date(now).toISOString(),
    data: {
      incident: {
        id: incident.id,
        status: type === "incident.resolved" ? "resolved" : "open",
        title: incident.title,
        level: incident.level,
        service: { id: incident.serviceId, name: service?.name ?? incident.serviceId },
        openedAt: iso(incident.openedAt),
        resolvedAt: iso(incident.resolvedAt),
        members: memberList(incident.members).map((m) => ({ check: m.checkId, status: m.status, reason: m.reason, since: iso(m.since) })),
        ...(url && { url }),
        ...(extras.links?.acknowledge &&
          type !== "incident.resolved" &&
          type !== "incident.acknowledged" && { acknowledgeUrl: extras.links.acknowledge }),
        ...(Object.keys(facts).length > 0 && { facts }),
      },
    },
  };
}

/** A `notify` decision of the escalation engine (structurally; see `src/engine/escalation.ts`). */
export interface PageEffect {
  event: IncidentEventType;
  /** Levels whose channels receive it. */
  levels: number[];
  /** The level the incident is at (for titles). */
  level: number;
  /** Stable per occurrence (`<incident>:<event>:L<level>:<n>`); the channel id is appended. Default: `idempotencyKey(...)`. */
  key?: string;
  reason: string | null;
  /** "upstream incident: …" while a provider the service depends on reports one. */
  upstream?: string | undefined;
  /** Exactly these channels instead of the levels' (the acknowledgement and the resolve go to the channels paged). */
  channels?: readonly string[];
}

/** The escalation state's incident (structurally), or any snapshot with these facts. */
export interface PagedIncident extends Omit<IncidentSnapshot, "level"> {
  failedRecoveries?: Record<string, number> | number;
  ack?: { by: string } | null;
}

/**
 * Every queue message for one `notify` effect: one per distinct channel of the effect's levels,
 * in level order. The payload is built now, so retries resend the same bytes.
 */
export function pageMessages(
  effect: PageEffect,
  incident: PagedIncident,
  config: VigilConfig,
  now: number,
  links: IncidentLinks = {},
): NotifyMessage[] {
  const service = config.services.find((s) => s.id === incident.serviceId);
  if (!service) throw new Error(`incident "${incident.id}" names unknown service "${incident.serviceId}"`);
  const policy = config.policies.find((p) => p.id === service.policy);
  if (!policy) throw new Error(`service "${service.id}" names unknown policy "${service.policy}"`);
  const failed =
    typeof incident.failedRecoveries === "number"
      ? incident.failedRecoveries
      : Object.values(incident.failedRecoveries ?? {}).reduce((a, b) => a + b, 0);
  const facts: IncidentFacts = {
    ...(failed > 0 && { failedRecoveries: failed }),
    ...(effect.event === "incident.acknowledged" && incident.ack?.by && { acknowledgedBy: incident.ack.by }),
    ...(effect.reason && { reason: effect.reason }),
    ...(effect.upstream && { upstream: effect.upstream }),
  };
  const event = withHeadline(incidentEvent(effect.event, { ...incident, level: effect.level }, config, now, { facts, links }));
  const channels =
    effect.channels ??
    [...effect.levels].sort((a, b) => a - b).flatMap((level) => policy.levels[Math.min(level, policy.levels.length) - 1]?.channels ?? []);
  const out: NotifyMessage[] = [];
  for (const channelId of new Set(channels)) {
    const key = effect.key ? `${effect.key}:${channelId}` : idempotencyKey(incident.id, effect.level, channelId, effect.event);
    out.push({ key, channelId, incidentId: incident.id, level: effect.level, event });
  }
  return out;
}

/**
 * The event with `data.title`: the line every channel leads with (`[L2] …`, `[L2 ACK] …`,
 * `[RESOLVED] …`, `incidentHeadline`), so a webhook receiver shows what Slack, e-mail and
 * PagerDuty show. `data.incident.title` stays the incident's own title.
 */
export function withHeadline(event: WebhookEvent): WebhookEvent {
  return { ...event, data: { title: incidentHeadline(incidentView(event)), ...event.data } };
}

/** A check's status change, as the evaluator reports it. */
export interface StateChange {
  checkId: string;
  /** Service id, when known. */
  serviceId?: string;
  from: string;
  to: string;
  reason: string | null;
  at: number;
}

export function stateChangeEvent(change: StateChange, config: VigilConfig, now: number): WebhookEvent {
  const service = change.serviceId ? config.services.find((s) => s.id === change.serviceId) : undefined;
  return {
    type: "monitor.state_changed",
    timestamp: new Date(now).toISOString(),
    data: {
      check: {
        id: change.checkId,
        ...(change.serviceId && { service: { id: change.serviceId, name: service?.name ?? change.serviceId } }),
        from: change.from,
        to: change.to,
        reason: change.reason,
        at: new Date(change.at).toISOString(),
      },
    },
  };
}

/**
 * `monitor.state_changed` messages for one status change: every channel that follows the
 * check (a status-page channel with a component that does, a webhook with `stateChanges: true`:
 * each kind's `followsState`).
 */
export function stateChangeMessages(config: VigilConfig, change: StateChange, now: number): NotifyMessage[] {
  const targets = config.channels.filter((c) => channels.followsState(c, change.checkId));
  if (targets.length === 0) return [];
  const event = stateChangeEvent(change, config, now);
  return targets.map((c) => ({ key: stateChangeKey(change.checkId, change.at, c.id), channelId: c.id, incidentId: null, level: 0, event }));
}

/** A state page of the engine (structurally; see `src/engine/state-pages.ts`). */
export interface StatePageNotice {
  event: "incident.opened" | "incident.resolved";
  kind: "unknown" | "degraded";
  checkId: string;
  channels: readonly string[];
  title: string;
  key: string;
  since: number;
  reason: string | null;
}

/**
 * Messages for a state page ("monitoring broken: …", "… degraded for 15 min"): shaped as an
 * incident's page and resolve so every channel renders them, but tied to no incident (no
 * incident row, no status page, no view link: `incidentId` null, no `url`).
 */
export function statePageMessages(notice: StatePageNotice, serviceId: string, config: VigilConfig, now: number): NotifyMessage[] {
  const snapshot: IncidentSnapshot = {
    id: `state_${serviceId}_${notice.checkId}_${notice.kind}_${notice.since.toString(36)}`,
    serviceId,
    title: notice.title,
    level: 1,
    openedAt: notice.since,
    resolvedAt: notice.event === "incident.resolved" ? now : null,
    members: [{ checkId: notice.checkId, status: notice.kind, reason: null, since: notice.since }],
  };
  const facts: IncidentFacts = { headline: notice.title, ...(notice.reason && { reason: notice.reason }) };
  const event = withHeadline(incidentEvent(notice.event, snapshot, { ...config, publicUrl: undefined }, now, { facts }));
  return [...new Set(notice.channels)].map((channelId) => ({
    key: `${notice.key}:${channelId}`,
    channelId,
    incidentId: null,
    level: 1,
    event,
  }));
}
