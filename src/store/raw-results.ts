/** `raw_results`: one row per executed batch, kept 48 h; the hourly rollup reads them. */

/** Status of a raw result: 0 up, 1 degraded, 2 down, 3 unknown (the run executed but could not measure). */
export type RawStatus = 0 | 1 | 2 | 3;

/**
 * [check id, offset ms in the minute, status, latency ms, first byte ms (http probes that got an
 * answer; null when absent and attempts follow), attempts (only when more than one)]
 */
export type RawResult =
  | [string, number, RawStatus, number]
  | [string, number, RawStatus, number, number | null]
  | [string, number, RawStatus, number, number | null, number];

export function insertRawResults(db: D1Database, minute: number, batch: number, results: RawResult[]): D1PreparedStatement {
  return db
    .prepare("INSERT OR REPLACE INTO raw_results (minute, batch, data) VALUES (?, ?, ?)")
    .bind(minute, batch, JSON.stringify(results));
}

export async function rawResultsBetween(db: D1Database, from: number, to: number): Promise<RawResult[]> {
  const { results } = await db
    .prepare("SELECT data FROM raw_results WHERE minute >= ? AND minute < ?")
    .bind(from, to)
    .all<{ data: string }>();
  return results.flatMap((r) => JSON.parse(r.data) as RawResult[]);
}
