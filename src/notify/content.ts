/**
 * What every template says, decided once: the incident read back from an event, its title
 * ("[L2] SafeWork: PostgreSQL down for 12 min, 3 recoveries failed"), local times and spans.
 * Pure; the channel templates only lay these out.
 */
import type { IncidentFacts } from "./event";
import type { IncidentEventType, WebhookEvent } from "./message";
import { INCIDENT_EVENT_TYPES } from "./message";
import { formatSpan } from "../../lib/duration";
import { formatLocalTime, localDate } from "../../lib/time-zone";

/** The spans and local times the channels print (`12 min`, `2026-11-22 23:05 UTC+9`). */
export { formatLocalTime, formatSpan, localDate };

/** What templates need besides the event: from the config at send time. */
export interface RenderContext {
  /** IANA time zone for times shown to people. */
  timezone: string;
}

export interface IncidentView {
  type: IncidentEventType;
  /** When the event happened (ms). */
  at: number;
  id: string;
  level: number;
  title: string;
  serviceId: string;
  serviceName: string;
  openedAt: number;
  resolvedAt: number | null;
  members: { check: string; status: string; reason: string | null; since: number | null }[];
  url?: string;
  acknowledgeUrl?: string;
  facts: IncidentFacts;
}

const ms = (iso: unknown): number | null => (typeof iso === "string" ? Date.parse(iso) : null);

/** Reads an incident event back; throws naming the field when the payload is not one. */
export function incidentView(event: WebhookEvent): IncidentView {
  if (!(INCIDENT_EVENT_TYPES as readonly string[]).includes(event.type))
    throw new Error(`event type "${event.type}" is not an incident event`);
  // biome-ignore lint/suspicious/noExplicitAny: an untrusted payload, each field checked where it is read
  const inc = event.data.incident as Record<string, any> | undefined;
  if (!inc || typeof inc !== "object") throw new Error("event data.incident: expected an object");
  for (const f of ["id", "title", "openedAt"] as const)
    if (typeof inc[f] !== "string") throw new Error(`event data.incident.${f}: expected a string`);
  return {
    type: event.type as IncidentEventType,
    at: Date.parse(event.timestamp),
    id: inc.id,
    level: Number(inc.level) || 1,
    title: inc.title,
    serviceId: inc.service?.id ?? "",
    serviceName: inc.service?.name ?? inc.service?.id ?? "",
    openedAt: ms(inc.openedAt)!,
    resolvedAt: ms(inc.resolvedAt),
    members: (Array.isArray(inc.members) ? inc.members : []).map((m: Record<string, unknown>) => ({
      check: String(m.check),
      status: String(m.status),
      reason: typeof m.reason === "string" ? m.reason : null,
      since: ms(m.since),
    })),
    ...(typeof inc.url === "string" && { url: inc.url }),
    ...(typeof inc.acknowledgeUrl === "string" && { acknowledgeUrl: inc.acknowledgeUrl }),
    facts: (inc.facts as IncidentFacts | undefined) ?? {},
  };
}

function subjectOf(v: IncidentView): { subject: string; verb: string } {
  const affected = v.members.filter((m) => m.status === "down");
  const degraded = v.members.filter((m) => m.status === "degraded");
  const list = affected.length > 0 ? affected : degraded.length > 0 ? degraded : v.members;
  const verb = affected.length > 0 || list.length === 0 ? "down" : list === degraded ? "degraded" : "down";
  const names = list.map((m) => m.check);
  const subject =
    v.facts.subject ??
    (names.length === 0
      ? v.title
      : names.length <= 2
        ? names.join(" and ")
        : `${names.slice(0, 2).join(", ")} and ${names.length - 2} more`);
  return { subject, verb };
}

/**
 * The one-line title every channel leads with:
 * - opened / escalated / repeated: `[L2] SafeWork: PostgreSQL down for 12 min, 3 recoveries failed`
 * - flapping: `[L1] SafeWork: api-health flapping — 6 changes in 10 min`
 * - acknowledged: `[L2 ACK] SafeWork: PostgreSQL down for 12 min, acknowledged by kim`
 * - resolved: `[RESOLVED] SafeWork: PostgreSQL recovered after 14 min`
 * - while a provider reports an incident: `[L1] CI: ci-health down — upstream incident: Git operations failing (GitHub)`
 */
export function incidentHeadline(v: IncidentView): string {
  // A state page ("monitoring broken: api unknown for 10m (…)", src/engine/state-pages.ts) says it all itself.
  if (v.facts.headline) {
    if (v.type === "incident.resolved") return `[RESOLVED] ${v.facts.headline}${v.facts.reason ? ` — ${v.facts.reason}` : ""}`;
    return `[L${v.level}] ${v.facts.headline}`;
  }
  const { subject, verb } = subjectOf(v);
  const service = v.serviceName ? `${v.serviceName}: ` : "";
  if (v.type === "incident.resolved")
    return `[RESOLVED] ${service}${subject} recovered after ${formatSpan((v.resolvedAt ?? v.at) - v.openedAt)}`;
  const lasting = v.at - v.openedAt >= 60_000 ? `${verb} for ${formatSpan(v.at - v.openedAt)}` : verb;
  const n = v.facts.failedRecoveries ?? 0;
  const recoveries = n > 0 ? `, ${n} ${n === 1 ? "recovery" : "recoveries"} failed` : "";
  // While a provider the service depends on reports an incident, every page says so.
  const upstream = v.facts.upstream ? ` — ${v.facts.upstream}` : "";
  if (v.type === "check.flapping")
    return `[L${v.level}] ${service}${subject} flapping${v.facts.reason ? ` — ${v.facts.reason}` : ""}${upstream}`;
  if (v.type === "incident.acknowledged") {
    return `[L${v.level} ACK] ${service}${subject} ${lasting}, acknowledged${v.facts.acknowledgedBy ? ` by ${v.facts.acknowledgedBy}` : ""}${upstream}`;
  }
  const repeat = v.type === "incident.repeated" ? " (reminder)" : "";
  return `[L${v.level}] ${service}${subject} ${lasting}${recoveries}${repeat}${upstream}`;
}

/** One line per member: `postgres — down since 2026-11-22 23:00 UTC+9: connection refused`. */
export function memberLines(v: IncidentView, ctx: RenderContext): string[] {
  return v.members.map((m) => {
    const since = m.since === null ? "" : ` since ${formatLocalTime(m.since, ctx.timezone)}`;
    return `${m.check} — ${m.status}${since}${m.reason ? `: ${m.reason}` : ""}`;
  });
}

/** Short status word for the incident after this event. */
export function statusWord(v: IncidentView): string {
  switch (v.type) {
    case "incident.resolved":
      return "Resolved";
    case "incident.acknowledged":
      return "Acknowledged";
    case "incident.escalated":
      return "Escalated";
    default:
      return "Open";
  }
}
