/**
 * E-mail through Resend's HTTP API (https://resend.com/docs/api-reference/emails/send-email):
 * `POST https://api.resend.com/emails`, `Authorization: Bearer re_…`, JSON
 * `{ from, to: [..], subject, text, html }`, and `Idempotency-Key: <delivery key>` so a retried
 * request after a lost answer is not sent twice (Resend keeps keys 24 h). Answers `200 { id }`;
 * `409` (concurrent request with the same key) and `429`/`5xx` are retried; other `4xx` are permanent.
 */
import { z } from "zod";
import { httpUrl, id, reveal, secretRef } from "../config/common";
import { emailAddress, mailbox, timeout } from "../config/channels";
import { channelKind, type SendContext } from "./kind";
import { formatLocalTime, formatSpan, incidentHeadline, incidentView, memberLines, statusWord, type RenderContext } from "./content";
import { digestFromEvent, digestText } from "./digest";
import { deliverHttp, type HttpRequest } from "./http";
import type { WebhookEvent } from "./message";
import type { DeliveryOutcome } from "./outcome";

/** E-mail through Resend's HTTP API (`POST /emails`, Bearer key, JSON). */
export const emailChannel = z.strictObject({
  id,
  type: z.literal("email"),
  /** The request shape spoken. Only `resend` today. */
  provider: z.literal("resend").default("resend"),
  /** API key (`re_…`), named by environment variable. */
  apiKey: secretRef,
  /** Sender, on a domain verified with the provider: `"Vigil <alerts@example.com>"`. */
  from: mailbox,
  to: z.array(emailAddress).min(1).max(50),
  /** API endpoint. Default `https://api.resend.com/emails`. */
  url: httpUrl.default("https://api.resend.com/emails"),
  timeout: timeout(),
});
export type EmailChannel = z.infer<typeof emailChannel>;

export const htmlEscape = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");

/** Subject, plain text and HTML of one event. Pure. */
export function emailContent(event: WebhookEvent, ctx: RenderContext): { subject: string; text: string; html: string } {
  if (event.type === "digest.daily") {
    const { title, sections } = digestText(digestFromEvent(event));
    const text = [title, "", ...sections.flatMap((s) => [s.heading, ...s.lines.map((l) => `  ${l}`), ""])].join("\n");
    const html = `<h2>${htmlEscape(title)}</h2>${sections.map((s) => `<h3>${htmlEscape(s.heading)}</h3><ul>${s.lines.map((l) => `<li>${htmlEscape(l.trim())}</li>`).join("")}</ul>`).join("")}`;
    return { subject: title, text, html };
  }
  const v = incidentView(event);
  const tz = ctx.timezone;
  const subject = incidentHeadline(v);
  const facts: [string, string][] = [
    ["Service", v.serviceName],
    ["Level", `L${v.level}`],
    ["Status", statusWord(v)],
    ["Opened", formatLocalTime(v.openedAt, tz)],
  ];
  if (v.resolvedAt !== null)
    facts.push(["Resolved", formatLocalTime(v.resolvedAt, tz)], ["Duration", formatSpan(v.resolvedAt - v.openedAt)]);
  if (v.facts.reason) facts.push(["Why", v.facts.reason]);
  const members = memberLines(v, ctx);
  const links: [string, string][] = [];
  if (v.acknowledgeUrl) links.push(["Acknowledge", v.acknowledgeUrl]);
  if (v.url) links.push(["View incident", v.url]);
  const text = [
    subject,
    "",
    ...facts.map(([k, x]) => `${k}: ${x}`),
    ...(members.length > 0 ? ["", "Checks:", ...members.map((m) => `  - ${m}`)] : []),
    ...(links.length > 0 ? ["", ...links.map(([k, u]) => `${k}: ${u}`)] : []),
    "",
    `Vigil · ${v.id}`,
  ].join("\n");
  const html = [
    `<h2>${htmlEscape(subject)}</h2>`,
    `<table>${facts.map(([k, x]) => `<tr><th align="left">${htmlEscape(k)}</th><td>${htmlEscape(x)}</td></tr>`).join("")}</table>`,
    members.length > 0 ? `<ul>${members.map((m) => `<li>${htmlEscape(m)}</li>`).join("")}</ul>` : "",
    links.length > 0 ? `<p>${links.map(([k, u]) => `<a href="${htmlEscape(u)}">${htmlEscape(k)}</a>`).join(" · ")}</p>` : "",
    `<p style="color:#666">Vigil · ${htmlEscape(v.id)}</p>`,
  ].join("");
  return { subject, text, html };
}

export function buildEmailRequest(
  channel: EmailChannel,
  apiKey: string,
  key: string,
  event: WebhookEvent,
  ctx: RenderContext,
): HttpRequest {
  const { subject, text, html } = emailContent(event, ctx);
  return {
    method: "POST",
    url: channel.url,
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json", "idempotency-key": key.slice(0, 256) },
    body: JSON.stringify({ from: channel.from, to: channel.to, subject, text, html }),
  };
}

export async function sendEmail(channel: EmailChannel, ctx: SendContext): Promise<DeliveryOutcome> {
  const apiKey = reveal(channel.apiKey, ctx.env);
  return deliverHttp(buildEmailRequest(channel, apiKey, ctx.message.key, ctx.message.event, ctx.render), {
    timeout: channel.timeout,
    secrets: [apiKey],
    classify: (status) => (status === 409 ? { kind: "retryable", error: "receiver answered 409", httpStatus: status } : undefined),
  });
}

export const email = channelKind({
  type: "email",
  schema: emailChannel,
  send: sendEmail,
  incidents: true,
  digest: true,
  followsState: () => false,
});
