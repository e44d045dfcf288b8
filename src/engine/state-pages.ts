/**
 * State pages: a check held unknown (Vigil could not measure it) or degraded (slower than
 * `degradedMs`) longer than a policy's `monitoringBroken.after` / `degraded.after` pages that
 * rule's channels, and its resolve goes to the same channels when the check leaves the state.
 * Pure: no clock, no I/O; the service object stores the `StatePages` record next to the
 * escalation state and carries out the effects.
 *
 * These are not incidents: no incident row, nothing on the status page, no escalation levels.
 * Without the policy field nobody is paged for either state.
 *
 * Silences and maintenance windows hold these pages as they hold an incident's (`ctx.quiet`,
 * src/engine/mute.ts: a window of the service, or a silence covering the check): a page that
 * falls due while quiet is not sent, and is sent when the quiet ends if the check is still in
 * the state then (its title says how long, counted from when the check entered it). A check that
 * leaves the state while quiet and was never paged is forgotten; one that was paged gets its
 * resolve on the channels paged, quiet or not (issue #21, point 3).
 */
import { formatDuration } from "../../lib/duration";
import type { PolicySpec, StatePage } from "../config/policies";
import type { MemberStatus } from "./escalation";
import type { Quiet } from "./mute";

export type StatePageKind = "unknown" | "degraded";

export interface HeldState {
  kind: StatePageKind;
  /** When the check entered the state. */
  since: number;
  reason: string | null;
  /** The channels paged and the page's title, once paged (null: not yet). */
  paged: { channels: string[]; title: string; at: number } | null;
  /** Due but held by a silence or a maintenance window, until then (absent: not held). */
  heldUntil?: number;
}

/** What holds a check's state page at `now` (a maintenance window, a silence covering it), or null. */
export type QuietFor = (checkId: string) => Quiet;

/** Checks of one service currently held in a state a policy may page for, by check id. */
export type StatePages = Record<string, HeldState>;

export interface StatePageEffect {
  event: "incident.opened" | "incident.resolved";
  kind: StatePageKind;
  checkId: string;
  channels: string[];
  /** "monitoring broken: api unknown for 10m (probe crashed)"; the resolve repeats the page's. */
  title: string;
  /** Stable per occurrence; the notifier appends the channel. */
  key: string;
  /** When the check entered the state (the page's "opened at"). */
  since: number;
  /** Why it resolved (the resolve only). */
  reason: string | null;
}

/** A check's status as it changed: the input of `stepStatePages`. */
export interface StatusChange {
  checkId: string;
  status: MemberStatus;
  reason: string | null;
  at: number;
}

export function statePageRule(policy: PolicySpec, kind: StatePageKind): StatePage | undefined {
  return kind === "unknown" ? policy.monitoringBroken : policy.degraded;
}

const kindOf = (status: MemberStatus): StatePageKind | null => (status === "unknown" || status === "degraded" ? status : null);

/** The page's title: "monitoring broken: <check> unknown for 10m (<reason>)" or "<check> degraded for 15m (<reason>)". */
export function statePageTitle(kind: StatePageKind, checkId: string, held: number, reason: string | null): string {
  const what = `${checkId} ${kind} for ${formatDuration(held)}${reason ? ` (${reason})` : ""}`;
  return kind === "unknown" ? `monitoring broken: ${what}` : what;
}

/**
 * Applies one status change (or none, on a tick) and pages every held state whose time has
 * come. A check leaving a paged state gets its resolve on the channels paged, whatever the
 * policy says by then.
 */
export function stepStatePages(
  pages: StatePages,
  change: StatusChange | null,
  ctx: { now: number; serviceId: string; policy: PolicySpec; quiet?: QuietFor },
): { pages: StatePages; effects: StatePageEffect[]; held: { checkId: string; kind: StatePageKind; quiet: NonNullable<Quiet> }[] } {
  const next: StatePages = structuredClone(pages);
  const effects: StatePageEffect[] = [];
  const newlyHeld: { checkId: string; kind: StatePageKind; quiet: NonNullable<Quiet> }[] = [];
  const key = (id: string, h: HeldState, event: string) => `state-page:${ctx.serviceId}:${id}:${h.kind}:${h.since}:${event}`;
  if (change) {
    const kind = kindOf(change.status);
    const held = next[change.checkId];
    if (held && held.kind !== kind) {
      if (held.paged) {
        const reason = `${change.checkId} is ${change.status}`;
        effects.push({
          event: "incident.resolved",
          kind: held.kind,
          checkId: change.checkId,
          channels: held.paged.channels,
          title: held.paged.title,
          key: key(change.checkId, held, "resolved"),
          since: held.since,
          reason,
        });
      }
      delete next[change.checkId];
    }
    const current = next[change.checkId];
    if (kind && statePageRule(ctx.policy, kind)) {
      if (!current) next[change.checkId] = { kind, since: change.at, reason: change.reason, paged: null };
      else if (!current.paged) current.reason = change.reason;
    }
  }
  for (const [checkId, held] of Object.entries(next)) {
    if (held.paged) continue;
    const rule = statePageRule(ctx.policy, held.kind);
    if (!rule) {
      delete next[checkId]; // the policy no longer asks; nothing was paged
      continue;
    }
    if (ctx.now - held.since < rule.after) continue;
    const quiet = ctx.quiet?.(checkId) ?? null;
    if (quiet) {
      if (held.heldUntil !== quiet.until) newlyHeld.push({ checkId, kind: held.kind, quiet });
      held.heldUntil = quiet.until;
      continue;
    }
    delete held.heldUntil;
    const title = statePageTitle(held.kind, checkId, ctx.now - held.since, held.reason);
    held.paged = { channels: [...new Set(rule.channels)], title, at: ctx.now };
    effects.push({
      event: "incident.opened",
      kind: held.kind,
      checkId,
      channels: held.paged.channels,
      title,
      key: key(checkId, held, "opened"),
      since: held.since,
      reason: null,
    });
  }
  return { pages: next, effects, held: newlyHeld };
}

/**
 * When `stepStatePages(…, null, …)` next has something to page, or null: a page's due time, or
 * for a due page held by a silence or a window, when that ends.
 */
export function statePagesWake(pages: StatePages, policy: PolicySpec, now: number, quiet?: QuietFor): number | null {
  const times: number[] = [];
  for (const [checkId, held] of Object.entries(pages)) {
    const rule = statePageRule(policy, held.kind);
    if (held.paged || !rule) continue;
    const due = held.since + rule.after;
    const holding = due <= now ? (quiet?.(checkId) ?? null) : null;
    times.push(holding ? holding.until : due);
  }
  return times.length ? Math.max(now, Math.min(...times)) : null;
}
