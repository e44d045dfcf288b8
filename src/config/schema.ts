/**
 * The Vigil config schema. Types flow from here with `z.infer`; there is no hand-written twin.
 */
import { z } from "zod";
import { duration } from "./duration";

const id = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, "must be lowercase letters, digits, '.', '_' or '-' (1–63 characters)");

/** A secret is never inline: it names an environment variable (a wrangler secret in production). */
export const secretRef = z.strictObject({
  env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, "must be an environment variable name such as SLACK_WEBHOOK_URL"),
});
export type SecretRef = z.infer<typeof secretRef>;

const httpUrl = z.url({ protocol: /^https?$/, error: "Invalid url: expected an http:// or https:// URL" });

/** A status expectation: `200`, `"2xx"` or `"200-299"`. */
const statusExpectation = z.union([
  z.number().int().min(100).max(599),
  z.string().regex(/^([1-5]xx|[1-5]\d\d-[1-5]\d\d)$/, 'expected a status code, "2xx" or a range like "200-299"'),
]);

const monitorBase = {
  id,
  service: id,
  /** How often to probe. Default `1m`. */
  interval: duration({ min: "10s", max: "24h" }).prefault("1m"),
  /** Hard limit for one probe, headers and body together. Default `10s`. */
  timeout: duration({ min: "100ms", max: "60s" }).prefault("10s"),
  /** Consecutive failed probes before the monitor is down. Default 2. */
  failureThreshold: z.number().int().min(1).max(20).default(2),
  /** Consecutive good probes before a down monitor is up again. Default 2. */
  recoveryThreshold: z.number().int().min(1).max(20).default(2),
  /** Set false to keep a monitor in config without running it. */
  enabled: z.boolean().default(true),
};

export const httpMonitor = z.strictObject({
  ...monitorBase,
  type: z.literal("http"),
  url: httpUrl,
  method: z.enum(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]).default("GET"),
  /** Request headers; a value may name a secret (`{ env: "API_TOKEN" }`). */
  headers: z.record(z.string(), z.union([z.string(), secretRef])).default({}),
  body: z.string().max(65_536).optional(),
  /** Accepted status codes. Default `["2xx"]`. */
  expectedStatus: z.array(statusExpectation).min(1).default(["2xx"]),
  /** The body must contain this text. */
  keyword: z.string().min(1).optional(),
  /** Never read more than this many bytes of body. Default 1 MiB. */
  maxBodyBytes: z.number().int().min(1).max(10 * 1024 * 1024).default(1024 * 1024),
});

/** One entry per probe kind; later kinds join this union. */
export const monitorSpec = z.discriminatedUnion("type", [httpMonitor]);
export type MonitorSpec = z.infer<typeof monitorSpec>;
export type HttpMonitor = z.infer<typeof httpMonitor>;

export const webhookChannel = z.strictObject({
  id,
  type: z.literal("webhook"),
  /** Receiver URL; may itself be a secret. */
  url: z.union([httpUrl, secretRef]),
  /** Standard Webhooks signing secret (`whsec_…`), named by environment variable. */
  secret: secretRef,
  /** Per-attempt timeout. Default `10s`. */
  timeout: duration({ min: "1s", max: "30s" }).prefault("10s"),
});

export const channelSpec = z.discriminatedUnion("type", [webhookChannel]);
export type ChannelSpec = z.infer<typeof channelSpec>;
export type WebhookChannel = z.infer<typeof webhookChannel>;

export const policySpec = z.strictObject({
  id,
  levels: z
    .array(
      z.strictObject({
        /** Channel ids notified at this level. */
        channels: z.array(id).min(1),
      }),
    )
    .min(1),
});
export type PolicySpec = z.infer<typeof policySpec>;

export const serviceSpec = z.strictObject({
  id,
  name: z.string().min(1).max(120),
  /** Escalation policy id. */
  policy: id,
  description: z.string().max(500).optional(),
});
export type ServiceSpec = z.infer<typeof serviceSpec>;

export const statusPageSpec = z.strictObject({
  title: z.string().min(1).max(120).default("Status"),
  /** Service ids shown, in order. Default: all. */
  services: z.array(id).optional(),
});

export const configSchema = z
  .strictObject({
    /** IANA time zone used in messages and schedules. Default `UTC`. */
    timezone: z
      .string()
      .refine((tz) => {
        try {
          new Intl.DateTimeFormat("en", { timeZone: tz });
          return true;
        } catch {
          return false;
        }
      }, "unknown IANA time zone")
      .default("UTC"),
    /** Public base URL of this deployment, used for links in notifications. */
    publicUrl: httpUrl.optional(),
    services: z.array(serviceSpec).default([]),
    monitors: z.array(monitorSpec).default([]),
    channels: z.array(channelSpec).default([]),
    policies: z.array(policySpec).default([]),
    statusPage: statusPageSpec.default({ title: "Status" }),
  })
  .superRefine((cfg, ctx) => {
    // Ids are unique within their list, and every reference points at something that exists.
    const ids = (list: { id: string }[], key: string) => {
      const seen = new Set<string>();
      list.forEach((item, i) => {
        if (seen.has(item.id)) ctx.addIssue({ code: "custom", path: [key, i, "id"], message: `duplicate id "${item.id}"` });
        seen.add(item.id);
      });
      return seen;
    };
    const services = ids(cfg.services, "services");
    ids(cfg.monitors, "monitors");
    const channels = ids(cfg.channels, "channels");
    const policies = ids(cfg.policies, "policies");
    const known = (set: Set<string>, what: string, value: string, path: (string | number)[]) => {
      if (!set.has(value)) {
        const list = [...set].map((s) => `"${s}"`).join(", ") || "none defined";
        ctx.addIssue({ code: "custom", path, message: `unknown ${what} "${value}" (known: ${list})` });
      }
    };
    cfg.monitors.forEach((m, i) => known(services, "service", m.service, ["monitors", i, "service"]));
    cfg.services.forEach((s, i) => known(policies, "policy", s.policy, ["services", i, "policy"]));
    cfg.policies.forEach((p, i) =>
      p.levels.forEach((l, j) =>
        l.channels.forEach((c, k) => known(channels, "channel", c, ["policies", i, "levels", j, "channels", k])),
      ),
    );
    cfg.statusPage.services?.forEach((s, i) => known(services, "service", s, ["statusPage", "services", i]));
  });

/** What a user writes (durations as strings, defaults optional). */
export type VigilConfigInput = z.input<typeof configSchema>;
/** The validated config (durations in ms, defaults filled). */
export type VigilConfig = z.infer<typeof configSchema>;
