/** The stored readings of a service's upstreams, as the engine's upstream fact takes them (src/engine/upstream.ts). */
import type { VigilConfig } from "../config";
import type { UpstreamReading } from "../engine/upstream";
import { loadUpstreamStatuses } from "../store/upstreams";

/** Readings of the enabled upstreams among `ids` that have been read at least once. */
export async function loadUpstreamReadings(
  db: D1Database,
  config: VigilConfig,
  ids: readonly string[],
): Promise<Map<string, UpstreamReading>> {
  const specs = new Map(config.upstreams.filter((u) => u.enabled && ids.includes(u.id)).map((u) => [u.id, u]));
  if (specs.size === 0) return new Map();
  const rows = await loadUpstreamStatuses(db, [...specs.keys()]);
  const out = new Map<string, UpstreamReading>();
  for (const [id, row] of rows) {
    const spec = specs.get(id)!;
    out.set(id, { id, name: spec.name ?? row.pageName ?? id, state: row.state, title: row.title, since: row.since });
  }
  return out;
}
