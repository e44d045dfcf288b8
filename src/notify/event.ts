/** Builds the payload of an incident event, the same for every channel. */
import type { VigilConfig } from "../config";
import type { IncidentMember } from "../engine/incident";
import type { WebhookEvent } from "./message";

export function incidentEvent(
  type: "incident.opened" | "incident.resolved",
  incident: { id: string; serviceId: string; title: string; level: number; openedAt: number; resolvedAt: number | null; members: IncidentMember[] },
  config: VigilConfig,
  now: number,
): WebhookEvent {
  const service = config.services.find((s) => s.id === incident.serviceId);
  const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
  return {
    type,
    timestamp: new Date(now).toISOString(),
    data: {
      incident: {
        id: incident.id,
        status: type === "incident.resolved" ? "resolved" : "open",
        title: incident.title,
        level: incident.level,
        service: { id: incident.serviceId, name: service?.name ?? incident.serviceId },
        openedAt: iso(incident.openedAt),
        resolvedAt: iso(incident.resolvedAt),
        members: incident.members.map((m) => ({ check: m.checkId, status: m.status, reason: m.reason, since: iso(m.since) })),
        ...(config.publicUrl && { url: `${config.publicUrl.replace(/\/$/, "")}/incidents/${incident.id}` }),
      },
    },
  };
}
