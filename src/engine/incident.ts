/**
 * Incident decisions for one service: pure. Given the service's open incident (if any) and a
 * check's state change, what happens: open, add a member, mark a member recovered, resolve,
 * and which notifications go out. The store carries the decision out.
 */
import type { StateChanged } from "./evaluate";

export interface IncidentMember {
  /** Monitor id, or agent check id. */
  checkId: string;
  status: string;
  reason: string | null;
  since: number;
}

export interface OpenIncident {
  id: string;
  serviceId: string;
  level: number;
  openedAt: number;
  members: IncidentMember[];
}

export type IncidentEventType = "incident.opened" | "incident.resolved";

export type IncidentAction =
  | { type: "open"; incidentId: string; title: string; member: IncidentMember }
  | { type: "add-member"; incidentId: string; member: IncidentMember }
  | { type: "member-recovered"; incidentId: string; member: IncidentMember }
  | { type: "resolve"; incidentId: string; at: number }
  | { type: "notify"; incidentId: string; event: IncidentEventType; level: number };

/** Deterministic incident id: the same outage always gets the same id (idempotent retries). */
export function incidentId(serviceId: string, openedAt: number): string {
  return `inc_${serviceId}_${openedAt.toString(36)}`;
}

export function decideIncident(input: {
  serviceId: string;
  serviceName: string;
  checkId: string;
  change: StateChanged;
  open: OpenIncident | null;
}): IncidentAction[] {
  const { change, open, checkId } = input;
  if (change.to === "down") {
    const member: IncidentMember = { checkId, status: "down", reason: change.reason, since: change.at };
    if (!open) {
      const id = incidentId(input.serviceId, change.at);
      const title = `${input.serviceName}: ${checkId} down${change.reason ? ` — ${change.reason}` : ""}`;
      return [
        { type: "open", incidentId: id, title, member },
        { type: "notify", incidentId: id, event: "incident.opened", level: 1 },
      ];
    }
    if (open.members.some((m) => m.checkId === checkId && m.status === "down")) return [];
    return [{ type: "add-member", incidentId: open.id, member }];
  }
  if (change.from === "down" && open && open.members.some((m) => m.checkId === checkId)) {
    const member: IncidentMember = { checkId, status: change.to, reason: null, since: change.at };
    const actions: IncidentAction[] = [{ type: "member-recovered", incidentId: open.id, member }];
    const stillDown = open.members.filter((m) => m.checkId !== checkId && m.status === "down");
    if (stillDown.length === 0) {
      actions.push({ type: "resolve", incidentId: open.id, at: change.at });
      actions.push({ type: "notify", incidentId: open.id, event: "incident.resolved", level: open.level });
    }
    return actions;
  }
  return [];
}
