/**
 * What Vigil's stateful Durable Objects share: one input at a time, the config, the engine
 * states of their checks, and the alarm. Each object then does the same three things per input:
 * load, decide with a pure function in src/engine/, write once.
 */
import { DurableObject } from "cloudflare:workers";
import { ConfigError, type VigilConfig } from "../config";
import { loadConfig } from "../config/load";
import type { MonitorState } from "../engine/evaluate";
import type { Env } from "../env";
import { loadStates } from "../store/check-state";
import { SerialQueue } from "./observe";

/** Base of AgentObject, HeartbeatObject and ServiceObject. */
export abstract class VigilObject extends DurableObject<Env> {
  /** Inputs and alarms run one at a time, in call order (input gates do not cover D1). */
  protected readonly queue = new SerialQueue();
  protected readonly alarmClock: AlarmClock;
  /** Engine states of this object's checks, loaded from D1 on first use (see `loadedStates`). */
  private checkStates: Map<string, MonitorState> | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.alarmClock = new AlarmClock(ctx.storage);
  }

  /** The validated config; a broken one throws (the input fails rather than acting on guesses). */
  protected config(): VigilConfig {
    const config = loadConfig(this.env);
    if (config instanceof ConfigError) throw config;
    return config;
  }

  /**
   * Engine states of this object's checks: read from D1 once per instance (`ids` says which),
   * then kept up to date by `observe`.
   */
  protected async loadedStates(ids: () => readonly string[]): Promise<Map<string, MonitorState>> {
    this.checkStates ??= await loadStates(this.env.DB, ids());
    return this.checkStates;
  }
}

/** The object's one alarm, and when this instance last armed it. */
export class AlarmClock {
  /** When the alarm is armed for, as far as this instance knows (null: unknown, none, or fired). */
  armedFor: number | null = null;

  constructor(private readonly storage: DurableObjectStorage) {}

  /** Arms the alarm at `at`, or removes it (null). */
  async arm(at: number | null): Promise<void> {
    if (at === null) await this.storage.deleteAlarm();
    else await this.storage.setAlarm(at);
    this.armedFor = at;
  }

  /** Arms at `at` only when that is earlier than the alarm already armed (or none is known). */
  async armEarlier(at: number): Promise<void> {
    if (this.armedFor === null || at < this.armedFor) await this.arm(at);
  }

  /** The alarm has fired: nothing is armed until the next `arm`. */
  fired(): void {
    this.armedFor = null;
  }
}
