/** What travels on the notification queue: one message per (incident, level, channel, event). */
export interface NotifyMessage {
  /** Idempotency key: `${incidentId}:${level}:${channelId}:${event}` (or an occurrence key + channel); also the webhook-id. */
  key: string;
  channelId: string;
  /** Null for messages that belong to no incident (monitor state changes, the daily digest). */
  incidentId: string | null;
  level: number;
  /** The event as sent (its payload is built when the message is queued, so retries resend the same bytes). */
  event: WebhookEvent;
  /** Set by the consumer while the message waits behind an earlier one (ms it started waiting). */
  heldSince?: number;
}

/** Standard Webhooks payload shape: `{ type, timestamp, data }`. */
export interface WebhookEvent {
  type: string;
  timestamp: string;
  data: Record<string, unknown>;
}

/** Incident events, in the order they happen to an incident. */
export const INCIDENT_EVENT_TYPES = [
  "incident.opened",
  "incident.escalated",
  "incident.repeated",
  "check.flapping",
  "incident.acknowledged",
  "incident.resolved",
] as const;
export type IncidentEventType = (typeof INCIDENT_EVENT_TYPES)[number];
export type NotifyEventType = IncidentEventType | "monitor.state_changed" | "digest.daily";

export function idempotencyKey(incidentId: string, level: number, channelId: string, event: string): string {
  return `${incidentId}:${level}:${channelId}:${event}`;
}

/** Key of a monitor state change for one channel: the same change never updates a status page twice. */
export function stateChangeKey(checkId: string, at: number, channelId: string): string {
  return `state:${checkId}:${at}:${channelId}`;
}

/** Key of the daily digest for one local date. */
export function digestKey(localDate: string, channelId: string): string {
  return `digest:${localDate}:${channelId}`;
}
