/** What travels on the notification queue: one message per (incident, level, channel, event). */
export interface NotifyMessage {
  /** Idempotency key: `${incidentId}:${level}:${channelId}:${event}`; also the webhook-id. */
  key: string;
  channelId: string;
  incidentId: string;
  level: number;
  /** The event as sent (its payload is built when the message is queued, so retries resend the same bytes). */
  event: WebhookEvent;
}

/** Standard Webhooks payload shape: `{ type, timestamp, data }`. */
export interface WebhookEvent {
  type: string;
  timestamp: string;
  data: Record<string, unknown>;
}

export function idempotencyKey(incidentId: string, level: number, channelId: string, event: string): string {
  return `${incidentId}:${level}:${channelId}:${event}`;
}
