/**
 * Jobs that ping Vigil (Healthchecks.io semantics): `/ping/:key` on success, `/start`,
 * `/fail`, `/:exitCode`. Each job expects a ping every `period`, or on a `cron` schedule in a
 * time zone, and is late once `grace` has passed after the expected time.
 */
import { z } from "zod";
import { isTimeZone } from "../../lib/time-zone";
import { nextCronRun } from "../engine/cron";
import { id, secretRef } from "./common";
import { duration } from "./duration";

export const jobSpec = z
  .strictObject({
    id,
    /** Service the job's check belongs to. */
    service: id,
    /**
     * The ping key, named by environment variable: `/ping/<key>`. Anyone who knows it can
     * report the job, so it is a secret (use ≥ 16 random URL-safe characters).
     */
    key: secretRef,
    /** Expected time between pings, e.g. `1h`. Exactly one of `period` and `cron`. */
    period: duration({ min: "1s", max: "365d" }).optional(),
    /** Expected schedule as a 5-field cron expression, e.g. `30 2 * * *`. */
    cron: z.string().min(9).max(120).optional(),
    /** IANA time zone the cron expression is read in. Default: the config's `timezone`. */
    timezone: z.string().optional(),
    /** How late a ping may be, and how long a started run may take. Default `1h`. */
    grace: duration({ min: "1s", max: "30d" }).prefault("1h"),
    /** A disabled job answers pings with 403 and is never marked late. */
    enabled: z.boolean().default(true),
  })
  .superRefine((job, ctx) => {
    if ((job.period === undefined) === (job.cron === undefined)) {
      ctx.addIssue({ code: "custom", path: ["period"], message: 'set exactly one of "period" (e.g. "1h") and "cron" (e.g. "0 3 * * *")' });
    }
    if (job.timezone !== undefined && !isTimeZone(job.timezone)) {
      ctx.addIssue({ code: "custom", path: ["timezone"], message: `unknown IANA time zone "${job.timezone}"` });
      return;
    }
    if (job.cron !== undefined) {
      // Validated the way it is used: by computing its next run in its time zone.
      const next = nextCronRun(job.cron, job.timezone ?? "UTC", Date.now());
      if (typeof next === "string") ctx.addIssue({ code: "custom", path: ["cron"], message: next });
    }
  });
export type JobSpec = z.infer<typeof jobSpec>;
