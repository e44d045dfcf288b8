/**
 * The 90-day history behind uptime bars, uptime percentages, badges and response-time charts,
 * read from `rollups_hourly`.
 *
 * Days are calendar days in the page's time zone (the config's `timezone`). A day that is
 * over does not change, so its per-check sums are computed once and kept in memory (per
 * isolate, per database binding) until the day list moves or `historyTtlMs` passes (late
 * rollups still show up within that time). Only the current day and the last 24 hours are
 * read again, and those at most every `recentTtlMs`. At 500 checks × 90 days that is the
 * difference between scanning ~1 M rows and ~24 k rows per request.
 */

/** Per-check sums for one day (or hour): observations, failed ones, degraded ones. */
export interface Tally {
  count: number;
  failures: number;
  degraded: number;
}

export interface HourPoint extends Tally {
  /** ms epoch of the hour's start */
  hour: number;
  latencyAvg: number | null;
  latencyP95: number | null;
}

export interface History {
  /** Local midnights (ms epoch), oldest first; the last one is today. */
  dayStarts: number[];
  /** Per check: `[count, failures, degraded]` for each day in `dayStarts`, flattened. */
  days: Map<string, Int32Array>;
  /** Per check: the hourly points of the last 24 hours, oldest first. */
  hours: Map<string, HourPoint[]>;
  /** ms epoch when the cached past days were read. */
  historyReadAt: number;
}

export interface HistoryOptions {
  /** IANA time zone that defines a day. */
  timeZone: string;
  /** Days in the bars, today included. Default 90. */
  days?: number;
  /** How long past days stay cached. Default 10 minutes. */
  historyTtlMs?: number;
  /** How long today's and the last 24 hours' rows stay cached. Default 30 s. */
  recentTtlMs?: number;
}

const HOUR = 3_600_000;

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

/** Wall-clock fields of `ms` in `timeZone`. */
export function zonedParts(ms: number, timeZone: string) {
  const out: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(ms)) if (p.type !== "literal") out[p.type] = Number(p.value);
  return { year: out.year!, month: out.month!, day: out.day!, hour: out.hour!, minute: out.minute!, second: out.second! };
}

/** Offset of `timeZone` from UTC at `ms`, in ms (Seoul: +9 h). */
export function zoneOffset(ms: number, timeZone: string): number {
  const p = zonedParts(ms, timeZone);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(ms / 1000) * 1000;
}

/** The instant the local day containing `ms` began in `timeZone` (DST-safe). */
export function startOfDay(ms: number, timeZone: string): number {
  const p = zonedParts(ms, timeZone);
  const wall = Date.UTC(p.year, p.month - 1, p.day);
  // Two passes: the offset at local midnight can differ from the offset at `ms` across DST.
  let t = wall - zoneOffset(wall, timeZone);
  t = wall - zoneOffset(t, timeZone);
  return t;
}

/** The last `n` local midnights, oldest first, the last one being today's. */
export function dayStartsUntil(now: number, timeZone: string, n: number): number[] {
  const out = [startOfDay(now, timeZone)];
  while (out.length < n) out.unshift(startOfDay(out[0]! - 1, timeZone));
  return out;
}

interface PastCache {
  key: string;
  readAt: number;
  days: Map<string, Int32Array>;
}
interface RecentCache {
  key: string;
  readAt: number;
  today: Map<string, Tally>;
  hours: Map<string, HourPoint[]>;
}
const pastCaches = new WeakMap<D1Database, PastCache>();
const recentCaches = new WeakMap<D1Database, RecentCache>();
/** One read per database at a time: concurrent requests share the pending read. */
const pending = new WeakMap<D1Database, Map<string, Promise<unknown>>>();

function shared<T>(db: D1Database, key: string, read: () => Promise<T>): Promise<T> {
  let map = pending.get(db);
  if (!map) pending.set(db, (map = new Map()));
  const running = map.get(key) as Promise<T> | undefined;
  if (running) return running;
  const p = read().finally(() => map!.delete(key));
  map.set(key, p);
  return p;
}

/** Sums of the past days (all but today), one row per check: "i:count:failures:degraded,…". */
async function readPastDays(db: D1Database, dayStarts: number[]): Promise<Map<string, Int32Array>> {
  const n = dayStarts.length;
  const bounds = dayStarts.slice(0, -1).map((s, i) => [s, dayStarts[i + 1]!]);
  const { results } = await db
    .prepare(
      `WITH d(i, s, e) AS (SELECT key, json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?1))
       SELECT check_id, group_concat(i || ':' || c || ':' || f || ':' || g) AS t FROM (
         SELECT r.check_id, d.i, SUM(r.count) AS c, SUM(r.failures) AS f, SUM(r.degraded) AS g
         FROM d JOIN rollups_hourly r ON r.hour >= d.s AND r.hour < d.e
         GROUP BY r.check_id, d.i
       ) GROUP BY check_id`,
    )
    .bind(JSON.stringify(bounds))
    .all<{ check_id: string; t: string }>();
  const days = new Map<string, Int32Array>();
  for (const r of results) {
    const arr = new Int32Array(n * 3);
    for (const cell of r.t.split(",")) {
      const [i, c, f, g] = cell.split(":").map(Number) as [number, number, number, number];
      arr[i * 3] = c;
      arr[i * 3 + 1] = f;
      arr[i * 3 + 2] = g;
    }
    days.set(r.check_id, arr);
  }
  return days;
}

/** Hourly rows since `since`, one row per check: "hour:count:failures:degraded:avg:p95;…". */
async function readRecent(db: D1Database, since: number, todayStart: number, chartSince: number) {
  const { results } = await db
    .prepare(
      `SELECT check_id, group_concat(hour || ':' || count || ':' || failures || ':' || degraded || ':' ||
         COALESCE(CAST(ROUND(latency_avg) AS INTEGER), '') || ':' || COALESCE(latency_p95, ''), ';') AS t
       FROM rollups_hourly WHERE hour >= ?1 GROUP BY check_id`,
    )
    .bind(since)
    .all<{ check_id: string; t: string }>();
  const today = new Map<string, Tally>();
  const hours = new Map<string, HourPoint[]>();
  for (const r of results) {
    const tally: Tally = { count: 0, failures: 0, degraded: 0 };
    const points: HourPoint[] = [];
    for (const cell of r.t.split(";")) {
      const [h, c, f, g, avg, p95] = cell.split(":") as [string, string, string, string, string, string];
      const hour = Number(h);
      const count = Number(c);
      const failures = Number(f);
      const degraded = Number(g);
      if (hour >= todayStart) {
        tally.count += count;
        tally.failures += failures;
        tally.degraded += degraded;
      }
      if (hour >= chartSince) {
        points.push({ hour, count, failures, degraded, latencyAvg: avg === "" ? null : Number(avg), latencyP95: p95 === "" ? null : Number(p95) });
      }
    }
    points.sort((a, b) => a.hour - b.hour);
    today.set(r.check_id, tally);
    hours.set(r.check_id, points);
  }
  return { today, hours };
}

/** The history for every check that has rollups (callers pick the checks they show). */
export async function loadHistory(db: D1Database, now: number, options: HistoryOptions): Promise<History> {
  const n = options.days ?? 90;
  const historyTtl = options.historyTtlMs ?? 10 * 60_000;
  const recentTtl = options.recentTtlMs ?? 30_000;
  const dayStarts = dayStartsUntil(now, options.timeZone, n);
  const todayStart = dayStarts[n - 1]!;
  const chartSince = Math.floor(now / HOUR) * HOUR - 23 * HOUR;

  // 1. Past days: cached until the day list moves or the TTL passes.
  const pastKey = `${options.timeZone}|${dayStarts[0]}|${n}`;
  let past = pastCaches.get(db);
  if (!past || past.key !== pastKey || now - past.readAt > historyTtl || now < past.readAt) {
    const days = await shared(db, `past|${pastKey}`, () => readPastDays(db, dayStarts));
    past = { key: pastKey, readAt: now, days };
    pastCaches.set(db, past);
  }

  // 2. Today and the last 24 hours: short TTL.
  const since = Math.min(todayStart, chartSince);
  const recentKey = `${since}|${todayStart}|${chartSince}`;
  let recent = recentCaches.get(db);
  if (!recent || recent.key !== recentKey || now - recent.readAt > recentTtl || now < recent.readAt) {
    const read = await shared(db, `recent|${recentKey}`, () => readRecent(db, since, todayStart, chartSince));
    recent = { key: recentKey, readAt: now, ...read };
    recentCaches.set(db, recent);
  }

  // 3. Join: today's tally goes into the last day slot of a copy (the cached arrays stay as read).
  const days = new Map<string, Int32Array>();
  const ids = new Set([...past.days.keys(), ...recent.today.keys()]);
  for (const id of ids) {
    const base = past.days.get(id);
    const t = recent.today.get(id);
    if (!t) {
      days.set(id, base ?? new Int32Array(n * 3));
      continue;
    }
    const arr = base ? base.slice() : new Int32Array(n * 3);
    arr[(n - 1) * 3] = t.count;
    arr[(n - 1) * 3 + 1] = t.failures;
    arr[(n - 1) * 3 + 2] = t.degraded;
    days.set(id, arr);
  }
  return { dayStarts, days, hours: recent.hours, historyReadAt: past.readAt };
}
