/**
 * Mute facts: which down members of an incident are inhibited by a down dependency, and
 * whether a maintenance window or a silence holds pages. Pure: the ServiceObject loads the rows
 * (members, dependency states, silences) and passes them with `now`; `step` gets the result as
 * `ctx.inhibited` and `ctx.quiet` (src/engine/escalation.ts).
 *
 * Root causes, in order (the first that applies names the member's root cause):
 * 1. the check that covers the member is down in the same incident (an agent's heartbeat covers
 *    the agent's checks: a silent host explains its checks' silence);
 * 2. a check the member's monitor `dependsOn` is down (in the read model);
 * 3. a service this one `dependsOn` is down (`service:<id>`).
 * A new source of inhibition (an upstream provider's incident, say) is one more field in
 * `InhibitionFacts` and one more step here; a new reason to hold every page is one more
 * function beside `maintenanceQuiet` and `silenceQuiet`.
 */
import type { MaintenanceSpec } from "../config/policies";
import { globMatches } from "./escalation";
import { activeWindow } from "./maintenance";

/** A down member of the incident, with its structured reference to the check that covers it. */
export interface DownMember {
  id: string;
  /** A check whose being down explains this one (an agent check's heartbeat); absent for most. */
  coveredBy?: string;
}

export interface InhibitionFacts {
  /** The incident's down members (the incoming check counts as one already). */
  down: readonly DownMember[];
  /** `dependsOn` of the down members that are monitors and have any. */
  dependsOn: ReadonlyMap<string, readonly string[]>;
  /** Which of those dependency checks are down now (read model). */
  downChecks: ReadonlySet<string>;
  /** The first service this one `dependsOn` that is down now, or null. */
  downService: string | null;
}

/** Down members whose dependency is down, mapped to the root cause (a check id or `service:<id>`). */
export function inhibitions(f: InhibitionFacts): Record<string, string> {
  const out: Record<string, string> = {};
  const downIds = new Set(f.down.map((m) => m.id));
  for (const m of f.down) {
    if (m.coveredBy !== undefined && m.coveredBy !== m.id && downIds.has(m.coveredBy)) out[m.id] = m.coveredBy;
  }
  for (const [id, needs] of f.dependsOn) {
    if (!downIds.has(id)) continue;
    const root = needs.find((d) => f.downChecks.has(d));
    if (root) out[id] ??= root;
  }
  if (f.downService !== null) for (const m of f.down) out[m.id] ??= `service:${f.downService}`;
  return out;
}

/** The dependency checks whose state `inhibitions` needs: those of the down members that are monitors. */
export function monitorDependencies(
  monitors: readonly { id: string; dependsOn: readonly string[] }[],
  down: readonly DownMember[],
): Map<string, readonly string[]> {
  const ids = new Set(down.map((m) => m.id));
  return new Map(monitors.filter((m) => ids.has(m.id) && m.dependsOn.length > 0).map((m) => [m.id, m.dependsOn]));
}

/** A silence: a matcher that holds pages until it expires. */
export interface Silence {
  id: string;
  /** null: every service. */
  serviceId: string | null;
  /** null: every check of the service. */
  checkGlob: string | null;
  comment: string;
  createdBy: string;
  createdAt: number;
  endsAt: number;
}

/** Does the silence cover every one of these (down) checks of the service? */
export function silenceCovers(s: Silence, serviceId: string, checkIds: readonly string[]): boolean {
  if (s.serviceId !== null && s.serviceId !== serviceId) return false;
  if (s.checkGlob === null) return true;
  return checkIds.length > 0 && checkIds.every((id) => globMatches(s.checkGlob!, id));
}

export type Quiet = { reason: "silence" | "maintenance"; until: number; detail: string } | null;

/**
 * A maintenance window running for the service at `now` (the one ending last). It holds pages
 * before any silence does: the object reads silences only when there is no window.
 */
export function maintenanceQuiet(specs: readonly MaintenanceSpec[], serviceId: string, timezone: string, now: number): Quiet {
  const window = activeWindow(specs, serviceId, now, timezone);
  return window ? { reason: "maintenance", until: window.end, detail: window.title } : null;
}

/**
 * A silence covering every down member of the service at `now` (the one ending last). `silences`
 * are the active ones as last read: some may have ended since, which is checked here.
 */
export function silenceQuiet(silences: readonly Silence[], serviceId: string, downIds: readonly string[], now: number): Quiet {
  const covering = silences.filter((s) => s.endsAt > now && silenceCovers(s, serviceId, downIds));
  if (covering.length === 0) return null;
  const last = covering.reduce((a, b) => (b.endsAt > a.endsAt ? b : a));
  return { reason: "silence", until: last.endsAt, detail: `${last.id} by ${last.createdBy}: ${last.comment}` };
}
