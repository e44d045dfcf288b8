/**
 * Wall-clock arithmetic in IANA time zones with `Intl` only (workerd and Node): the fields of
 * an instant in a zone, the zone's offset, and local midnights, DST-safe.
 */

/** `tz` is an IANA time zone this runtime knows (`Asia/Seoul`, `UTC`). */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(timeZone, f);
  }
  return f;
}

export interface ZonedParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** Wall-clock fields of `ms` in `timeZone` (month 1–12). */
export function zonedParts(ms: number, timeZone: string): ZonedParts {
  const out: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(ms)) if (p.type !== "literal") out[p.type] = Number(p.value);
  return { year: out.year!, month: out.month!, day: out.day!, hour: out.hour!, minute: out.minute!, second: out.second! };
}

/** Offset of `timeZone` from UTC at `ms`, in ms (Seoul: +9 h). */
export function zoneOffset(ms: number, timeZone: string): number {
  const p = zonedParts(ms, timeZone);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(ms / 1000) * 1000;
}

/** The instant local midnight began the calendar day `date` (`YYYY-MM-DD`) in `timeZone`. */
export function localMidnight(date: string, timeZone: string): number {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  return midnightOf(Date.UTC(y, m - 1, d), timeZone);
}

/** The instant the local day containing `ms` began in `timeZone` (DST-safe). */
export function startOfDay(ms: number, timeZone: string): number {
  const p = zonedParts(ms, timeZone);
  return midnightOf(Date.UTC(p.year, p.month - 1, p.day), timeZone);
}

/** `wall`: a local midnight written as if it were UTC. */
function midnightOf(wall: number, timeZone: string): number {
  // Two passes: the offset at local midnight can differ from the offset at `wall` across DST.
  const first = wall - zoneOffset(wall, timeZone);
  return wall - zoneOffset(first, timeZone);
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** The local calendar date at `ms`: `2026-11-22`. */
export function localDate(ms: number, timeZone: string): string {
  const p = zonedParts(ms, timeZone);
  return `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}`;
}

/** `2026-11-22 23:05 UTC+9` (`UTC+5:30`, `UTC`): the same bytes on every runtime. */
export function formatLocalTime(ms: number, timeZone: string): string {
  const p = zonedParts(ms, timeZone);
  const off = Math.round(zoneOffset(ms, timeZone) / 60_000);
  const abs = Math.abs(off);
  const zone = off === 0 ? "UTC" : `UTC${off < 0 ? "-" : "+"}${Math.floor(abs / 60)}${abs % 60 ? `:${pad(abs % 60)}` : ""}`;
  return `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)} ${pad(p.hour)}:${pad(p.minute)} ${zone}`;
}
