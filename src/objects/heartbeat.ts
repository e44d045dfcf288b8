/**
 * HeartbeatObject: one Durable Object per ping job (`idFromName(jobId)`), Healthchecks.io
 * semantics.
 *
 * - success (`/ping/:key`, `/ping/:key/0`): the job is up; the next ping is expected one
 *   period later, or at the next cron run after this ping; late = expected + grace.
 * - start (`/start`): the run's clock starts; if no success or failure arrives within the
 *   grace, the job is down. Run time is measured from the start to the next success/failure.
 * - fail (`/fail`, `/:exitCode` ≠ 0): down at once.
 * - log (`/log`): keeps the body excerpt, changes nothing else.
 * A job that has never pinged is "new" and is not expected yet (as in Healthchecks.io).
 * The alarm sits at the late time; when it fires the job's check `ping:<id>` goes down.
 *
 * The state machine and its lateness are pure (src/engine/ping.ts); the tables are in
 * src/objects/heartbeat-storage.ts. Each ping: load, `applyPing`, write once, arm.
 */
import type { JobSpec, VigilConfig } from "../config";
import type { JobSchedule } from "../engine/deadline";
import { applyPing, lateAlarm, lateDue, lateReason, type JobState, type Ping, type PingKind } from "../engine/ping";
import type { Env } from "../env";
import type { CheckRef } from "../incidents/record";
import { HeartbeatStorage, type StoredPing } from "./heartbeat-storage";
import { observe } from "./observe";
import { VigilObject } from "./vigil-object";

export type { Ping, PingKind };

export const jobCheckId = (jobId: string) => `ping:${jobId}`;

/** Ping bodies keep this many bytes as the last log excerpt. */
export const PING_EXCERPT_BYTES = 10 * 1024;

export interface PingOutcome {
  status: JobView["status"];
  expectedAt: number | null;
  lateAt: number | null;
  durationMs: number | null;
}

export interface JobView extends JobState {
  history: StoredPing[];
}

export class HeartbeatObject extends VigilObject {
  private readonly store: HeartbeatStorage;
  private job: JobState;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new HeartbeatStorage(ctx.storage.sql);
    this.job = this.store.job();
  }

  ping(jobId: string, ping: Ping): Promise<PingOutcome> {
    return this.queue.run(() => this.apply(jobId, ping));
  }

  describe(historyLimit = 20): Promise<JobView> {
    return this.queue.run(async () => ({ ...this.job, history: this.store.history(historyLimit) }));
  }

  override async alarm(): Promise<void> {
    await this.queue.run(() => this.lateFired());
  }

  private checkRef(spec: JobSpec): CheckRef {
    // A failure report or a missed deadline is already certain: no extra confirmations.
    return { id: jobCheckId(spec.id), service: spec.service, failureThreshold: 1, recoveryThreshold: 1 };
  }

  private schedule(config: VigilConfig, spec: JobSpec): JobSchedule {
    return { period: spec.period, cron: spec.cron, timezone: spec.timezone ?? config.timezone, grace: spec.grace };
  }

  private async apply(jobId: string, ping: Ping): Promise<PingOutcome> {
    // 1. Load.
    const config = this.config();
    const spec = config.jobs.find((j) => j.id === jobId);
    if (!spec) throw new Error(`unknown job "${jobId}"`);
    const now = Date.now();
    // 2. Decide.
    const { state: next, durationMs, observation } = applyPing(this.job, jobId, ping, this.schedule(config, spec), now);
    // 3. Write: the check's state (D1), then the object's own in one transaction; arm.
    if (observation) {
      await observe(this.env, config, await this.loadedStates(() => [jobCheckId(jobId)]), this.checkRef(spec), observation, now);
      if (next.status === "down") next.markedDownAt = Date.now(); // when the change was stored
    }
    this.ctx.storage.transactionSync(() => {
      this.store.saveJob(next);
      this.store.insertPing({ at: now, kind: ping.kind, exitCode: ping.exitCode ?? null, durationMs });
    });
    this.job = next;
    const alarm = lateAlarm(next, spec.enabled);
    if (alarm !== null) await this.alarmClock.arm(alarm);
    return { status: next.status, expectedAt: next.expectedAt, lateAt: next.lateAt, durationMs };
  }

  private async lateFired(): Promise<void> {
    this.alarmClock.fired();
    // 1. Load and decide: late yet?
    const s = this.job;
    const now = Date.now();
    const due = lateDue(s, now);
    if (due.kind === "idle") return;
    if (due.kind === "rearm") return this.alarmClock.arm(due.at);
    const config = this.config();
    const spec = config.jobs.find((j) => j.id === s.jobId);
    if (!spec?.enabled) return;
    const reason = lateReason(s, spec.grace);
    // 2. Write: the check goes down (D1), then the object's state.
    await observe(
      this.env,
      config,
      await this.loadedStates(() => [jobCheckId(s.jobId!)]),
      this.checkRef(spec),
      { status: "down", reason },
      now,
    );
    const next: JobState = { ...s, status: "down", downReason: reason, markedDownAt: Date.now() };
    this.store.saveJob(next);
    this.job = next;
  }
}
