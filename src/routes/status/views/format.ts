/** Formatting for the status page and feed: dates in the page's time zone, percentages, durations. */
import { formatMs as formatMeasured, formatSpan } from "../../../../lib/duration";
import { localDate } from "../../../../lib/time-zone";

const formatters = new Map<string, Intl.DateTimeFormat>();

function fmt(key: string, timeZone: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const k = `${key}|${timeZone}`;
  let f = formatters.get(k);
  if (!f) {
    f = new Intl.DateTimeFormat("en-GB", { timeZone, ...options });
    formatters.set(k, f);
  }
  return f;
}

// Intl formatting is slow next to everything else on the page; the same instants (day starts,
// incident times) come back on every request, so results are memoised (bounded).
const memo = new Map<string, string>();
function memoised(key: string, make: () => string): string {
  let v = memo.get(key);
  if (v === undefined) {
    if (memo.size > 5000) memo.clear();
    memo.set(key, (v = make()));
  }
  return v;
}

/** "23 Nov 2026, 14:05 GMT+9" */
export function formatDateTime(ms: number, timeZone: string): string {
  return memoised(`dt|${timeZone}|${ms}`, () =>
    fmt("dt", timeZone, {
      day: "numeric",
      month: "short",
      year: "numeric",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
      timeZoneName: "short",
    }).format(ms),
  );
}

/** "14:05" */
export function formatTime(ms: number, timeZone: string): string {
  return fmt("t", timeZone, { hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(ms);
}

/** "23 Nov 2026" */
export function formatDay(ms: number, timeZone: string): string {
  return memoised(`d|${timeZone}|${ms}`, () => fmt("d", timeZone, { day: "numeric", month: "short", year: "numeric" }).format(ms));
}

/** "23 Nov" */
export function formatShortDay(ms: number, timeZone: string): string {
  return memoised(`sd|${timeZone}|${ms}`, () => fmt("sd", timeZone, { day: "numeric", month: "short" }).format(ms));
}

/** 99.95 → "99.95%", 100 → "100%", null → "–" */
export function formatPercent(p: number | null): string {
  if (p === null) return "–";
  if (p >= 100) return "100%";
  // Never round 99.996 up to 100: an outage must stay visible.
  const floored = Math.floor(p * 100) / 100;
  return `${floored.toFixed(2).replace(/\.?0+$/, "")}%`;
}

/** 3_780_000 → "1 h 3 min" */
export const formatDuration = (ms: number) => formatSpan(ms, { units: 3, minutes: "round", underAMinute: "under a minute" });

/** 1234 → "1.23 s", 87 → "87 ms" */
export const formatMs = (ms: number | null) => (ms === null ? "–" : formatMeasured(ms, 2));

/** "2026-11-23": the calendar day of `ms` in `timeZone`. */
export function isoDay(ms: number, timeZone: string): string {
  return memoised(`iso|${timeZone}|${ms}`, () => localDate(ms, timeZone));
}
