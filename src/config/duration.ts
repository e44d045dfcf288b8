/**
 * Durations in config are strings: `500ms`, `10s`, `5m`, `6h`, `2d`, or combinations (`1h30m`),
 * parsed as the agent parses them (lib/duration.ts).
 */
import { z } from "zod";
import { parseDuration } from "../../lib/duration";

/**
 * A zod duration: accepts a string such as `5m`, outputs milliseconds, checks bounds. The
 * bounds are also in its metadata, so the JSON Schema (and docs/reference.md) show them.
 */
export function duration(opts: { min?: string; max?: string } = {}) {
  const min = opts.min ? parseDuration(opts.min)! : 0;
  const max = opts.max ? parseDuration(opts.max)! : Number.MAX_SAFE_INTEGER;
  return z
    .string()
    .transform((text, ctx) => {
      const ms = parseDuration(text);
      if (ms === null) {
        ctx.addIssue({ code: "custom", message: `expected a duration such as "30s", "5m" or "6h", got "${text}"` });
        return z.NEVER;
      }
      if (ms < min || ms > max) {
        ctx.addIssue({ code: "custom", message: `must be between ${opts.min ?? "0s"} and ${opts.max ?? "∞"}, got "${text}"` });
        return z.NEVER;
      }
      return ms;
    })
    .meta({ format: "duration", "x-min": opts.min ?? "0s", ...(opts.max && { "x-max": opts.max }) });
}
