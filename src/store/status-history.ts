/**
 * The 90-day history behind uptime bars, uptime percentages, badges and response-time charts.
 *
 * Days are calendar days in the page's time zone (the config's `timezone`). A day that is
 * over (and settled, `SETTLE_MS`) does not change: its per-check sums are written once to
 * `rollups_daily` (migration 0007) and read from there — 45 k rows instead of ~1 M hourly ones
 * at 500 checks — and kept in memory per isolate until the day list moves or `historyTtlMs`
 * passes. The live days (today, and yesterday while it settles) and the last 24 hours come
 * from `rollups_hourly` through a covering index, at most every `recentTtlMs`.
 */

import { startOfDay } from "../../lib/time-zone";
import { RETENTION } from "../scheduler/housekeeping";

/** Per-check sums for one day (or hour): observations, failed ones, degraded ones. */
export interface Tally {
  count: number;
  failures: number;
  degraded: number;
}

export interface HourPoint extends Tally {
  /** ms epoch of the hour's start */
  hour: number;
  /** Runs planned in the hour (the executed count for hours rolled up before planned runs were kept). */
  planned: number;
  /** Runs that executed but could not measure. */
  unknown: number;
  /** Runs that took more than one attempt. */
  retried: number;
  latencyAvg: number | null;
  latencyP95: number | null;
}

export interface History {
  /** Local midnights (ms epoch), oldest first; the last one is today. */
  dayStarts: number[];
  /** Per check: `[count, failures, degraded]` for each day in `dayStarts`, flattened. */
  days: Map<string, Int32Array>;
  /**
   * Per check: `[planned, unknown, retried]` for each day in `dayStarts`, flattened (`CADENCE`
   * columns; planned counts the executed runs for hours rolled up before planned runs were kept).
   * Absent in histories built by hand (tests): then every day counts as fully measured.
   */
  cadence?: Map<string, Int32Array>;
  /** Per check: the hourly points of the last 24 hours, oldest first. */
  hours: Map<string, HourPoint[]>;
  /** ms epoch when the cached past days were read. */
  historyReadAt: number;
  /** Changes whenever `days` or `hours` hold new data; the same value means the same arrays. */
  version: number;
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

let lastDays: { key: string; from: number; until: number; days: number[] } | null = null;

/** The last `n` local midnights, oldest first, the last one being today's (reused all day). */
export function dayStartsUntil(now: number, timeZone: string, n: number): number[] {
  const key = `${timeZone}|${n}`;
  if (lastDays && lastDays.key === key && now >= lastDays.from && now < lastDays.until) return lastDays.days;
  const out = [startOfDay(now, timeZone)];
  while (out.length < n) out.unshift(startOfDay(out[0]! - 1, timeZone));
  // Tomorrow's midnight: 36 h after today's is always inside tomorrow, DST or not.
  lastDays = { key, from: out[n - 1]!, until: startOfDay(out[n - 1]! + 36 * 3_600_000, timeZone), days: out };
  return out;
}

interface PastCache {
  key: string;
  readAt: number;
  days: Map<string, Int32Array>;
  cadence: Map<string, Int32Array>;
}
interface RecentCache {
  key: string;
  readAt: number;
  live: Map<string, Int32Array>;
  liveCadence: Map<string, Int32Array>;
  hours: Map<string, HourPoint[]>;
  /** Settled and live days joined, for the past cache entry it was joined with. */
  joined?: { past: PastCache; days: Map<string, Int32Array>; cadence: Map<string, Int32Array>; version: number };
}
let versions = 0;
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

/** A past day is read from `rollups_daily` once it ended this long ago (its last rollups landed). */
export const SETTLE_MS = 2 * HOUR;

/**
 * Materialises the settled days that are not yet in `rollups_daily` (one batch: a transaction),
 * then reads the sums of all settled days: one row per check, "dayStart:count:failures:degraded,…".
 */
async function readSettledDays(
  db: D1Database,
  dayStarts: number[],
  settled: number,
  now: number,
): Promise<{ days: Map<string, Int32Array>; cadence: Map<string, Int32Array> }> {
  const n = dayStarts.length;
  const first = dayStarts[0]!;
  const { results: done } = await db
    .prepare("SELECT day_start FROM rollups_daily_done WHERE day_start >= ?")
    .bind(first)
    .all<{ day_start: number }>();
  const have = new Set(done.map((r) => r.day_start));
  const missing: D1PreparedStatement[] = [];
  for (let i = 0; i < settled; i++) {
    const s = dayStarts[i]!;
    if (have.has(s)) continue;
    missing.push(
      db
        .prepare(
          `INSERT OR REPLACE INTO rollups_daily (check_id, day_start, count, failures, degraded, planned, unknown, retried)
           SELECT check_id, ?1, SUM(count), SUM(failures), SUM(degraded), SUM(COALESCE(planned, count + unknown)), SUM(unknown), SUM(retried)
           FROM rollups_hourly INDEXED BY rollups_by_hour_covering
           WHERE hour >= ?1 AND hour < ?2 GROUP BY check_id`,
        )
        .bind(s, dayStarts[i + 1]!),
      db.prepare("INSERT OR REPLACE INTO rollups_daily_done (day_start, done_at) VALUES (?, ?)").bind(s, now),
    );
  }
  if (missing.length > 0) {
    // Same retention as the hourly rows they come from; pruned here, as often as days are added.
    const cutoff = now - RETENTION.rollupsMs;
    missing.push(
      db.prepare("DELETE FROM rollups_daily WHERE day_start < ?").bind(cutoff),
      db.prepare("DELETE FROM rollups_daily_done WHERE day_start < ?").bind(cutoff),
    );
    await db.batch(missing);
  }
  const index = new Map(dayStarts.map((s, i) => [s, i]));
  const { results } = await db
    .prepare(
      `SELECT check_id, group_concat(day_start || ':' || count || ':' || failures || ':' || degraded || ':' ||
         COALESCE(planned, count + unknown) || ':' || unknown || ':' || retried) AS t
       FROM rollups_daily WHERE day_start >= ?1 AND day_start < ?2 GROUP BY check_id`,
    )
    .bind(first, dayStarts[settled] ?? first)
    .all<{ check_id: string; t: string }>();
  const days = new Map<string, Int32Array>();
  const cadence = new Map<string, Int32Array>();
  for (const r of results) {
    const arr = new Int32Array(n * 3);
    const cad = new Int32Array(n * 3);
    for (const cell of r.t.split(",")) {
      const [d, c, f, g, p, u, t] = cell.split(":").map(Number) as [number, number, number, number, number, number, number];
      const i = index.get(d);
      if (i === undefined) continue;
      arr[i * 3] = c;
      arr[i * 3 + 1] = f;
      arr[i * 3 + 2] = g;
      cad[i * 3] = p;
      cad[i * 3 + 1] = u;
      cad[i * 3 + 2] = t;
    }
    days.set(r.check_id, arr);
    cadence.set(r.check_id, cad);
  }
  return { days, cadence };
}

/** Hourly rows since `since`, one row per check: "hour:count:failures:degraded:avg:p95;…". */
async function readRecent(db: D1Database, since: number, dayStarts: number[], firstLive: number, chartSince: number) {
  const { results } = await db
    .prepare(
      `SELECT check_id, group_concat(hour || ':' || count || ':' || failures || ':' || degraded || ':' ||
         COALESCE(CAST(ROUND(latency_avg) AS INTEGER), '') || ':' || COALESCE(latency_p95, '') || ':' ||
         COALESCE(planned, count + unknown) || ':' || unknown || ':' || retried, ';') AS t
       FROM rollups_hourly INDEXED BY rollups_by_hour_covering WHERE hour >= ?1 GROUP BY check_id`,
    )
    .bind(since)
    .all<{ check_id: string; t: string }>();
  const n = dayStarts.length;
  /** Per check: tallies of the live days (from `firstLive` on), `[count, failures, degraded]` each. */
  const live = new Map<string, Int32Array>();
  /** Per check: `[planned, unknown, retried]` of the live days. */
  const liveCadence = new Map<string, Int32Array>();
  const hours = new Map<string, HourPoint[]>();
  for (const r of results) {
    const tally = new Int32Array((n - firstLive) * 3);
    const cad = new Int32Array((n - firstLive) * 3);
    const points: HourPoint[] = [];
    for (const cell of r.t.split(";")) {
      const [h, c, f, g, avg, p95, p, u, t] = cell.split(":") as [string, string, string, string, string, string, string, string, string];
      const hour = Number(h);
      const count = Number(c);
      const failures = Number(f);
      const degraded = Number(g);
      const planned = Number(p);
      const unknown = Number(u);
      const retried = Number(t);
      // The live days are at most two (yesterday while it settles, today): walk back from today.
      for (let i = n - 1; i >= firstLive; i--) {
        if (hour >= dayStarts[i]!) {
          const k = (i - firstLive) * 3;
          tally[k] = tally[k]! + count;
          tally[k + 1] = tally[k + 1]! + failures;
          tally[k + 2] = tally[k + 2]! + degraded;
          cad[k] = cad[k]! + planned;
          cad[k + 1] = cad[k + 1]! + unknown;
          cad[k + 2] = cad[k + 2]! + retried;
          break;
        }
      }
      if (hour >= chartSince) {
        points.push({
          hour,
          count,
          failures,
          degraded,
          planned,
          unknown,
          retried,
          latencyAvg: avg === "" ? null : Number(avg),
          latencyP95: p95 === "" ? null : Number(p95),
        });
      }
    }
    points.sort((a, b) => a.hour - b.hour);
    live.set(r.check_id, tally);
    liveCadence.set(r.check_id, cad);
    hours.set(r.check_id, points);
  }
  return { live, liveCadence, hours };
}

/** The history for every check that has rollups (callers pick the checks they show). */
export async function loadHistory(db: D1Database, now: number, options: HistoryOptions): Promise<History> {
  const n = options.days ?? 90;
  const historyTtl = options.historyTtlMs ?? 10 * 60_000;
  const recentTtl = options.recentTtlMs ?? 30_000;
  const dayStarts = dayStartsUntil(now, options.timeZone, n);
  // Days [0, firstLive) are settled and come from rollups_daily; [firstLive, n) from the hours.
  let firstLive = n - 1;
  while (firstLive > 0 && dayStarts[firstLive]! + SETTLE_MS > now) firstLive--;
  const chartSince = Math.floor(now / HOUR) * HOUR - 23 * HOUR;

  // 1. Settled days: cached until the day list moves or the TTL passes.
  const pastKey = `${options.timeZone}|${dayStarts[0]}|${n}|${firstLive}`;
  let past = pastCaches.get(db);
  if (!past || past.key !== pastKey || now - past.readAt > historyTtl || now < past.readAt) {
    const settled = await shared(db, `past|${pastKey}`, () => readSettledDays(db, dayStarts, firstLive, now));
    past = { key: pastKey, readAt: now, ...settled };
    pastCaches.set(db, past);
  }

  // 2. Live days and the last 24 hours: short TTL.
  const since = Math.min(dayStarts[firstLive]!, chartSince);
  const recentKey = `${since}|${firstLive}|${dayStarts[firstLive]}|${chartSince}`;
  let recent = recentCaches.get(db);
  if (!recent || recent.key !== recentKey || now - recent.readAt > recentTtl || now < recent.readAt) {
    const read = await shared(db, `recent|${recentKey}`, () => readRecent(db, since, dayStarts, firstLive, chartSince));
    recent = { key: recentKey, readAt: now, ...read };
    recentCaches.set(db, recent);
  }

  // 3. Join once per (past, recent) pair: live tallies go into the last day slots of copies, so
  //    requests in between share the same arrays (and what the page derives from them).
  if (recent.joined?.past !== past) {
    const join = (settled: Map<string, Int32Array>, liveDays: Map<string, Int32Array>) => {
      const out = new Map<string, Int32Array>();
      for (const id of new Set([...settled.keys(), ...liveDays.keys()])) {
        const base = settled.get(id);
        const live = liveDays.get(id);
        if (!live) {
          out.set(id, base ?? new Int32Array(n * 3));
          continue;
        }
        const arr = base ? base.slice() : new Int32Array(n * 3);
        arr.set(live, firstLive * 3);
        out.set(id, arr);
      }
      return out;
    };
    recent.joined = { past, days: join(past.days, recent.live), cadence: join(past.cadence, recent.liveCadence), version: ++versions };
  }
  return {
    dayStarts,
    days: recent.joined.days,
    cadence: recent.joined.cadence,
    hours: recent.hours,
    historyReadAt: past.readAt,
    version: recent.joined.version,
  };
}
