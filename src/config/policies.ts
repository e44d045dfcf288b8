/**
 * Escalation policies, services and their dependencies, silences' and maintenance windows'
 * config shapes. The runbook's rules are conditions, not only timers:
 * L1 → L2 after 3 failed recoveries, a data-loss risk or a suspected breach;
 * L2 → L3 after 30 minutes of outage, a failed database recovery, or several containers failing.
 */
import { z } from "zod";
import { isTimeZone } from "../../lib/time-zone";
import { id } from "./common";
import { nextCronRun } from "../engine/cron";
import { duration } from "./duration";

/** Manual flags set through the API; each may be a condition. */
export const incidentFlag = z.enum(["data-loss-risk", "security"]);
export type IncidentFlag = z.infer<typeof incidentFlag>;

/** Stars one check glob may hold: enough for `agent:*:docker:*`, few enough to match quickly. */
export const MAX_GLOB_STARS = 8;

/**
 * A glob over check ids (a monitor id, `agent:<agent>:<check>`, `agent:<agent>:heartbeat` or
 * `ping:<job>`), `*` for any run of characters: printable ASCII, at most 200 characters and
 * {@link MAX_GLOB_STARS} stars.
 */
export const checkGlob = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[\x21-\x7e]+$/, "printable ASCII without spaces only")
  .superRefine((g, ctx) => {
    const stars = g.split("*").length - 1;
    if (stars > MAX_GLOB_STARS) ctx.addIssue({ code: "custom", message: `at most ${MAX_GLOB_STARS} '*', got ${stars}` });
  });
const checkId = checkGlob;

/** Any one condition escalates at once. */
export const escalationCondition = z.union([
  z.strictObject({
    /** Failed automatic recoveries reported during this incident ≥ n (optionally only of checks matching the glob `check`, e.g. `agent:*:postgres`). */
    failedRecoveries: z.number().int().min(1),
    check: checkId.optional(),
  }),
  z.strictObject({ /** The incident has been open this long. */ outageFor: duration({ min: "1s", max: "30d" }) }),
  z.strictObject({
    /** Members down at the same time ≥ n (optionally only of one kind, e.g. `docker`). */
    failingMembers: z.number().int().min(1),
    kind: z.string().min(1).max(40).optional(),
  }),
  z.strictObject({ /** A check matching this glob (`agent:*:postgres`) is down. */ checkDown: checkId }),
  z.strictObject({ /** A person set this flag on the incident. */ flag: incidentFlag }),
]);
export type EscalationCondition = z.infer<typeof escalationCondition>;

export const policyLevel = z.strictObject({
  /** Channel ids notified at this level. */
  channels: z.array(id).min(1),
  /** Escalate to this level this long after the previous level was notified (unacknowledged). */
  after: duration({ min: "0s", max: "7d" }).optional(),
  /** Escalate to this level at once when any of these holds. */
  when: z.array(escalationCondition).default([]),
});
export type PolicyLevel = z.infer<typeof policyLevel>;

/** A page for a check held in one state (unknown, degraded) this long: to `channels`, never an incident. */
export const statePage = z.strictObject({
  /** Page once the check has been in the state this long. */
  after: duration({ min: "0s", max: "7d" }),
  /** Channel ids paged; the resolve goes to the same ones when the check leaves the state. */
  channels: z.array(id).min(1),
});
export type StatePage = z.infer<typeof statePage>;

export const policySpec = z.strictObject({
  id,
  levels: z.array(policyLevel).min(1).max(10),
  /** Wait this long after an incident opens before the first page, so causes and effects
   *  arriving together are grouped and dependency inhibition can see the root cause. */
  groupWait: duration({ min: "0s", max: "10m" }).prefault("10s"),
  /** Re-notify the current level this often until someone acknowledges. */
  repeat: duration({ min: "1s", max: "7d" }).optional(),
  /** A check failing again this soon after the incident resolved reopens the same incident. */
  reopenWithin: duration({ min: "0s", max: "1d" }).prefault("5m"),
  /**
   * While an upstream of the service (`services[].upstreams`) reports an incident, pages go at
   * most to this level and say "upstream incident: <title>". Default 0: nobody is paged, the
   * incident's timeline says why.
   */
  upstreamLevel: z.number().int().min(0).max(10).default(0),
  /**
   * Page the operator "monitoring broken: <check> unknown for 10m (<reason>)" when a check has
   * been unknown (Vigil could not measure it, or a monitor's planned runs stopped) this long.
   * Unknown never opens an incident, and this page is none either (not among the status page's
   * incidents); without it nobody is paged. Silences and maintenance windows hold it; it goes
   * out when they end if the check is still unknown.
   */
  monitoringBroken: statePage.optional(),
  /**
   * Page "<check> degraded for 15m (<reason>)" when a check has been degraded (latency over
   * `degradedMs`) this long. Held by silences and maintenance windows like `monitoringBroken`.
   */
  degraded: statePage.optional(),
  /** More than `changes` state changes of one check within `window` mark it flapping. */
  flapping: z
    .strictObject({
      changes: z.number().int().min(2).max(100).default(5),
      window: duration({ min: "10s", max: "1d" }).prefault("10m"),
    })
    .prefault({}),
});
export type PolicySpec = z.infer<typeof policySpec>;

export const serviceSpec = z.strictObject({
  id,
  name: z.string().min(1).max(120),
  /** Escalation policy id. */
  policy: id,
  description: z.string().max(500).optional(),
  /** Services this one needs (the app depends on its database): while one of them is down,
   *  this service's incident is suppressed and only the root cause pages. */
  dependsOn: z.array(id).default([]),
  /** Upstream status pages (`upstreams[].id`) this service depends on: while one reports an
   *  incident, this service's pages go only to its policy's `upstreamLevel`. */
  upstreams: z.array(id).default([]),
  /**
   * Show this service's details on the public status page, `/status.json` and feed: probe
   * reasons ("expected status 2xx, got 503", which may name hosts, ports, body text and
   * header values), agent check targets and full incident titles. Default false: the public
   * sees names, states, times and uptime; the details need the admin token (or the private
   * page's token).
   */
  publicDetails: z.boolean().default(false),
});
export type ServiceSpec = z.infer<typeof serviceSpec>;

/** A recurring or one-off maintenance window: no pages for its services while it lasts. */
export const maintenanceSpec = z
  .strictObject({
    id,
    services: z.array(id).min(1),
    title: z.string().min(1).max(200),
    /** One-off: ISO start and end. */
    start: z.iso.datetime({ offset: true }).optional(),
    end: z.iso.datetime({ offset: true }).optional(),
    /** Recurring: a 5-field cron expression for the start, in `timezone`, and a duration. */
    cron: z.string().optional(),
    duration: duration({ min: "1m", max: "7d" }).optional(),
    timezone: z.string().optional(),
  })
  .superRefine((m, ctx) => {
    const oneOff = m.start !== undefined || m.end !== undefined;
    const recurring = m.cron !== undefined || m.duration !== undefined;
    if (oneOff === recurring)
      ctx.addIssue({ code: "custom", message: "give either start and end (one-off) or cron and duration (recurring)" });
    if (oneOff && (!m.start || !m.end))
      ctx.addIssue({ code: "custom", path: [m.start ? "end" : "start"], message: "a one-off window needs both start and end" });
    if (oneOff && m.start && m.end && Date.parse(m.end) <= Date.parse(m.start))
      ctx.addIssue({ code: "custom", path: ["end"], message: "must be after start" });
    if (recurring && (!m.cron || !m.duration))
      ctx.addIssue({ code: "custom", path: [m.cron ? "duration" : "cron"], message: "a recurring window needs both cron and duration" });
    if (m.timezone !== undefined && !isTimeZone(m.timezone)) {
      ctx.addIssue({ code: "custom", path: ["timezone"], message: `unknown IANA time zone "${m.timezone}"` });
    }
    if (m.cron) {
      // Validated by computing its next run, as the scheduler will.
      const next = nextCronRun(m.cron, "UTC", 0);
      if (typeof next === "string") ctx.addIssue({ code: "custom", path: ["cron"], message: next });
    }
  });
export type MaintenanceSpec = z.infer<typeof maintenanceSpec>;
