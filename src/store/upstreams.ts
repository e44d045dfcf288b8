/** `upstream_status`: what each upstream status page said when last read (migration 0012). */

export type UpstreamState = "operational" | "incident" | "unknown";

export interface UpstreamStatus {
  upstreamId: string;
  state: UpstreamState;
  indicator: string | null;
  /** The incident's title while `state` is `incident`. */
  title: string | null;
  /** Why the state is unknown. */
  detail: string | null;
  pageName: string | null;
  /** ms epoch the state (and title) began. */
  since: number;
  checkedAt: number;
}

interface Row {
  upstream_id: string;
  state: UpstreamState;
  indicator: string | null;
  title: string | null;
  detail: string | null;
  page_name: string | null;
  since: number;
  checked_at: number;
}

const toStatus = (r: Row): UpstreamStatus => ({
  upstreamId: r.upstream_id,
  state: r.state,
  indicator: r.indicator,
  title: r.title,
  detail: r.detail,
  pageName: r.page_name,
  since: r.since,
  checkedAt: r.checked_at,
});

/** The rows of `ids` (all rows when `ids` is omitted), by upstream id. */
export async function loadUpstreamStatuses(db: D1Database, ids?: readonly string[]): Promise<Map<string, UpstreamStatus>> {
  if (ids && ids.length === 0) return new Map();
  const { results } = ids
    ? await db
        .prepare(`SELECT * FROM upstream_status WHERE upstream_id IN (${ids.map(() => "?").join(", ")})`)
        .bind(...ids)
        .all<Row>()
    : await db.prepare("SELECT * FROM upstream_status").all<Row>();
  return new Map(results.map((r) => [r.upstream_id, toStatus(r)]));
}

export function upsertUpstreamStatus(db: D1Database, s: UpstreamStatus): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO upstream_status (upstream_id, state, indicator, title, detail, page_name, since, checked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (upstream_id) DO UPDATE SET state = excluded.state, indicator = excluded.indicator, title = excluded.title,
         detail = excluded.detail, page_name = excluded.page_name, since = excluded.since, checked_at = excluded.checked_at`,
    )
    .bind(s.upstreamId, s.state, s.indicator, s.title, s.detail, s.pageName, s.since, s.checkedAt);
}
