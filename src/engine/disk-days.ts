/**
 * The daily disk series an AgentObject keeps for the digest: per mount, the local day's highest
 * and latest use. Pure: the object passes its rows, the report's samples and `now`, and gets
 * back the rows to keep and the rows to write to D1 (`agent_disk_daily`).
 *
 * D1 is written at most once per `syncEveryMs` per agent while the day goes on, and at once when
 * a mount is new or its day turns over (the finished day's final values, then the new day's
 * first). A steady agent reporting every 30 s thus costs one D1 write per mount per 15 minutes,
 * riding along in a batch the report writes anyway whenever it can.
 */

export interface DiskDay {
  mount: string;
  /** Local date (config time zone), `YYYY-MM-DD`. */
  day: string;
  maxPct: number;
  lastPct: number;
  /** Changed since it was last written to D1. */
  dirty: boolean;
  /** ms epoch of the last write to D1; null before the first. */
  syncedAt: number | null;
}

export interface DiskSample {
  mount: string;
  day: string;
  usedPct: number;
}

export interface DiskFold {
  /** Rows whose stored copy in the object changed (insert or replace). */
  save: DiskDay[];
  /** Mounts dropped from the object (not reported for over `keepDays`). */
  drop: string[];
  /** Rows to upsert into D1 now. */
  write: DiskDay[];
}

/** At most this many mounts per agent are followed (the rest are ignored). */
export const MAX_DISK_MOUNTS = 32;

const dayNumber = (day: string) => Date.parse(`${day}T00:00:00Z`) / 86_400_000;

export function foldDiskSamples(
  rows: ReadonlyMap<string, DiskDay>,
  samples: readonly DiskSample[],
  now: number,
  opts: { syncEveryMs: number; keepDays?: number },
): DiskFold {
  const next = new Map(rows);
  const saved = new Set<string>();
  const write: DiskDay[] = [];
  let urgent = false;
  for (const s of samples) {
    const cur = next.get(s.mount);
    const pct = Math.round(s.usedPct * 10) / 10;
    if (!cur) {
      if (next.size >= MAX_DISK_MOUNTS) continue;
      next.set(s.mount, { mount: s.mount, day: s.day, maxPct: pct, lastPct: pct, dirty: true, syncedAt: null });
      urgent = true;
    } else if (s.day < cur.day) {
      continue; // an observation from a day already closed: never rewrite history
    } else if (s.day > cur.day) {
      if (cur.dirty) write.push({ ...cur, dirty: false, syncedAt: now }); // the finished day's final values
      next.set(s.mount, { mount: s.mount, day: s.day, maxPct: pct, lastPct: pct, dirty: true, syncedAt: cur.syncedAt });
      urgent = true;
    } else {
      const maxPct = Math.max(cur.maxPct, pct);
      if (maxPct === cur.maxPct && pct === cur.lastPct) continue;
      next.set(s.mount, { ...cur, maxPct, lastPct: pct, dirty: true });
    }
    saved.add(s.mount);
  }

  // Mounts that stopped being reported (unmounted, renamed) are forgotten after a while.
  const drop: string[] = [];
  const newest = Math.max(...[...next.values()].map((r) => dayNumber(r.day)));
  for (const r of next.values()) {
    if (!r.dirty && newest - dayNumber(r.day) > (opts.keepDays ?? 7)) {
      drop.push(r.mount);
      next.delete(r.mount);
      saved.delete(r.mount);
    }
  }

  const lastSync = Math.max(-Infinity, ...[...rows.values()].map((r) => r.syncedAt ?? -Infinity));
  const dirty = [...next.values()].filter((r) => r.dirty);
  if (dirty.length > 0 && (urgent || now - lastSync >= opts.syncEveryMs)) {
    for (const r of dirty) {
      const done = { ...r, dirty: false, syncedAt: now };
      next.set(r.mount, done);
      write.push(done);
      saved.add(r.mount);
    }
  }
  return { save: [...saved].map((m) => next.get(m)!), drop, write };
}
