/**
 * Escalation: one service's incident, as a pure state machine.
 *
 * `step(state, input, ctx)` → `{ state, effects }`. No I/O, no clock: the Durable Object that
 * owns a service loads the state, gathers the facts in `ctx` (time, policy, which members are
 * inhibited by a down dependency, whether a silence or maintenance window holds pages), calls
 * `step`, stores the result, carries out the effects and arms an alarm at `nextWake(...)`.
 *
 * Decisions, in the order `advance` takes them:
 * 1. Flapping checks that have been quiet for the window settle.
 * 2. An open incident whose members are all up resolves (unless a member is flapping).
 * 3. Nothing pages while acknowledged (until the acknowledgement's timeout), while a silence or
 *    maintenance window holds, or while every down member is inhibited by a down dependency.
 * 4. Level 1 is paged `groupWait` after opening; each later level when its `after` has passed
 *    since the previous page, or at once when any of its conditions holds.
 * 5. `repeat` re-notifies the current level until someone acknowledges.
 */
import { formatDuration } from "../../lib/duration";
import type { EscalationCondition, IncidentFlag, PolicySpec } from "../config/policies";
import type { UpstreamFact } from "./upstream";

export type MemberStatus = "up" | "degraded" | "down" | "unknown" | "stale";

export interface Member {
  /** Check kind: `http`, `tls`, `docker`, `postgres`, `heartbeat`, … */
  kind: string;
  status: MemberStatus;
  reason: string | null;
  since: number;
  /** The check whose being down explains this one (an agent check's heartbeat), if any (src/engine/mute.ts). */
  coveredBy?: string;
}

export interface Incident {
  id: string;
  status: "open" | "resolved";
  title: string;
  openedAt: number;
  resolvedAt: number | null;
  /** Highest level paged so far (0: nobody yet). */
  level: number;
  /** When the incident reached `level` (escalation timers count from here). */
  levelAt: number | null;
  /** When someone was last paged (first page, escalation or repeat; repeats count from here). */
  pagedAt: number | null;
  members: Record<string, Member>;
  flags: IncidentFlag[];
  /** Failed automatic recoveries reported during this incident, per check. */
  failedRecoveries: Record<string, number>;
  ack: { by: string; at: number; until: number | null } | null;
  /** Why pages are held right now (timeline once per hold). */
  held: "silence" | "maintenance" | "inhibited" | "upstream" | "flapping" | null;
  /** The upstream incident last noted in the timeline (`upstream incident: …`), if one holds now. */
  upstream?: string | null;
  /** How many times each (level, event) was sent: makes idempotency keys of repeats unique. */
  sent: Record<string, number>;
  /** Times reopened: a reopened incident pages again. */
  reopened: number;
  /**
   * Channels paged in this episode (opened, escalated, repeated, flapping), in the order first
   * paged. The acknowledgement and the resolve go to exactly these, whatever the config says by
   * then: every page gets its resolve on the channel it went to, and no channel gets a resolve
   * for a page it never saw. Absent in states stored before it existed (then: every level paged).
   */
  paged?: string[];
}

export interface EscalationState {
  incident: Incident | null;
  /** Recent status-change times per check, for flap detection. */
  changes: Record<string, number[]>;
  /** Checks currently flapping, with when it started. */
  flapping: Record<string, number>;
}

export const emptyState = (): EscalationState => ({ incident: null, changes: {}, flapping: {} });

export type EscalationInput =
  | { type: "check"; checkId: string; kind: string; status: MemberStatus; reason: string | null; at: number; coveredBy?: string }
  | { type: "remediation"; checkId: string; outcome: "succeeded" | "failed"; at: number }
  | { type: "tick"; at: number }
  | { type: "ack"; by: string; at: number; reescalateAfter: number | null }
  | { type: "resolve"; by: string; at: number }
  | { type: "note"; by: string; text: string; at: number }
  | { type: "flag"; flag: IncidentFlag; by: string; at: number };

export type NotifyEventType =
  | "incident.opened"
  | "incident.escalated"
  | "incident.repeated"
  | "incident.acknowledged"
  | "incident.resolved"
  | "check.flapping";

export type Effect =
  | {
      type: "notify";
      event: NotifyEventType;
      /** Levels whose channels receive it (resolved and acknowledged go to everyone paged). */
      levels: number[];
      /** The level the incident is at (for titles: `[L2] …`). */
      level: number;
      /** Stable per occurrence: `<incident>:<event>:L<level>:<n>`; the notifier appends the channel. */
      key: string;
      reason: string | null;
      /** While a provider the service depends on reports an incident: `upstream incident: <title> (<provider>)`. */
      upstream?: string;
      /** Exactly these channels instead of the levels' (acknowledged, resolved: the channels paged). */
      channels?: string[];
    }
  | { type: "timeline"; event: string; detail: Record<string, unknown> };

export interface EscalationContext {
  now: number;
  serviceId: string;
  serviceName: string;
  policy: PolicySpec;
  /** Down members whose dependency is down too, mapped to the root cause (check or service). */
  inhibited: Readonly<Record<string, string>>;
  /** A silence or maintenance window holding pages, and until when. */
  quiet: { reason: "silence" | "maintenance"; until: number; detail: string } | null;
  /**
   * A provider the service depends on reports an incident (src/engine/upstream.ts): pages go at
   * most to `maxLevel` (0: none, the timeline says why) and carry its text.
   */
  upstream?: UpstreamFact | null;
}

const isDown = (m: Member) => m.status === "down";

/** Deterministic incident id: the same outage always gets the same id. */
export function incidentId(serviceId: string, openedAt: number): string {
  return `inc_${serviceId}_${openedAt.toString(36)}`;
}

export function step(
  state: EscalationState,
  input: EscalationInput,
  ctx: EscalationContext,
): { state: EscalationState; effects: Effect[] } {
  const s: EscalationState = structuredClone(state);
  const effects: Effect[] = [];
  const timeline = (event: string, detail: Record<string, unknown> = {}) => effects.push({ type: "timeline", event, detail });
  const inc = () => s.incident;

  switch (input.type) {
    case "check": {
      const member: Member = { kind: input.kind, status: input.status, reason: input.reason, since: input.at };
      if (input.coveredBy !== undefined) member.coveredBy = input.coveredBy;
      const incident = inc();
      /** False for a down member's new error text: no status change, nothing for flap detection. */
      let statusChange = true;
      if (input.status === "down") {
        if (!incident || incident.status === "resolved") {
          if (incident && input.at - (incident.resolvedAt ?? 0) <= ctx.policy.reopenWithin) {
            incident.status = "open";
            incident.resolvedAt = null;
            incident.level = 0;
            incident.levelAt = null;
            incident.pagedAt = null;
            incident.ack = null;
            incident.held = null;
            incident.reopened++;
            incident.openedAt = input.at;
            incident.members[input.checkId] = member;
            // The title tells this episode's cause, not the first one's; the pages start afresh.
            incident.title = incidentTitle(ctx.serviceName, input.checkId, input.reason);
            incident.paged = [];
            timeline("incident.reopened", { check: input.checkId, reason: input.reason });
          } else {
            s.incident = newIncident(ctx, input.checkId, member);
            timeline("incident.opened", { check: input.checkId, reason: input.reason });
          }
        } else if (!incident.members[input.checkId] || !isDown(incident.members[input.checkId]!)) {
          const known = incident.members[input.checkId] !== undefined;
          incident.members[input.checkId] = member;
          timeline(known ? "member.down" : "member.added", { check: input.checkId, reason: input.reason });
        } else if (incident.members[input.checkId]!.reason !== input.reason) {
          // Still down, failing differently: the member says so, the timeline records it, nobody is paged.
          const was = incident.members[input.checkId]!;
          timeline("member.reason_changed", { check: input.checkId, from: was.reason, to: input.reason });
          incident.members[input.checkId] = { ...was, reason: input.reason };
          statusChange = false;
        }
      } else if (incident?.status === "open" && incident.members[input.checkId]) {
        const wasDown = isDown(incident.members[input.checkId]!);
        incident.members[input.checkId] = member;
        if (wasDown)
          timeline(input.status === "stale" ? "member.stale" : input.status === "unknown" ? "member.unknown" : "member.recovered", {
            check: input.checkId,
            ...(input.status === "unknown" && { reason: input.reason }),
          });
      }
      if (statusChange) recordChange(s, input.checkId, input.at, ctx.policy, timeline, effects, ctx);
      break;
    }
    case "remediation": {
      const incident = inc();
      if (incident?.status === "open" && input.outcome === "failed") {
        incident.failedRecoveries[input.checkId] = (incident.failedRecoveries[input.checkId] ?? 0) + 1;
        timeline("recovery.failed", { check: input.checkId, count: incident.failedRecoveries[input.checkId] });
      }
      break;
    }
    case "ack": {
      const incident = inc();
      if (incident?.status === "open" && !incident.ack) {
        incident.ack = { by: input.by, at: input.at, until: input.reescalateAfter === null ? null : input.at + input.reescalateAfter };
        timeline("incident.acknowledged", {
          by: input.by,
          ...(incident.ack.until !== null && { until: new Date(incident.ack.until).toISOString() }),
        });
        if (incident.level > 0) effects.push(toPaged(incident, "incident.acknowledged", null));
      }
      break;
    }
    case "resolve": {
      const incident = inc();
      if (incident?.status === "open") resolve(incident, input.at, effects, timeline, `resolved by ${input.by}`);
      break;
    }
    case "note": {
      if (inc()) timeline("note", { by: input.by, text: input.text });
      break;
    }
    case "flag": {
      const incident = inc();
      if (incident?.status === "open" && !incident.flags.includes(input.flag)) {
        incident.flags.push(input.flag);
        timeline("flag.set", { flag: input.flag, by: input.by });
      }
      break;
    }
    case "tick":
      break;
  }
  advance(s, ctx, effects, timeline);
  // Every page but the all-clear says so while a provider the service depends on reports an incident.
  if (ctx.upstream) for (const e of effects) if (e.type === "notify" && e.event !== "incident.resolved") e.upstream = ctx.upstream.text;
  return { state: s, effects };
}

function newIncident(ctx: EscalationContext, checkId: string, member: Member): Incident {
  return {
    id: incidentId(ctx.serviceId, member.since),
    status: "open",
    title: incidentTitle(ctx.serviceName, checkId, member.reason),
    openedAt: member.since,
    resolvedAt: null,
    level: 0,
    levelAt: null,
    pagedAt: null,
    members: { [checkId]: member },
    flags: [],
    failedRecoveries: {},
    ack: null,
    held: null,
    sent: {},
    reopened: 0,
    paged: [],
  };
}

/** An incident's title: the service, the check that opened (or reopened) it, and why. */
export function incidentTitle(serviceName: string, checkId: string, reason: string | null): string {
  return `${serviceName}: ${checkId} down${reason ? ` — ${reason}` : ""}`;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

type NotifyEffect = Extract<Effect, { type: "notify" }>;

function notify(incident: Incident, event: NotifyEventType, levels: number[], reason: string | null): NotifyEffect {
  const slot = `${event}:L${incident.level}`;
  const n = (incident.sent[slot] = (incident.sent[slot] ?? 0) + 1);
  return {
    type: "notify",
    event,
    levels,
    level: incident.level,
    key: `${incident.id}:${event}:L${incident.level}:${incident.reopened}.${n}`,
    reason,
  };
}

/** A page (opened, escalated, repeated, flapping) to the channels of `levels`, remembered in `incident.paged`. */
function page(incident: Incident, event: NotifyEventType, levels: number[], reason: string | null, policy: PolicySpec): Effect {
  const paged = (incident.paged ??= []);
  for (const l of levels)
    for (const c of policy.levels[Math.min(l, policy.levels.length) - 1]?.channels ?? []) if (!paged.includes(c)) paged.push(c);
  return notify(incident, event, levels, reason);
}

/** The follow-up of the pages (acknowledged, resolved): to every channel paged, and only those. */
function toPaged(incident: Incident, event: NotifyEventType, reason: string | null): Effect {
  const effect = notify(incident, event, range(incident.level), reason);
  return incident.paged === undefined ? effect : { ...effect, channels: [...incident.paged] };
}

function resolve(
  incident: Incident,
  at: number,
  effects: Effect[],
  timeline: (e: string, d?: Record<string, unknown>) => void,
  why: string,
) {
  incident.status = "resolved";
  incident.resolvedAt = at;
  incident.held = null;
  timeline("incident.resolved", { reason: why });
  if (incident.level > 0) effects.push(toPaged(incident, "incident.resolved", why));
}

/** Records a status change for flap detection; starts flapping when over the limit. */
function recordChange(
  s: EscalationState,
  checkId: string,
  at: number,
  policy: PolicySpec,
  timeline: (e: string, d?: Record<string, unknown>) => void,
  effects: Effect[],
  ctx: EscalationContext,
) {
  const recent = (s.changes[checkId] ?? []).filter((t) => at - t < policy.flapping.window);
  recent.push(at);
  s.changes[checkId] = recent;
  if (recent.length > policy.flapping.changes && s.flapping[checkId] === undefined) {
    s.flapping[checkId] = at;
    timeline("check.flapping", { check: checkId, changes: recent.length, window: policy.flapping.window });
    const incident = s.incident;
    if (incident?.status === "open" && !ctx.quiet) {
      // The flapping notice is the page for this incident: level 1 hears when it resolves.
      if (incident.level === 0) {
        incident.level = 1;
        incident.levelAt = incident.pagedAt = at;
      }
      const why = `${checkId} changed state ${recent.length} times in ${formatDuration(policy.flapping.window)}`;
      effects.push(page(incident, "check.flapping", [1], why, policy));
    }
  }
}

function advance(
  s: EscalationState,
  ctx: EscalationContext,
  effects: Effect[],
  timeline: (e: string, d?: Record<string, unknown>) => void,
) {
  const { now, policy } = ctx;

  // 1. Flapping checks settle after a quiet window.
  for (const [checkId, since] of Object.entries(s.flapping)) {
    const last = s.changes[checkId]?.at(-1) ?? since;
    if (now - last >= policy.flapping.window) {
      delete s.flapping[checkId];
      s.changes[checkId] = [];
      timeline("check.settled", { check: checkId });
    }
  }

  const incident = s.incident;
  if (incident?.status !== "open") return;

  // 2. Resolve when no member is down and none is flapping.
  const down = Object.entries(incident.members).filter(([, m]) => isDown(m));
  const flapping = Object.keys(incident.members).some((id) => s.flapping[id] !== undefined);
  if (down.length === 0 && !flapping) {
    resolve(incident, now, effects, timeline, "all checks recovered");
    return;
  }

  // 3. Note an upstream incident beginning, changing or ending; then hold pages:
  //    acknowledgement, silence/maintenance, inhibition, an upstream incident (level 0).
  const upstream = ctx.upstream ?? null;
  if ((upstream?.text ?? null) !== (incident.upstream ?? null)) {
    if (upstream) timeline("upstream.incident", { detail: upstream.text, upstreams: upstream.upstreams, maxLevel: upstream.maxLevel });
    else timeline("upstream.cleared", {});
    incident.upstream = upstream?.text ?? null;
  }
  if (incident.ack) {
    if (incident.ack.until === null || now < incident.ack.until) return;
    timeline("acknowledgement.expired", { by: incident.ack.by });
    incident.ack = null;
    if (incident.level > 0) {
      incident.pagedAt = incident.levelAt = now;
      effects.push(page(incident, "incident.escalated", [incident.level], "acknowledged but not resolved in time", policy));
    }
  }
  const allInhibited = down.length > 0 && down.every(([id]) => ctx.inhibited[id] !== undefined);
  // A flapping check was announced once (check.flapping); it pages nothing more until it settles.
  const allFlapping = down.every(([id]) => s.flapping[id] !== undefined);
  const hold: Incident["held"] = ctx.quiet
    ? ctx.quiet.reason
    : allInhibited
      ? "inhibited"
      : upstream?.maxLevel === 0
        ? "upstream"
        : allFlapping
          ? "flapping"
          : null;
  if (hold !== incident.held) {
    if (hold === "flapping") {
      // announced by check.flapping
    } else if (hold === "inhibited")
      timeline("pages.suppressed", { reason: "dependency down", rootCause: [...new Set(down.map(([id]) => ctx.inhibited[id]))] });
    else if (hold === "upstream") timeline("pages.held", { reason: "upstream incident", detail: upstream!.text });
    else if (hold) timeline("pages.held", { reason: hold, detail: ctx.quiet?.detail, until: new Date(ctx.quiet!.until).toISOString() });
    else timeline("pages.released", {});
    incident.held = hold;
  }
  if (hold) return;

  // 4. First page after groupWait, then escalate level by level.
  if (incident.level === 0) {
    if (now < incident.openedAt + policy.groupWait) return;
    incident.level = 1;
    incident.pagedAt = incident.levelAt = now;
    timeline("incident.paged", { level: 1 });
    effects.push(page(incident, "incident.opened", [1], null, policy));
  }
  // While an upstream incident holds, no level above its maxLevel is paged.
  const top = upstream ? Math.min(upstream.maxLevel, policy.levels.length) : policy.levels.length;
  for (let next = incident.level + 1; next <= top; next++) {
    const reason = escalationReason(incident, policy, next, now);
    if (!reason) break;
    incident.level = next;
    incident.pagedAt = incident.levelAt = now;
    timeline("incident.escalated", { level: next, reason });
    effects.push(page(incident, "incident.escalated", [next], reason, policy));
  }

  // 5. Repeat until acknowledged.
  if (policy.repeat !== undefined && incident.pagedAt !== null && now - incident.pagedAt >= policy.repeat) {
    incident.pagedAt = now;
    timeline("incident.repeated", { level: incident.level });
    const why = `still down after ${formatDuration(now - incident.openedAt)}, not acknowledged`;
    effects.push(page(incident, "incident.repeated", [incident.level], why, policy));
  }
}

/** Why the incident should move to `level` now, or null. */
export function escalationReason(incident: Incident, policy: PolicySpec, level: number, now: number): string | null {
  const spec = policy.levels[level - 1];
  if (!spec) return null;
  for (const c of spec.when) {
    const why = conditionHolds(incident, c, now);
    if (why) return why;
  }
  if (spec.after !== undefined && incident.levelAt !== null && now - incident.levelAt >= spec.after) {
    return `not acknowledged within ${formatDuration(spec.after)}`;
  }
  return null;
}

/**
 * Glob with `*` for any run of characters: `agent:*:postgres`. The two-pointer wildcard
 * match: on a mismatch it moves only the last star's start, never earlier ones, so a glob of
 * many stars costs at most glob × text steps (a backtracking regex of 40 stars took 30 s).
 */
export function globMatches(glob: string, text: string): boolean {
  let g = 0;
  let t = 0;
  let star = -1; // index in glob just after the last `*` seen
  let mark = 0; // where in text that star's run ends so far
  while (t < text.length) {
    if (g < glob.length && glob[g] !== "*" && glob[g] === text[t]) {
      g++;
      t++;
    } else if (g < glob.length && glob[g] === "*") {
      star = ++g;
      mark = t;
    } else if (star !== -1) {
      g = star;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (g < glob.length && glob[g] === "*") g++;
  return g === glob.length;
}
const matches = globMatches;

export function conditionHolds(incident: Incident, c: EscalationCondition, now: number): string | null {
  if ("failedRecoveries" in c) {
    const n = Object.entries(incident.failedRecoveries)
      .filter(([id]) => c.check === undefined || matches(c.check, id))
      .reduce((sum, [, k]) => sum + k, 0);
    return n >= c.failedRecoveries ? `${n} automatic recover${n === 1 ? "y" : "ies"} failed${c.check ? ` (${c.check})` : ""}` : null;
  }
  if ("outageFor" in c) {
    return now - incident.openedAt >= c.outageFor ? `down for ${formatDuration(now - incident.openedAt)}` : null;
  }
  if ("failingMembers" in c) {
    const n = Object.values(incident.members).filter((m) => isDown(m) && (c.kind === undefined || m.kind === c.kind)).length;
    return n >= c.failingMembers ? `${n} ${c.kind ? `${c.kind} ` : ""}checks failing at once` : null;
  }
  if ("checkDown" in c) {
    const hit = Object.entries(incident.members).find(([id, m]) => isDown(m) && matches(c.checkDown, id));
    return hit ? `${hit[0]} is down` : null;
  }
  return incident.flags.includes(c.flag) ? `flag ${c.flag} set` : null;
}

/** While pages are held by inhibition, how often the object looks again at its dependencies. */
export const INHIBITION_RECHECK_MS = 30_000;

/** The earliest time `step(…, { type: "tick" })` could change something, or null. */
export function nextWake(state: EscalationState, ctx: Omit<EscalationContext, "inhibited">): number | null {
  const times: number[] = [];
  const { policy } = ctx;
  for (const [checkId, since] of Object.entries(state.flapping))
    times.push((state.changes[checkId]?.at(-1) ?? since) + policy.flapping.window);
  const incident = state.incident;
  if (incident?.status === "open") {
    if (incident.ack) {
      if (incident.ack.until !== null) times.push(incident.ack.until);
    } else if (ctx.quiet) {
      times.push(ctx.quiet.until);
    } else if (incident.held === "inhibited" || incident.held === "upstream") {
      // (the upstream poller also ticks the service when the upstream changes)
      times.push(ctx.now + INHIBITION_RECHECK_MS);
    } else if (incident.held === "flapping") {
      // woken when the flapping settles (above)
    } else {
      if (incident.level === 0) times.push(incident.openedAt + policy.groupWait);
      const next = policy.levels[incident.level];
      const capped = ctx.upstream && incident.level >= ctx.upstream.maxLevel;
      if (capped) times.push(ctx.now + INHIBITION_RECHECK_MS);
      else if (next && incident.level > 0) {
        if (next.after !== undefined && incident.levelAt !== null) times.push(incident.levelAt + next.after);
        for (const c of next.when) if ("outageFor" in c) times.push(incident.openedAt + c.outageFor);
      }
      if (policy.repeat !== undefined && incident.pagedAt !== null) times.push(incident.pagedAt + policy.repeat);
    }
  }
  return times.length ? Math.max(ctx.now, Math.min(...times)) : null;
}
