/**
 * PagerDuty Events API v2 (https://developer.pagerduty.com/docs/events-api-v2/overview/):
 * `POST /v2/enqueue` with `{ routing_key, event_action, dedup_key, payload, links, client, client_url }`.
 * `dedup_key` is the incident id, so opened → trigger, escalated / reminder → trigger again (the
 * same alert is updated, not duplicated), acknowledged → acknowledge, resolved → resolve.
 * Answers `202 { status: "success", dedup_key }`; `400` is a malformed event (permanent);
 * `429` and `5xx` are retried.
 */
import { z } from "zod";
import { httpUrl, id, reveal, secretRef } from "../config/common";
import { timeout } from "../config/channels";
import { channelKind, type SendContext } from "./kind";
import { formatLocalTime, incidentHeadline, incidentView, memberLines, type RenderContext } from "./content";
import { deliverHttp, type HttpRequest } from "./http";
import type { WebhookEvent } from "./message";
import type { DeliveryOutcome } from "./outcome";

/** PagerDuty Events API v2: trigger / acknowledge / resolve with `dedup_key` = incident id. */
export const pagerdutyChannel = z.strictObject({
  id,
  type: z.literal("pagerduty"),
  /** The integration's routing key (32 characters), named by environment variable. */
  routingKey: secretRef,
  /** Events API endpoint. Default `https://events.pagerduty.com/v2/enqueue` (EU: `https://events.eu.pagerduty.com/v2/enqueue`). */
  url: httpUrl.default("https://events.pagerduty.com/v2/enqueue"),
  /** PagerDuty severity per escalation level (index 0 = L1); the last entry covers higher levels. Default `["error", "critical"]`. */
  severities: z
    .array(z.enum(["critical", "error", "warning", "info"]))
    .min(1)
    .default(["error", "critical"]),
  timeout: timeout(),
});
export type PagerdutyChannel = z.infer<typeof pagerdutyChannel>;

export type PagerdutyAction = "trigger" | "acknowledge" | "resolve";

export function pagerdutyAction(eventType: string): PagerdutyAction {
  if (eventType === "incident.acknowledged") return "acknowledge";
  if (eventType === "incident.resolved") return "resolve";
  return "trigger";
}

/** The Events v2 body for one incident event. Pure; the routing key is the only secret in it. */
export function pagerdutyEvent(
  channel: Pick<PagerdutyChannel, "severities">,
  routingKey: string,
  event: WebhookEvent,
  ctx: RenderContext,
): Record<string, unknown> {
  const v = incidentView(event);
  const action = pagerdutyAction(v.type);
  const base = { routing_key: routingKey, event_action: action, dedup_key: v.id };
  if (action !== "trigger") return base;
  const severity = channel.severities[Math.min(v.level, channel.severities.length) - 1];
  const links = [
    ...(v.url ? [{ href: v.url, text: "View incident" }] : []),
    ...(v.acknowledgeUrl ? [{ href: v.acknowledgeUrl, text: "Acknowledge in Vigil" }] : []),
  ];
  return {
    ...base,
    payload: {
      summary: incidentHeadline(v).slice(0, 1024),
      source: v.serviceId,
      severity,
      timestamp: new Date(v.openedAt).toISOString(),
      component: v.members.find((m) => m.status === "down")?.check ?? v.members[0]?.check ?? v.serviceId,
      group: v.serviceId,
      class: v.type,
      custom_details: {
        level: v.level,
        service: v.serviceName,
        opened: formatLocalTime(v.openedAt, ctx.timezone),
        members: memberLines(v, ctx),
        ...(v.facts.failedRecoveries !== undefined && { failed_recoveries: v.facts.failedRecoveries }),
        ...(v.facts.reason && { reason: v.facts.reason }),
      },
    },
    client: "Vigil",
    ...(v.url && { client_url: v.url }),
    ...(links.length > 0 && { links }),
  };
}

export function buildPagerdutyRequest(channel: PagerdutyChannel, routingKey: string, event: WebhookEvent, ctx: RenderContext): HttpRequest {
  return {
    method: "POST",
    url: channel.url,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(pagerdutyEvent(channel, routingKey, event, ctx)),
  };
}

export async function sendPagerduty(channel: PagerdutyChannel, ctx: SendContext): Promise<DeliveryOutcome> {
  const key = reveal(channel.routingKey, ctx.env);
  return deliverHttp(buildPagerdutyRequest(channel, key, ctx.message.event, ctx.render), { timeout: channel.timeout, secrets: [key] });
}

export const pagerduty = channelKind({
  type: "pagerduty",
  schema: pagerdutyChannel,
  send: sendPagerduty,
  incidents: true,
  digest: false,
  followsState: () => false,
});
