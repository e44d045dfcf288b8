/**
 * The Vigil config schema. Types flow from here with `z.infer`; there is no hand-written twin.
 * Each concern has its own file (monitors, channels, …); this one joins them and checks
 * the references between them.
 */
import { z } from "zod";
import { channelSpec } from "./channels";
import { httpUrl, id } from "./common";
import { monitorSpec } from "./monitors";
import { agentSpec } from "./agents";
import { jobSpec } from "./heartbeats";

export * from "./channels";
export * from "./common";
export * from "./monitors";
export * from "./agents";
export * from "./heartbeats";

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
    /** Host agents that push signed reports. */
    agents: z.array(agentSpec).default([]),
    /** Jobs that ping `/ping/:key` (cron jobs, backups). */
    jobs: z.array(jobSpec).default([]),
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
    ids(cfg.agents, "agents");
    ids(cfg.jobs, "jobs");
    const channels = ids(cfg.channels, "channels");
    const policies = ids(cfg.policies, "policies");
    const known = (set: Set<string>, what: string, value: string, path: (string | number)[]) => {
      if (!set.has(value)) {
        const list = [...set].map((s) => `"${s}"`).join(", ") || "none defined";
        ctx.addIssue({ code: "custom", path, message: `unknown ${what} "${value}" (known: ${list})` });
      }
    };
    cfg.monitors.forEach((m, i) => known(services, "service", m.service, ["monitors", i, "service"]));
    cfg.agents.forEach((a, i) => known(services, "service", a.service, ["agents", i, "service"]));
    cfg.jobs.forEach((j, i) => known(services, "service", j.service, ["jobs", i, "service"]));
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
