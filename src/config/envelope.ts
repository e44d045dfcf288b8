/**
 * A ping job's run envelope: how long a run may take, how often runs may start and how late
 * (src/engine/job-envelope.ts). Each bound is configured or learned from the last runs.
 */
import { z } from "zod";
import { ENVELOPE_REASONS } from "../engine/job-envelope";
import { duration } from "./duration";

export const envelopeLearning = z.strictObject({
  /** How many of the newest successful runs are learned from. Default 20. */
  runs: z.number().int().min(3).max(100).default(20),
  /** Half-width of the learned band in MADs (median absolute deviations): median ± k × MAD. Default 5. */
  k: z.number().min(1).max(20).default(5),
  /** Measurements needed before a bound is learned. Default 5. */
  minRuns: z.number().int().min(3).max(100).default(5),
  /** The learned band's half-width is at least this, and at least 10 % of the median. Default `1s`. */
  minSpread: duration({ min: "0s", max: "1d" }).prefault("1s"),
});

export const runEnvelopeSpec = z
  .strictObject({
    /** A run (start → success) shorter than this is `too-short`. Default: learned. */
    minDuration: duration({ min: "0s", max: "30d" }).optional(),
    /** A run longer than this is `too-long`, judged while it runs. Default: learned. */
    maxDuration: duration({ min: "1s", max: "30d" }).optional(),
    /** A run starting sooner than this after the previous run's start is `too-often`. Default: learned. */
    minInterval: duration({ min: "1s", max: "365d" }).optional(),
    /** A run starting more than this after its expected time is `late`. Default: learned. */
    maxStartDelay: duration({ min: "0s", max: "30d" }).optional(),
    /** Learn the bounds left open from the last runs (median ± k × MAD); `false`: configured bounds only. */
    learn: z.union([z.literal(false), envelopeLearning]).prefault({}),
    /** Which reasons are judged. Default: all four. */
    reasons: z
      .array(z.enum(ENVELOPE_REASONS))
      .min(1)
      .default([...ENVELOPE_REASONS]),
  })
  .superRefine((e, ctx) => {
    if (e.minDuration !== undefined && e.maxDuration !== undefined && e.minDuration >= e.maxDuration) {
      ctx.addIssue({
        code: "custom",
        path: ["maxDuration"],
        message: `must be longer than minDuration (${e.minDuration} ms), got ${e.maxDuration} ms`,
      });
    }
    if (e.learn !== false && e.learn.minRuns > e.learn.runs) {
      ctx.addIssue({
        code: "custom",
        path: ["learn", "minRuns"],
        message: `must be at most learn.runs (${e.learn.runs}), got ${e.learn.minRuns}`,
      });
    }
  });
export type RunEnvelopeSpec = z.infer<typeof runEnvelopeSpec>;
