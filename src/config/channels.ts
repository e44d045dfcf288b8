/**
 * Notification channels: one schema per channel type, joined in `channelSpec`.
 * A URL that is itself a credential (Slack, Discord and Teams webhooks) is only accepted as a
 * secret reference, so it can never end up in the config file, a payload or a log.
 */
import { z } from "zod";
import { id, httpUrl, secretRef } from "./common";
import { duration } from "./duration";

/** Per-attempt timeout. Default `10s`. */
const timeout = () => duration({ min: "1s", max: "30s" }).prefault("10s");

const e164 = z.string().regex(/^\+[1-9]\d{6,14}$/, "expected an E.164 phone number such as +821012345678");
const email = z.email({ error: "expected an e-mail address such as oncall@example.com" });
/** `Name <addr@example.com>` or a bare address, as e-mail APIs accept in `from`. */
const mailbox = z
  .string()
  .regex(/^([^<>]{1,100} <[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+>|[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+)$/, 'expected "Name <addr@example.com>" or an address');

export const webhookChannel = z.strictObject({
  id,
  type: z.literal("webhook"),
  /** Receiver URL; may itself be a secret. */
  url: z.union([httpUrl, secretRef]),
  /** Standard Webhooks signing secret (`whsec_…`), named by environment variable. */
  secret: secretRef,
  /** Also receive `monitor.state_changed` for every check (status-page consumers). Default false. */
  stateChanges: z.boolean().default(false),
  timeout: timeout(),
});

/** Slack incoming webhook (Block Kit). The webhook URL is the credential. */
export const slackChannel = z.strictObject({
  id,
  type: z.literal("slack"),
  /** `https://hooks.slack.com/services/…`, named by environment variable. */
  url: secretRef,
  timeout: timeout(),
});

/** Discord channel webhook (embeds). */
export const discordChannel = z.strictObject({
  id,
  type: z.literal("discord"),
  /** `https://discord.com/api/webhooks/…`, named by environment variable. */
  url: secretRef,
  timeout: timeout(),
});

/** Microsoft Teams incoming webhook / Workflows "post to a channel when a webhook request is received" (Adaptive Card). */
export const teamsChannel = z.strictObject({
  id,
  type: z.literal("teams"),
  url: secretRef,
  timeout: timeout(),
});

/** PagerDuty Events API v2: trigger / acknowledge / resolve with `dedup_key` = incident id. */
export const pagerdutyChannel = z.strictObject({
  id,
  type: z.literal("pagerduty"),
  /** The integration's routing key (32 characters), named by environment variable. */
  routingKey: secretRef,
  /** Events API endpoint. Default `https://events.pagerduty.com/v2/enqueue` (EU: `https://events.eu.pagerduty.com/v2/enqueue`). */
  url: httpUrl.default("https://events.pagerduty.com/v2/enqueue"),
  /** PagerDuty severity per escalation level (index 0 = L1); the last entry covers higher levels. Default `["error", "critical"]`. */
  severities: z.array(z.enum(["critical", "error", "warning", "info"])).min(1).default(["error", "critical"]),
  timeout: timeout(),
});

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
  to: z.array(email).min(1).max(50),
  /** API endpoint. Default `https://api.resend.com/emails`. */
  url: httpUrl.default("https://api.resend.com/emails"),
  timeout: timeout(),
});

/**
 * SMS through a Twilio-compatible Messages API: `POST {baseUrl}/2010-04-01/Accounts/{accountSid}/Messages.json`,
 * form-encoded, HTTP basic auth `accountSid:authToken`. One recipient per channel (one page = one
 * idempotent request); define one channel per person on call.
 */
export const smsChannel = z
  .strictObject({
    id,
    type: z.literal("sms"),
    accountSid: z.string().regex(/^AC[0-9a-zA-Z]{32}$/, "expected a Twilio account SID: 'AC' and 32 characters"),
    authToken: secretRef,
    /** Sending number (E.164); or give `messagingServiceSid`. */
    from: e164.optional(),
    messagingServiceSid: z.string().regex(/^MG[0-9a-zA-Z]{32}$/, "expected a messaging service SID: 'MG' and 32 characters").optional(),
    to: e164,
    /** Default `https://api.twilio.com`; any Twilio-compatible provider's base URL. */
    baseUrl: httpUrl.default("https://api.twilio.com"),
    timeout: timeout(),
  })
  .superRefine((c, ctx) => {
    if ((c.from === undefined) === (c.messagingServiceSid === undefined)) {
      ctx.addIssue({ code: "custom", path: ["from"], message: "give exactly one of from (a phone number) or messagingServiceSid" });
    }
  });

/** Atlassian Statuspage component statuses. */
export const COMPONENT_STATUSES = ["operational", "degraded_performance", "partial_outage", "major_outage"] as const;

/**
 * Atlassian-Statuspage-compatible component updates, driven by monitor state (not by incidents):
 * `PATCH {url}/pages/{pageId}/components/{component}` with `Authorization: OAuth <apiKey>`.
 */
export const statuspageChannel = z.strictObject({
  id,
  type: z.literal("statuspage"),
  pageId: z.string().regex(/^[a-z0-9]{6,32}$/, "expected a Statuspage page id such as 'kctbh9vrtdwd'"),
  apiKey: secretRef,
  /** API base. Default `https://api.statuspage.io/v1`. */
  url: httpUrl.default("https://api.statuspage.io/v1"),
  /** Each component's status follows the checks listed (monitor ids or agent check ids). */
  components: z
    .array(z.strictObject({ component: z.string().regex(/^[a-z0-9]{6,32}$/, "expected a Statuspage component id"), checks: z.array(z.string().min(1)).min(1) }))
    .min(1),
  timeout: timeout(),
});

export const channelSpec = z.discriminatedUnion("type", [
  webhookChannel,
  slackChannel,
  discordChannel,
  teamsChannel,
  pagerdutyChannel,
  emailChannel,
  smsChannel,
  statuspageChannel,
]);
export type ChannelSpec = z.infer<typeof channelSpec>;
export type ChannelType = ChannelSpec["type"];
export type WebhookChannel = z.infer<typeof webhookChannel>;
export type SlackChannel = z.infer<typeof slackChannel>;
export type DiscordChannel = z.infer<typeof discordChannel>;
export type TeamsChannel = z.infer<typeof teamsChannel>;
export type PagerdutyChannel = z.infer<typeof pagerdutyChannel>;
export type EmailChannel = z.infer<typeof emailChannel>;
export type SmsChannel = z.infer<typeof smsChannel>;
export type StatuspageChannel = z.infer<typeof statuspageChannel>;

/** Channel types that can carry incident pages (policy levels) and the daily digest. */
export const INCIDENT_CHANNEL_TYPES = ["webhook", "slack", "discord", "teams", "pagerduty", "email", "sms"] as const satisfies readonly ChannelType[];
export const DIGEST_CHANNEL_TYPES = ["webhook", "slack", "discord", "teams", "email"] as const satisfies readonly ChannelType[];

/**
 * Where channels are used must fit what they can carry: policy levels need incident channels
 * (a status page follows monitor state, not incidents), the digest needs one that can show a
 * report. Reads the raw config defensively, like the other cross-reference checks.
 */
export function channelUseIssues(raw: Record<string, unknown>): { path: (string | number)[]; message: string }[] {
  const out: { path: (string | number)[]; message: string }[] = [];
  const channels = Array.isArray(raw.channels) ? (raw.channels as { id?: unknown; type?: unknown }[]) : [];
  const typeOf = new Map(channels.filter((c) => c && typeof c.id === "string").map((c) => [c.id as string, c.type]));
  const policies = Array.isArray(raw.policies) ? (raw.policies as { levels?: unknown }[]) : [];
  policies.forEach((p, i) => {
    if (!p || !Array.isArray(p.levels)) return;
    p.levels.forEach((l: { channels?: unknown }, j) => {
      if (!l || !Array.isArray(l.channels)) return;
      l.channels.forEach((c, k) => {
        const type = typeOf.get(c as string);
        if (typeof type === "string" && !(INCIDENT_CHANNEL_TYPES as readonly string[]).includes(type)) {
          out.push({ path: ["policies", i, "levels", j, "channels", k], message: `channel "${c}" is a ${type} channel, which follows monitor state and cannot take incident pages (expected one of ${INCIDENT_CHANNEL_TYPES.join(", ")})` });
        }
      });
    });
  });
  const digest = raw.digest as { channel?: unknown; services?: unknown } | undefined;
  if (digest && typeof digest === "object") {
    if (typeof digest.channel === "string") {
      const type = typeOf.get(digest.channel);
      if (type === undefined) out.push({ path: ["digest", "channel"], message: `unknown channel "${digest.channel}" (known: ${[...typeOf.keys()].map((s) => `"${s}"`).join(", ") || "none defined"})` });
      else if (!(DIGEST_CHANNEL_TYPES as readonly unknown[]).includes(type)) out.push({ path: ["digest", "channel"], message: `channel "${digest.channel}" is a ${String(type)} channel, which cannot carry the digest (expected one of ${DIGEST_CHANNEL_TYPES.join(", ")})` });
    }
    const services = new Set((Array.isArray(raw.services) ? (raw.services as { id?: unknown }[]) : []).map((s) => s?.id));
    if (Array.isArray(digest.services)) {
      digest.services.forEach((s, i) => {
        if (typeof s === "string" && !services.has(s)) out.push({ path: ["digest", "services", i], message: `unknown service "${s}"` });
      });
    }
  }
  return out;
}
