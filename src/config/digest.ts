/** The daily digest: the runbooks' daily checklist, sent once a day at a local time. */
import { z } from "zod";
import { id } from "./common";

export const digestSpec = z
  .strictObject({
    /** Channel id it is sent to (webhook, slack, discord, teams or email). */
    channel: id,
    /** Local time of day (config `timezone`), `HH:MM` 24-hour. Default `09:00`. */
    at: z
      .string()
      .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected a 24-hour time such as "09:00"')
      .default("09:00"),
    /** Service ids covered, in order. Default: all. */
    services: z.array(id).optional(),
    /** Certificates expiring within this many days are listed. Default 30. */
    certificateDays: z.number().int().min(1).max(365).default(30),
    /** Slowest checks listed per service. Default 3. */
    slowest: z.number().int().min(0).max(20).default(3),
    /** Disk use (percent) the disk trend marks as warn / critical. Defaults 80 / 90 (the runbook's). */
    diskWarnPct: z.number().min(1).max(100).default(80),
    diskCriticalPct: z.number().min(1).max(100).default(90),
  })
  .superRefine((d, ctx) => {
    if (d.diskCriticalPct <= d.diskWarnPct)
      ctx.addIssue({
        code: "custom",
        path: ["diskCriticalPct"],
        message: `must be above diskWarnPct (${d.diskWarnPct}), got ${d.diskCriticalPct}`,
      });
  });
export type DigestSpec = z.infer<typeof digestSpec>;
