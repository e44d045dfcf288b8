/**
 * Durations in config are strings: `500ms`, `10s`, `5m`, `6h`, `2d`, or combinations (`1h30m`).
 */
import { z } from "zod";

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;

/** Parses a duration string to milliseconds; returns null when it is not one. */
export function parseDuration(text: string): number | null {
  const trimmed = text.trim();
  if (trimmed === "") return null;
  PART.lastIndex = 0;
  let total = 0;
  let consumed = 0;
  for (let m = PART.exec(trimmed); m; m = PART.exec(trimmed)) {
    total += Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
    consumed = PART.lastIndex;
  }
  return consumed === trimmed.length ? Math.round(total) : null;
}

/** Formats milliseconds the way people say it: `90s` → `1m 30s`. */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${ms} ms`;
  const parts: string[] = [];
  let rest = Math.round(ms / 1_000);
  for (const [unit, size] of [["d", 86_400], ["h", 3_600], ["m", 60], ["s", 1]] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.join(" ");
}

/**
 * A zod duration: accepts a string such as `5m`, outputs milliseconds, checks bounds. The
 * bounds are also in its metadata, so the JSON Schema (and docs/reference.md) show them.
 */
export function duration(opts: { min?: string; max?: string } = {}) {
  const min = opts.min ? parseDuration(opts.min)! : 0;
  const max = opts.max ? parseDuration(opts.max)! : Number.MAX_SAFE_INTEGER;
  return z.string().transform((text, ctx) => {
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
  }).meta({ format: "duration", "x-min": opts.min ?? "0s", ...(opts.max && { "x-max": opts.max }) });
}
