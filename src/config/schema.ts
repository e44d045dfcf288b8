/**
 * The Vigil config schema. Types flow from here with `z.infer`; there is no hand-written twin.
 * Each concern has its own file (monitors, channels, …); this one joins them and checks
 * the references between them.
 */
import { z } from "zod";
import { isTimeZone } from "../../lib/time-zone";
import { channelUseIssues } from "./channels";
import { DIGEST_CHANNEL_TYPES, INCIDENT_CHANNEL_TYPES, channelSpec } from "../notify/kinds";
import { digestSpec } from "./digest";
import { httpUrl, id, secretRef } from "./common";
import { monitorSpec } from "../probes/kinds";
import { agentSpec } from "./agents";
import { jobSpec } from "./heartbeats";
import { maintenanceSpec, policySpec, serviceSpec } from "./policies";
import { upstreamSpec } from "./upstreams";
import { telemetrySpec } from "./telemetry";
import { agentLocation } from "../contract/report-constants";

// A kind's own type (HttpMonitor, SlackChannel, …) is imported from its file in src/probes or src/notify.
export * from "./channels";
export { channelSpec, INCIDENT_CHANNEL_TYPES, DIGEST_CHANNEL_TYPES, type ChannelSpec, type ChannelType } from "../notify/kinds";
export * from "./digest";
export * from "./common";
export * from "./monitors";
export { monitorSpec, type MonitorSpec } from "../probes/kinds";
export * from "./agents";
export * from "./heartbeats";
export * from "./envelope";
export * from "./upstreams";
export * from "./policies";
export * from "./telemetry";

export const statusPageSpec = z.strictObject({
  title: z.string().min(1).max(120).default("Status"),
  /** Service ids shown, in order. Default: all. */
  services: z.array(id).optional(),
  /**
   * Makes the page private: the page, `/status.json`, badges and the feed then need this
   * token (`?token=`, a Bearer header, or the cookie the page sets). Default: public.
   */
  token: secretRef.optional(),
});

export const configSchema = z
  .strictObject({
    /** IANA time zone used in messages and schedules. Default `UTC`. */
    timezone: z.string().refine(isTimeZone, "unknown IANA time zone").default("UTC"),
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
    /** The daily digest (optional). */
    digest: digestSpec.optional(),
    /** Planned maintenance: no pages for the listed services while a window lasts. */
    maintenance: z.array(maintenanceSpec).default([]),
    /** Providers' public status pages (Statuspage JSON) that services depend on (`services[].upstreams`). */
    upstreams: z.array(upstreamSpec).max(50).default([]),
    statusPage: statusPageSpec.default({ title: "Status" }),
    /** Exporting probe runs as OpenTelemetry spans (optional). */
    telemetry: telemetrySpec.optional(),
  })
  // Cross references are checked even when other fields failed, so one run shows every
  // problem; the check therefore reads the raw (possibly partial) value defensively.
  .superRefine(
    (cfg, ctx) => {
      const raw = cfg as unknown as Record<string, unknown>;
      const list = (key: string): Record<string, unknown>[] => {
        const v = raw[key];
        return Array.isArray(v) ? v.filter((x) => x && typeof x === "object") : [];
      };
      const ids = (key: string) => {
        const seen = new Set<string>();
        list(key).forEach((item, i) => {
          if (typeof item.id !== "string") return;
          if (seen.has(item.id)) ctx.addIssue({ code: "custom", path: [key, i, "id"], message: `duplicate id "${item.id}"` });
          seen.add(item.id);
        });
        return seen;
      };
      const known = (set: Set<string>, what: string, value: unknown, path: (string | number)[]) => {
        if (typeof value === "string" && !set.has(value)) {
          const names = [...set].map((s) => `"${s}"`).join(", ") || "none defined";
          ctx.addIssue({ code: "custom", path, message: `unknown ${what} "${value}" (known: ${names})` });
        }
      };
      const services = ids("services");
      const channels = ids("channels");
      const policies = ids("policies");
      ids("monitors");
      const agents = new Set([...ids("agents")].map(agentLocation));
      ids("jobs");
      ids("maintenance");
      const upstreams = ids("upstreams");
      list("monitors").forEach((m, i) => {
        if (Array.isArray(m.locations)) m.locations.forEach((l, k) => known(agents, "location", l, ["monitors", i, "locations", k]));
      });
      for (const key of ["monitors", "agents", "jobs"]) {
        list(key).forEach((item, i) => known(services, "service", item.service, [key, i, "service"]));
      }
      list("services").forEach((s, i) => {
        known(policies, "policy", s.policy, ["services", i, "policy"]);
        if (Array.isArray(s.dependsOn)) s.dependsOn.forEach((d, k) => known(services, "service", d, ["services", i, "dependsOn", k]));
        if (Array.isArray(s.upstreams)) s.upstreams.forEach((d, k) => known(upstreams, "upstream", d, ["services", i, "upstreams", k]));
      });
      list("maintenance").forEach((m, i) => {
        if (Array.isArray(m.services)) m.services.forEach((d, k) => known(services, "service", d, ["maintenance", i, "services", k]));
      });
      list("policies").forEach((p, i) => {
        for (const field of ["monitoringBroken", "degraded"]) {
          const rule = p[field] as { channels?: unknown } | undefined;
          if (rule && Array.isArray(rule.channels))
            rule.channels.forEach((c, k) => known(channels, "channel", c, ["policies", i, field, "channels", k]));
        }
        if (!Array.isArray(p.levels)) return;
        p.levels.forEach((l: { channels?: unknown }, j) => {
          if (Array.isArray(l?.channels))
            l.channels.forEach((c, k) => known(channels, "channel", c, ["policies", i, "levels", j, "channels", k]));
          if (j === 0 && l && typeof l === "object" && "after" in l)
            ctx.addIssue({
              code: "custom",
              path: ["policies", i, "levels", 0, "after"],
              message: "the first level is notified when the incident opens (after groupWait); `after` applies from level 2 on",
            });
        });
      });
      list("policies").forEach((p, i) => {
        if (typeof p.upstreamLevel === "number" && Array.isArray(p.levels) && p.upstreamLevel > p.levels.length) {
          const message = `must be at most the number of levels (${p.levels.length}), got ${p.upstreamLevel}`;
          ctx.addIssue({ code: "custom", path: ["policies", i, "upstreamLevel"], message });
        }
      });
      const carry = { incidents: INCIDENT_CHANNEL_TYPES, digest: DIGEST_CHANNEL_TYPES };
      for (const issue of channelUseIssues(raw, carry)) ctx.addIssue({ code: "custom", ...issue });
      const page = raw.statusPage as { services?: unknown } | undefined;
      if (Array.isArray(page?.services)) page.services.forEach((s, i) => known(services, "service", s, ["statusPage", "services", i]));
    },
    { when: () => true },
  );

/** What a user writes (durations as strings, defaults optional). */
export type VigilConfigInput = z.input<typeof configSchema>;
/** The validated config (durations in ms, defaults filled). */
export type VigilConfig = z.infer<typeof configSchema>;
