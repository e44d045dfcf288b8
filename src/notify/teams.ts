/**
 * Microsoft Teams: an Adaptive Card (schema 1.4) in a `message` envelope, the shape both the
 * Workflows "When a Teams webhook request is received" trigger and the older incoming-webhook
 * connector accept. Answers `200`/`202`.
 */
import { z } from "zod";
import { id, reveal, secretRef } from "../config/common";
import { timeout } from "../config/channels";
import { channelKind, type SendContext } from "./kind";
import { formatLocalTime, formatSpan, incidentHeadline, incidentView, memberLines, statusWord, type RenderContext } from "./content";
import { digestFromEvent, digestText } from "./digest";
import { deliverHttp, type HttpRequest } from "./http";
import type { WebhookEvent } from "./message";
import type { DeliveryOutcome } from "./outcome";

/** Microsoft Teams incoming webhook / Workflows "post to a channel when a webhook request is received" (Adaptive Card). */
export const teamsChannel = z.strictObject({
  id,
  type: z.literal("teams"),
  url: secretRef,
  timeout: timeout(),
});
export type TeamsChannel = z.infer<typeof teamsChannel>;

const card = (body: unknown[], actions: unknown[]) => ({
  type: "message",
  attachments: [
    {
      contentType: "application/vnd.microsoft.card.adaptive",
      contentUrl: null,
      content: {
        $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
        type: "AdaptiveCard",
        version: "1.4",
        body,
        ...(actions.length > 0 && { actions }),
      },
    },
  ],
});

export function teamsMessage(event: WebhookEvent, ctx: RenderContext): Record<string, unknown> {
  if (event.type === "digest.daily") {
    const { title, sections } = digestText(digestFromEvent(event));
    const body: unknown[] = [{ type: "TextBlock", text: title, weight: "Bolder", size: "Large", wrap: true }];
    for (const s of sections)
      body.push(
        { type: "TextBlock", text: s.heading, weight: "Bolder", separator: true, wrap: true },
        { type: "TextBlock", text: s.lines.join("\n\n"), wrap: true },
      );
    return card(body, []);
  }
  const v = incidentView(event);
  const tz = ctx.timezone;
  const facts = [
    { title: "Service", value: v.serviceName },
    { title: "Level", value: `L${v.level}` },
    { title: "Status", value: statusWord(v) },
    { title: "Opened", value: formatLocalTime(v.openedAt, tz) },
  ];
  if (v.resolvedAt !== null) facts.push({ title: "Duration", value: formatSpan(v.resolvedAt - v.openedAt) });
  const body: unknown[] = [
    {
      type: "TextBlock",
      text: incidentHeadline(v),
      weight: "Bolder",
      size: "Medium",
      wrap: true,
      color: v.type === "incident.resolved" ? "Good" : "Attention",
    },
    { type: "FactSet", facts },
  ];
  const lines = memberLines(v, ctx);
  if (lines.length > 0) body.push({ type: "TextBlock", text: lines.map((l) => `- ${l}`).join("\n"), wrap: true });
  if (v.facts.reason) body.push({ type: "TextBlock", text: v.facts.reason, isSubtle: true, wrap: true });
  const actions: unknown[] = [];
  if (v.acknowledgeUrl) actions.push({ type: "Action.OpenUrl", title: "Acknowledge", url: v.acknowledgeUrl });
  if (v.url) actions.push({ type: "Action.OpenUrl", title: "View incident", url: v.url });
  return card(body, actions);
}

export function buildTeamsRequest(url: string, event: WebhookEvent, ctx: RenderContext): HttpRequest {
  return { method: "POST", url, headers: { "content-type": "application/json" }, body: JSON.stringify(teamsMessage(event, ctx)) };
}

export async function sendTeams(channel: TeamsChannel, ctx: SendContext): Promise<DeliveryOutcome> {
  const url = reveal(channel.url, ctx.env);
  return deliverHttp(buildTeamsRequest(url, ctx.message.event, ctx.render), { timeout: channel.timeout, secrets: [url] });
}

export const teams = channelKind({
  type: "teams",
  schema: teamsChannel,
  send: sendTeams,
  incidents: true,
  digest: true,
  followsState: () => false,
});
