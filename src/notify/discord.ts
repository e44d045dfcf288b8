/**
 * Discord channel webhook: one embed per event. https://discord.com/developers/docs/resources/webhook#execute-webhook
 * Answers `204`; `429` with `Retry-After` (fractional seconds) and `retry_after` in the body.
 * Mentions are disabled (`allowed_mentions.parse = []`) so a check name cannot ping @everyone.
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

/** Discord channel webhook (embeds). */
export const discordChannel = z.strictObject({
  id,
  type: z.literal("discord"),
  /** `https://discord.com/api/webhooks/…`, named by environment variable. */
  url: secretRef,
  timeout: timeout(),
});
export type DiscordChannel = z.infer<typeof discordChannel>;

const cut = (s: string, n: number) => (s.length <= n ? s : `${s.slice(0, n - 1)}…`);
/** Embed colours: red open, orange escalated, yellow acknowledged, green resolved, blue digest. */
const COLOURS = { open: 0xd93025, escalated: 0xe8710a, acknowledged: 0xf9ab00, resolved: 0x188038, digest: 0x1a73e8 } as const;

export function discordMessage(event: WebhookEvent, ctx: RenderContext): Record<string, unknown> {
  const base = { username: "Vigil", allowed_mentions: { parse: [] as string[] } };
  if (event.type === "digest.daily") {
    const { title, sections } = digestText(digestFromEvent(event));
    return {
      ...base,
      embeds: [
        {
          title: cut(title, 256),
          color: COLOURS.digest,
          fields: sections.slice(0, 25).map((s) => ({ name: cut(s.heading, 256), value: cut(s.lines.join("\n"), 1024) })),
        },
      ],
    };
  }
  const v = incidentView(event);
  const tz = ctx.timezone;
  const links = [v.acknowledgeUrl && `[Acknowledge](${v.acknowledgeUrl})`, v.url && `[View incident](${v.url})`]
    .filter(Boolean)
    .join(" · ");
  const description = [...memberLines(v, ctx), v.facts.reason ?? "", links].filter((l) => l !== "").join("\n");
  const color =
    v.type === "incident.resolved"
      ? COLOURS.resolved
      : v.type === "incident.acknowledged"
        ? COLOURS.acknowledged
        : v.type === "incident.escalated"
          ? COLOURS.escalated
          : COLOURS.open;
  const fields = [
    { name: "Service", value: cut(v.serviceName, 1024), inline: true },
    { name: "Level", value: `L${v.level}`, inline: true },
    { name: "Status", value: statusWord(v), inline: true },
    { name: "Opened", value: formatLocalTime(v.openedAt, tz), inline: true },
  ];
  if (v.resolvedAt !== null) fields.push({ name: "Duration", value: formatSpan(v.resolvedAt - v.openedAt), inline: true });
  return {
    ...base,
    embeds: [
      {
        title: cut(incidentHeadline(v), 256),
        ...(v.url && { url: v.url }),
        description: cut(description, 4096),
        color,
        fields,
        footer: { text: `Vigil · ${v.id}` },
        timestamp: new Date(v.at).toISOString(),
      },
    ],
  };
}

export function buildDiscordRequest(url: string, event: WebhookEvent, ctx: RenderContext): HttpRequest {
  return { method: "POST", url, headers: { "content-type": "application/json" }, body: JSON.stringify(discordMessage(event, ctx)) };
}

export async function sendDiscord(channel: DiscordChannel, ctx: SendContext): Promise<DeliveryOutcome> {
  const url = reveal(channel.url, ctx.env);
  return deliverHttp(buildDiscordRequest(url, ctx.message.event, ctx.render), { timeout: channel.timeout, secrets: [url] });
}

export const discord = channelKind({
  type: "discord",
  schema: discordChannel,
  send: sendDiscord,
  incidents: true,
  digest: true,
  followsState: () => false,
});
