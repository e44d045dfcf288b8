/**
 * ServiceObject: one Durable Object per service (`getByName(serviceId)`). It owns the service's
 * incident: it serialises every input (check changes, failed recoveries, acks, flags, alarms),
 * gathers the facts the pure engine needs, calls `step`, and carries out what it decided.
 *
 * 1. Load the escalation state (Durable Object storage) and the config.
 * 2. Gather facts: the rows the mute facts need (dependency states, whether a service this one
 *    `dependsOn` is down, active silences), then decide which down members are inhibited and
 *    whether a silence or a maintenance window holds pages (src/engine/mute.ts); and whether a
 *    provider the service depends on reports an incident (src/engine/upstream.ts).
 * 3. `step(state, input, ctx)` (src/engine/escalation.ts).
 * 4. Write the read model (incident row, members, timeline) and the notifications (outbox) to
 *    D1 in one batch, then save the state, then hand those notifications to the queue at once
 *    (what the queue does not take, the cron tick's outbox sweep sends).
 * 5. Arm the alarm at the engine's next wake-up.
 *
 * Beside the incident, the policy's state pages (`monitoringBroken`, `degraded`:
 * src/engine/state-pages.ts), held by the same maintenance windows and silences.
 */
import type { ServiceSpec, VigilConfig } from "../config";
import {
  emptyState,
  nextWake,
  step,
  type Effect,
  type EscalationContext,
  type EscalationInput,
  type EscalationState,
  type Incident,
} from "../engine/escalation";
import { statePagesWake, stepStatePages, type QuietFor, type StatePages } from "../engine/state-pages";
import { upstreamFact, type UpstreamFact } from "../engine/upstream";
import { inhibitions, maintenanceQuiet, monitorDependencies, silenceQuiet, type DownMember, type Silence } from "../engine/mute";
import { logEvent } from "../log";
import { LINK_TTL_MS, linkSecret, signLink } from "../incidents/links";
import { pageMessages, statePageMessages } from "../notify/event";
import { loadStates } from "../store/check-state";
import { addEvent, upsertIncident, upsertMembers } from "../store/incidents";
import type { NotifyMessage } from "../notify/message";
import { enqueueInOutbox, handOver } from "../store/outbox";
import { activeSilences } from "../store/silences";
import { loadUpstreamReadings } from "../upstreams/readings";
import { VigilObject } from "./vigil-object";

const STATE_KEY = "state";
const SERVICE_KEY = "service";
/** Checks held unknown or degraded, for the policy's state pages (src/engine/state-pages.ts). */
const STATE_PAGES_KEY = "statePages";
/** How long a read of the active silences serves later inputs (a new silence ticks anyway). */
const SILENCES_TTL_MS = 10_000;

export class ServiceObject extends VigilObject {
  /**
   * Active silences as last read from D1. Re-read on a `tick` (creating or ending a silence
   * ticks every service it covers) and after SILENCES_TTL_MS; between, a burst of inputs (50
   * agents of this service going silent together) shares one read instead of one each.
   */
  private silences: { readAt: number; rows: Silence[] } | null = null;
  /** Member rows as this instance last wrote them to D1 (see upsertMembers). */
  private readonly writtenMembers = new Map<string, string>();

  /** Applies one input for `serviceId`; returns the incident as it is afterwards. */
  apply(serviceId: string, input: EscalationInput): Promise<Incident | null> {
    return this.queue.run(() => this.run(serviceId, input));
  }

  /** True while this service has an open incident with a down member (for dependants' inhibition). */
  async isDown(): Promise<boolean> {
    const state = await this.ctx.storage.get<EscalationState>(STATE_KEY);
    const incident = state?.incident;
    return incident?.status === "open" && Object.values(incident.members).some((m) => m.status === "down");
  }

  async incident(): Promise<Incident | null> {
    return (await this.ctx.storage.get<EscalationState>(STATE_KEY))?.incident ?? null;
  }

  /**
   * A check's change that neither enters nor leaves "down" (into or out of unknown, degraded):
   * only the policy's state pages (`monitoringBroken`, `degraded`) look at it; for the incident
   * it is a tick.
   */
  observe(serviceId: string, input: Extract<EscalationInput, { type: "check" }>): Promise<Incident | null> {
    return this.queue.run(() => this.run(serviceId, input, true));
  }

  override async alarm(): Promise<void> {
    const serviceId = await this.ctx.storage.get<string>(SERVICE_KEY);
    if (serviceId) await this.queue.run(() => this.run(serviceId, { type: "tick", at: Date.now() }));
  }

  private async run(serviceId: string, original: EscalationInput, statePageOnly = false): Promise<Incident | null> {
    const input: EscalationInput = statePageOnly ? { type: "tick", at: original.at } : original;
    // 1. Load.
    const config = this.config();
    const service = config.services.find((s) => s.id === serviceId);
    if (!service) throw new Error(`unknown service "${serviceId}"`);
    const policy = config.policies.find((p) => p.id === service.policy)!;
    const state = (await this.ctx.storage.get<EscalationState>(STATE_KEY)) ?? emptyState();
    await this.ctx.storage.put(SERVICE_KEY, serviceId);
    const now = Math.max(Date.now(), input.at);

    // 2. Facts. The incoming check counts as a member already.
    const probe =
      input.type === "check"
        ? step(state, input, { now, serviceId, serviceName: service.name, policy, inhibited: {}, quiet: null }).state
        : state;
    const down: DownMember[] = Object.entries(probe.incident?.status === "open" ? probe.incident.members : {})
      .filter(([, m]) => m.status === "down")
      .map(([id, m]) => (m.coveredBy !== undefined ? { id, coveredBy: m.coveredBy } : { id }));
    const downIds = down.map((m) => m.id);
    const ctx: EscalationContext = {
      now,
      serviceId,
      serviceName: service.name,
      policy,
      inhibited: await this.inhibited(config, service, down),
      quiet:
        maintenanceQuiet(config.maintenance, serviceId, config.timezone, now) ??
        silenceQuiet(await this.activeSilences(now, input.type === "tick"), serviceId, downIds, now),
      upstream: probe.incident?.status === "open" ? await this.upstream(config, service, policy.upstreamLevel) : null,
    };

    // 3. Decide.
    const { state: next, effects } = step(state, input, ctx);

    // 4. Record and notify.
    const pages: NotifyMessage[] = [];
    if (next.incident && (effects.length > 0 || JSON.stringify(next.incident) !== JSON.stringify(state.incident))) {
      try {
        await this.env.DB.batch(await this.statements(config, serviceId, next.incident, ctx.inhibited, effects, now, pages));
      } catch (err) {
        this.writtenMembers.clear(); // nothing of the batch was written
        throw err;
      }
    }
    await this.ctx.storage.put(STATE_KEY, next);
    if (next.incident) logEffects(serviceId, next.incident, effects, policy);

    // State pages: a check unknown or degraded longer than the policy asks pages its channels.
    const held = (await this.ctx.storage.get<StatePages>(STATE_PAGES_KEY)) ?? {};
    const change =
      original.type === "check" ? { checkId: original.checkId, status: original.status, reason: original.reason, at: original.at } : null;
    // Held like an incident's pages: by a maintenance window of the service, or a silence covering the check.
    const maintenance = maintenanceQuiet(config.maintenance, serviceId, config.timezone, now);
    const silences =
      maintenance || (Object.keys(held).length === 0 && !change) ? [] : await this.activeSilences(now, input.type === "tick");
    const quiet: QuietFor = (checkId) => maintenance ?? silenceQuiet(silences, serviceId, [checkId], now);
    const stepped = stepStatePages(held, change, { now, serviceId, policy, quiet });
    for (const h of stepped.held)
      logEvent("state.page_held", { service: serviceId, check: h.checkId, kind: h.kind, held: h.quiet.reason, until: h.quiet.until });
    if (stepped.effects.length > 0) {
      const messages = stepped.effects.flatMap((e) => statePageMessages(e, serviceId, config, now));
      await this.env.DB.batch(messages.map((m) => enqueueInOutbox(this.env.DB, m, now)));
      pages.push(...messages);
      for (const e of stepped.effects)
        logEvent("state.page", {
          service: serviceId,
          check: e.checkId,
          event: e.event,
          kind: e.kind,
          channels: e.channels,
          title: e.title,
        });
    }
    if (JSON.stringify(stepped.pages) !== JSON.stringify(held)) await this.ctx.storage.put(STATE_PAGES_KEY, stepped.pages);
    await handOver(this.env.DB, this.env.NOTIFY, pages, now);

    // 5. Arm.
    const wakes = [nextWake(next, ctx), statePagesWake(stepped.pages, policy, now, quiet)].filter((t): t is number => t !== null);
    await this.alarmClock.arm(wakes.length ? Math.min(...wakes) : null);
    return next.incident;
  }

  /** Loads what inhibition needs (dependency checks' states, a down service this one `dependsOn`) and decides. */
  private async inhibited(config: VigilConfig, service: ServiceSpec, down: DownMember[]): Promise<Record<string, string>> {
    if (down.length === 0) return {};
    // Monitors' own dependsOn: a dependency check that is down now (the read model) is the root cause.
    const dependsOn = monitorDependencies(config.monitors, down);
    const states = dependsOn.size > 0 ? await loadStates(this.env.DB, [...new Set([...dependsOn.values()].flat())]) : new Map();
    const downChecks = new Set([...states].filter(([, s]) => s.status === "down").map(([id]) => id));
    let downService: string | null = null;
    for (const dep of service.dependsOn) {
      if (await this.env.SERVICE.getByName(dep).isDown()) {
        downService = dep;
        break;
      }
    }
    return inhibitions({ down, dependsOn, downChecks, downService });
  }

  /** A provider this service depends on that reports an incident (as the cron's poller last read it), or null. */
  private async upstream(config: VigilConfig, service: ServiceSpec, maxLevel: number): Promise<UpstreamFact | null> {
    if (service.upstreams.length === 0) return null;
    return upstreamFact(service.upstreams, await loadUpstreamReadings(this.env.DB, config, service.upstreams), maxLevel);
  }

  /** Active silences, re-read on a tick (`fresh`) or once SILENCES_TTL_MS old. */
  private async activeSilences(now: number, fresh: boolean): Promise<Silence[]> {
    if (fresh || !this.silences || now - this.silences.readAt >= SILENCES_TTL_MS || now < this.silences.readAt) {
      this.silences = { readAt: now, rows: await activeSilences(this.env.DB, now) };
    }
    return this.silences.rows;
  }

  /** The D1 batch for one step; the notifications it writes to the outbox are pushed to `out`. */
  private async statements(
    config: VigilConfig,
    serviceId: string,
    incident: Incident,
    inhibited: Readonly<Record<string, string>>,
    effects: Effect[],
    now: number,
    out: NotifyMessage[],
  ): Promise<D1PreparedStatement[]> {
    const db = this.env.DB;
    const stmts: D1PreparedStatement[] = [
      upsertIncident(db, serviceId, incident),
      ...upsertMembers(db, incident, inhibited, this.writtenMembers),
    ];
    // The acknowledge link goes into pages only: signed when there is one to send.
    const secret = linkSecret(this.env);
    const pages = effects.some((e) => e.type === "notify");
    const links =
      pages && config.publicUrl && secret
        ? { acknowledge: await signLink(config.publicUrl, secret, incident.id, "ack", now + LINK_TTL_MS, incident.openedAt) }
        : {};
    for (const e of effects) {
      if (e.type === "timeline") {
        stmts.push(addEvent(db, incident.id, now, e.event, e.detail));
        continue;
      }
      // One line per incident event for `wrangler tail` (docs/deploy.md filters on msg "incident").
      console.log(JSON.stringify({ msg: "incident", event: e.event, incident: incident.id, service: serviceId, level: e.level }));
      for (const message of pageMessages(e, { ...incident, serviceId }, config, now, links)) {
        out.push(message);
        stmts.push(
          enqueueInOutbox(db, message, now),
          addEvent(db, incident.id, now, "notification.queued", { channel: message.channelId, event: e.event, level: e.level }),
        );
      }
    }
    return stmts;
  }
}

/** One log line per timeline event and per page, once they are stored (src/log.ts). */
function logEffects(serviceId: string, incident: Incident, effects: Effect[], policy: VigilConfig["policies"][number]) {
  const base = { incident: incident.id, service: serviceId, title: incident.title };
  for (const e of effects) {
    if (e.type === "timeline") logEvent("incident.event", { ...base, event: e.event, detail: e.detail });
    else {
      const channels = [...new Set(e.levels.flatMap((l) => policy.levels[Math.min(l, policy.levels.length) - 1]?.channels ?? []))];
      logEvent("incident.page", { ...base, event: e.event, level: e.level, channels, reason: e.reason });
    }
  }
}
