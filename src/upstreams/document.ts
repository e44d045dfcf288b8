/**
 * Reading a dependency's public status page in the Statuspage format (Atlassian Statuspage's
 * public API, which many status-page products also serve): pure, no I/O.
 *
 * - `GET <page>/api/v2/status.json` → `{ page: { name, … }, status: { indicator, description } }`,
 *   `indicator` one of `none`, `minor`, `major`, `critical` (some products add `maintenance`).
 * - `GET <page>/api/v2/incidents/unresolved.json` → `{ incidents: [{ name, impact, status,
 *   created_at, … }] }`; `summary.json` carries the same `incidents` list and is read alike.
 *
 * Anything else (not JSON, a field missing or of the wrong type, an unknown indicator) is a
 * {@link DocumentError} naming the field, which the poller reports as "upstream unknown".
 */

export const INDICATORS = ["none", "minor", "major", "critical", "maintenance"] as const;
export type Indicator = (typeof INDICATORS)[number];

/** How severe each impact / indicator is, to pick the incident that titles the page. */
const SEVERITY: Record<string, number> = { none: 0, maintenance: 1, minor: 2, major: 3, critical: 4 };

export class DocumentError extends Error {
  override readonly name = "DocumentError";
}

export interface PageStatus {
  /** `page.name`, when the document has one. */
  pageName: string | null;
  indicator: Indicator;
  /** `status.description`, e.g. "Partial System Outage". */
  description: string;
}

export interface UpstreamIncident {
  name: string;
  impact: string;
  /** `investigating`, `identified`, `monitoring`, … */
  status: string;
  /** ms epoch, or null when absent or unreadable. */
  createdAt: number | null;
}

/** Strings from outside are shown in pages and timelines: one line, bounded. */
export function cleanText(text: string, max = 200): string {
  const one = text
    .replace(/\p{Cc}+/gu, " ")
    .replace(/\s+/g, " ")
    .trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new DocumentError(`${what}: not JSON (starts with ${JSON.stringify(cleanText(text, 40))})`);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Parses `status.json` (or `summary.json`, which has the same `page` and `status`). */
export function parseStatus(text: string): PageStatus {
  const doc = parseJson(text, "status.json");
  if (!isObject(doc)) throw new DocumentError("status.json: expected an object");
  const status = doc.status;
  if (!isObject(status)) throw new DocumentError("status.json: status: expected an object");
  const indicator = status.indicator;
  if (typeof indicator !== "string") throw new DocumentError(`status.json: status.indicator: expected a string, got ${typeof indicator}`);
  if (!(INDICATORS as readonly string[]).includes(indicator)) {
    throw new DocumentError(
      `status.json: status.indicator: expected one of ${INDICATORS.join(", ")}, got ${JSON.stringify(cleanText(indicator, 40))}`,
    );
  }
  const description = typeof status.description === "string" ? cleanText(status.description) : "";
  const page = isObject(doc.page) && typeof doc.page.name === "string" ? cleanText(doc.page.name, 120) : null;
  return { pageName: page || null, indicator: indicator as Indicator, description };
}

/** Parses `incidents/unresolved.json` (or `summary.json`): the unresolved incidents. */
export function parseIncidents(text: string): UpstreamIncident[] {
  const doc = parseJson(text, "incidents");
  if (!isObject(doc) || !Array.isArray(doc.incidents)) throw new DocumentError("incidents: expected an object with an incidents array");
  return doc.incidents.map((raw, i) => {
    if (!isObject(raw) || typeof raw.name !== "string" || raw.name.trim() === "") {
      throw new DocumentError(`incidents[${i}].name: expected a non-empty string`);
    }
    const createdAt = typeof raw.created_at === "string" ? Date.parse(raw.created_at) : NaN;
    return {
      name: cleanText(raw.name),
      impact: typeof raw.impact === "string" ? raw.impact : "none",
      status: typeof raw.status === "string" ? raw.status : "investigating",
      createdAt: Number.isFinite(createdAt) ? createdAt : null,
    };
  });
}

/**
 * The title a dependent page shows: the most severe unresolved incident (the newest among
 * equals), `(+N more)` when there are others; without incidents, the page's own description
 * (components can be degraded with no incident open).
 */
export function incidentTitle(status: PageStatus, incidents: readonly UpstreamIncident[] | null): string {
  const open = (incidents ?? []).filter((i) => i.status !== "resolved" && i.status !== "postmortem" && i.status !== "completed");
  if (open.length === 0) return status.description || `status ${status.indicator}`;
  const top = [...open].sort(
    (a, b) => (SEVERITY[b.impact] ?? 0) - (SEVERITY[a.impact] ?? 0) || (b.createdAt ?? 0) - (a.createdAt ?? 0),
  )[0]!;
  return open.length > 1 ? `${top.name} (+${open.length - 1} more)` : top.name;
}
