/**
 * Durations, shared by the worker and the agent: config strings such as `500ms`, `10s`, `5m`,
 * `6h`, `2d` or combinations (`1h30m`) parsed to milliseconds, and milliseconds written for
 * people in the few styles Vigil prints.
 */

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;

/** Parses a duration string to milliseconds; `null` when it is not one. */
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

/** Exact to the second, the way config is written: `500 ms`, `10s`, `1m 30s`, `1d 2h`. */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${ms} ms`;
  const parts: string[] = [];
  let rest = Math.round(ms / 1_000);
  for (const [unit, size] of [
    ["d", 86_400],
    ["h", 3_600],
    ["m", 60],
    ["s", 1],
  ] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.join(" ");
}

/** The largest unit, one decimal at most (the agent's summaries): `250ms`, `1.5s`, `1.2m`, `2h`. */
export function formatDurationApprox(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  for (const [unit, size] of [
    ["d", 86_400_000],
    ["h", 3_600_000],
    ["m", 60_000],
  ] as const) {
    if (ms >= size) return `${+(ms / size).toFixed(1)}${unit}`;
  }
  return `${+(ms / 1000).toFixed(1)}s`;
}

/** A measured time: `87 ms` under a second, else seconds with at most `digits` decimals (`2.5 s`, `1.23 s`). */
export function formatMs(ms: number, digits = 1): string {
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  const scale = 10 ** digits;
  return `${Math.round((ms / 1000) * scale) / scale} s`;
}

export interface SpanOptions {
  /** How many units from the largest one: 2 gives `3 d 4 h`, 3 gives `3 d 4 h 5 min`. Default 2. */
  units?: 2 | 3;
  /** Whole minutes by rounding or by flooring. Default `floor`. */
  minutes?: "floor" | "round";
  /** What a span under a minute reads. Default `<1 min`. */
  underAMinute?: string;
}

/** A span in whole minutes, hours and days, for messages and pages: `12 min`, `2 h 5 min`, `3 d 4 h`. */
export function formatSpan(ms: number, options: SpanOptions = {}): string {
  const { units = 2, minutes: rounding = "floor", underAMinute = "<1 min" } = options;
  const minutes = Math.max(0, Math[rounding](ms / 60_000));
  if (minutes < 1) return underAMinute;
  const values = [Math.floor(minutes / 1440), Math.floor((minutes % 1440) / 60), minutes % 60];
  const first = values.findIndex((v) => v > 0);
  return values
    .map((v, i) => (v > 0 && i >= first && i < first + units ? `${v} ${["d", "h", "min"][i]}` : ""))
    .filter(Boolean)
    .join(" ");
}
