/**
 * Slack incoming webhook with Block Kit: header (the title), facts, members, acknowledge and
 * view link buttons (incoming webhooks cannot receive button clicks, so buttons are links),
 * and a context line. https://api.slack.com/messaging/webhooks — answers `200 ok`; `400
 * invalid_blocks`, `403 invalid_token`, `404 no_service`, `410 channel_is_archived` are
 * permanent; `429` carries `Retry-After`.
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

/** Slack incoming webhook (Block Kit). The webhook URL is the credential. */
export const slackChannel = z.strictObject({
  id,
  type: z.literal("slack"),
  /** `https://hooks.slack.com/services/…`, named by environment variable. */
  url: secretRef,
  timeout: timeout(),
});
export type SlackChannel = z.infer<typeof slackChannel>;

/** Slack mrkdwn control characters (https://api.slack.com/reference/surfaces/formatting#escaping). */
export const slackEscape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const cut = (s: string, n: number) => (s.length <= n ? s : `${s.slice(0, n - 1)}…`);
const mrkdwn = (text: string) => ({ type: "mrkdwn", text: cut(text, 2000) });
const plain = (text: string, n: number) => ({ type: "plain_text", text: cut(text, n), emoji: true });

/** The Slack message for one event (incident or digest). Pure. */
export function slackMessage(event: WebhookEvent, ctx: RenderContext): { text: string; blocks: unknown[] } {
  if (event.type === "digest.daily") {
    const { title, sections } = digestText(digestFromEvent(event));
    const blocks: unknown[] = [{ type: "header", text: plain(title, 150) }];
    for (const s of sections.slice(0, 23)) {
      blocks.push(
        { type: "divider" },
        {
          type: "section",
          text: { type: "mrkdwn", text: cut(`*${slackEscape(s.heading)}*\n${s.lines.map(slackEscape).join("\n")}`, 3000) },
        },
      );
    }
    return { text: title, blocks };
  }
  const v = incidentView(event);
  const title = incidentHeadline(v);
  const tz = ctx.timezone;
  const fields = [
    mrkdwn(`*Service*\n${slackEscape(v.serviceName)}`),
    mrkdwn(`*Level*\nL${v.level}`),
    mrkdwn(`*Status*\n${statusWord(v)}`),
    mrkdwn(`*Opened*\n${formatLocalTime(v.openedAt, tz)}`),
  ];
  if (v.resolvedAt !== null)
    fields.push(mrkdwn(`*Resolved*\n${formatLocalTime(v.resolvedAt, tz)}`), mrkdwn(`*Duration*\n${formatSpan(v.resolvedAt - v.openedAt)}`));
  const blocks: unknown[] = [
    { type: "header", text: plain(title, 150) },
    { type: "section", fields },
  ];
  const lines = memberLines(v, ctx);
  if (lines.length > 0)
    blocks.push({ type: "section", text: { type: "mrkdwn", text: cut(lines.map((l) => `• ${slackEscape(l)}`).join("\n"), 3000) } });
  if (v.facts.reason) blocks.push({ type: "context", elements: [mrkdwn(slackEscape(v.facts.reason))] });
  const buttons: unknown[] = [];
  if (v.acknowledgeUrl)
    buttons.push({
      type: "button",
      text: plain("Acknowledge", 75),
      style: "primary",
      url: v.acknowledgeUrl,
      action_id: "vigil_acknowledge",
    });
  if (v.url) buttons.push({ type: "button", text: plain("View incident", 75), url: v.url, action_id: "vigil_view" });
  if (buttons.length > 0) blocks.push({ type: "actions", elements: buttons });
  blocks.push({ type: "context", elements: [mrkdwn(`Vigil · ${slackEscape(v.id)} · ${formatLocalTime(v.at, tz)}`)] });
  return { text: title, blocks };
}

export function buildSlackRequest(url: string, event: WebhookEvent, ctx: RenderContext): HttpRequest {
  return {
    method: "POST",
    url,
    headers: { "content-type": "application/json; charset=utf-8" },
    body: JSON.stringify(slackMessage(event, ctx)),
  };
}

export async function sendSlack(channel: SlackChannel, ctx: SendContext): Promise<DeliveryOutcome> {
  const url = reveal(channel.url, ctx.env);
  return deliverHttp(buildSlackRequest(url, ctx.message.event, ctx.render), { timeout: channel.timeout, secrets: [url] });
}

export const slack = channelKind({
  type: "slack",
  schema: slackChannel,
  send: sendSlack,
  incidents: true,
  digest: true,
  followsState: () => false,
});
