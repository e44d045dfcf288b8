/** `silences`: matchers that hold pages until they expire (what they cover: src/engine/mute.ts). */
import type { Silence } from "../engine/mute";

export type { Silence };

interface Row {
  id: string;
  service_id: string | null;
  check_glob: string | null;
  comment: string;
  created_by: string;
  created_at: number;
  ends_at: number;
}

const toSilence = (r: Row): Silence => ({
  id: r.id,
  serviceId: r.service_id,
  checkGlob: r.check_glob,
  comment: r.comment,
  createdBy: r.created_by,
  createdAt: r.created_at,
  endsAt: r.ends_at,
});

export async function activeSilences(db: D1Database, now: number): Promise<Silence[]> {
  const { results } = await db.prepare("SELECT * FROM silences WHERE ends_at > ? ORDER BY ends_at").bind(now).all<Row>();
  return results.map(toSilence);
}

export function insertSilence(db: D1Database, s: Silence): D1PreparedStatement {
  return db
    .prepare("INSERT INTO silences (id, service_id, check_glob, comment, created_by, created_at, ends_at) VALUES (?, ?, ?, ?, ?, ?, ?)")
    .bind(s.id, s.serviceId, s.checkGlob, s.comment, s.createdBy, s.createdAt, s.endsAt);
}

/** Ends a silence now; false when there was no such active silence. */
export async function expireSilence(db: D1Database, id: string, now: number): Promise<boolean> {
  const r = await db.prepare("UPDATE silences SET ends_at = ? WHERE id = ? AND ends_at > ?").bind(now, id, now).run();
  return r.meta.changes > 0;
}
