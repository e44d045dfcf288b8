/**
 * Private locations: the worker's monitors this agent runs from its host's network (a monitor's
 * `locations: ["agent:<id>"]`; README, "Private locations").
 *
 * - The list comes from the worker: every answer to a report carries `monitors`, which replaces
 *   it (an older worker sends none, and nothing changes). The worker's config stays the one
 *   source of truth; the agent's config only allows it (`monitors`) and names the secrets a
 *   spec may read here (`monitors.secrets`). Values never travel: a spec says `{ env: "NAME" }`.
 * - Each monitor runs at most once per its interval, never twice at once, in the background:
 *   a slow probe never delays the check cycle. A finished run waits for the next report, which
 *   carries the latest result of each monitor (`probes`).
 * - The probe code (`./probes.ts`, the worker's own probes) is loaded on the first run only: an
 *   agent the worker gives no monitors never loads it.
 * - Without `monitors` in the config, each monitor is reported "not measured" with the reason,
 *   so the worker shows why the location has no vote; nothing is loaded or probed.
 */
import type { ProbeResult } from "../src/contract/probe";
import type { LocationProbe } from "../src/contract/report";
import type { LocationMonitor } from "../src/contract/report-constants";
import type { Logger } from "./log";
import { errorText } from "./log";

type Probes = typeof import("./probes");

export interface LocationsOptions {
  /** `monitors` is in the agent's config: run what the worker sends. */
  enabled: boolean;
  /** Environment variables the specs may read (`monitors.secrets`). */
  secrets: readonly string[];
  agentVersion: string;
  log: Logger;
  /** Loads the probe code. Default: `loadProbes` (agent/probes.ts, packed in the bundle). */
  load?: () => Promise<Probes>;
  now?: () => number;
}

const MAX_MONITORS = 100;

/** A monitor from the worker's answer, checked for what the agent relies on; null when unusable. */
function usable(m: unknown): LocationMonitor | null {
  if (!m || typeof m !== "object") return null;
  const s = m as Partial<LocationMonitor>;
  const ok =
    typeof s.id === "string" &&
    typeof s.type === "string" &&
    typeof s.interval === "number" &&
    s.interval >= 1000 &&
    typeof s.timeout === "number" &&
    s.timeout > 0 &&
    s.timeout <= 60_000 &&
    Number.isInteger(s.samples) &&
    (s.samples as number) >= 1 &&
    (s.samples as number) <= 10;
  return ok ? (s as LocationMonitor) : null;
}

export class Locations {
  readonly #o: LocationsOptions;
  readonly #now: () => number;
  #monitors: LocationMonitor[] = [];
  #lastStart = new Map<string, number>();
  #running = new Map<string, Promise<void>>();
  #results = new Map<string, LocationProbe>();
  #probes: Promise<Probes> | null = null;

  constructor(options: LocationsOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  /** The monitors the worker named last. */
  get monitors(): readonly LocationMonitor[] {
    return this.#monitors;
  }

  /** Reads `monitors` from the worker's answer to a report (JSON text); without it, nothing changes. */
  fromAnswer(body: string): void {
    let answer: unknown;
    try {
      answer = JSON.parse(body);
    } catch {
      return;
    }
    const list = (answer as { monitors?: unknown } | null)?.monitors;
    if (!Array.isArray(list)) return;
    const next: LocationMonitor[] = [];
    for (const m of list.slice(0, MAX_MONITORS)) {
      const spec = usable(m);
      if (spec) next.push(spec);
      else this.#o.log.warn("ignoring a monitor the worker sent: not a monitor spec", { id: (m as { id?: unknown })?.id });
    }
    const before = this.#monitors.map((m) => m.id).join(",");
    this.#monitors = next;
    const ids = new Set(next.map((m) => m.id));
    for (const id of this.#lastStart.keys()) if (!ids.has(id)) this.#lastStart.delete(id);
    for (const id of this.#results.keys()) if (!ids.has(id)) this.#results.delete(id);
    if (next.map((m) => m.id).join(",") !== before) this.#o.log.info("monitors from the worker", { monitors: [...ids] });
  }

  /** Starts every monitor that is due: not running, and not started within its interval. */
  start(): void {
    const now = this.#now();
    for (const spec of this.#monitors) {
      if (this.#running.has(spec.id)) continue;
      const last = this.#lastStart.get(spec.id);
      if (last !== undefined && now - last < spec.interval) continue;
      this.#lastStart.set(spec.id, now);
      const run = this.#run(spec).finally(() => this.#running.delete(spec.id));
      this.#running.set(spec.id, run);
    }
  }

  /** The results finished since the last call: the latest of each monitor. */
  take(): LocationProbe[] {
    const out = [...this.#results.values()];
    this.#results.clear();
    return out;
  }

  /** Resolves when every run started so far has finished. */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.all(this.#running.values());
  }

  async #run(spec: LocationMonitor): Promise<void> {
    let result: ProbeResult;
    try {
      result = this.#o.enabled
        ? await (await this.#load()).runMonitor(spec, this.#env(), this.#o.agentVersion)
        : notMeasured("this agent does not run monitors (add `monitors` to its config)");
    } catch (err) {
      result = {
        status: "down",
        latencyMs: 0,
        reason: `internal error in the agent probe: ${errorText(err)}`,
        checkedAt: new Date(this.#now()).toISOString(),
      };
    }
    if (!this.#monitors.some((m) => m.id === spec.id)) return; // the worker dropped it meanwhile
    const { reason, ...rest } = result;
    this.#results.set(spec.id, { monitor: spec.id, result: { ...rest, ...(reason !== undefined && { reason: reason.slice(0, 1000) }) } });
  }

  #load(): Promise<Probes> {
    // Imported on use, also unbundled: in the bundle "./probes" is the packed module's loader.
    const load = this.#o.load ?? (async () => (await import("./probes")).loadProbes());
    this.#probes ??= load().catch((err: unknown) => {
      this.#probes = null; // tried again on the next run
      throw err;
    });
    return this.#probes;
  }

  /** The secrets the specs may read: the allowed names that are set here. */
  #env(): Record<string, string> {
    const env: Record<string, string> = {};
    for (const name of this.#o.secrets) {
      const value = process.env[name];
      if (value !== undefined && value !== "") env[name] = value;
    }
    return env;
  }
}

/** The disabled agent's reason, without loading the probe code. */
function notMeasured(why: string): ProbeResult {
  return { status: "down", latencyMs: 0, reason: `internal error in the agent probe: ${why}`, checkedAt: new Date().toISOString() };
}
