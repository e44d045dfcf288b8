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
 * With an `envelope` (src/engine/job-envelope.ts) each run is also judged too short, too long,
 * too often or late, against bounds configured or learned from the `runs` table; the alarm
 * then also sits at a running run's overrun time.
 *
 * The state machine and its lateness are pure (src/engine/ping.ts); the tables are in
 * src/objects/heartbeat-storage.ts. Each ping: load, `applyPing`, write once, arm.
 */
import type { JobSpec, VigilConfig } from "../config";
import type { JobSchedule } from "../engine/deadline";
import { envelopeBounds, type EnvelopeBounds } from "../engine/job-envelope";
import {
  applyOverrun,
  applyPing,
  lateAlarm,
  lateDue,
  lateReason,
  type JobState,
  type Ping,
  type PingKind,
  type RunRecord,
} from "../engine/ping";
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
  /** Finished runs, newest first. */
  runs: RunRecord[];
  /** The envelope's bounds now (configured, or learned from the runs), or null without one. */
  envelope: EnvelopeBounds | null;
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
    return this.queue.run(async () => {
      const spec = this.job.jobId === null ? undefined : this.config().jobs.find((j) => j.id === this.job.jobId);
      return {
        ...this.job,
        history: this.store.history(historyLimit),
        runs: this.store.runs(historyLimit),
        envelope: spec ? this.envelope(spec) : null,
      };
    });
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

  /** The job's envelope bounds now: configured, and learned from its past successful runs. */
  private envelope(spec: JobSpec): EnvelopeBounds | null {
    const e = spec.envelope;
    return e ? envelopeBounds(e, this.store.pastRuns(e.learn === false ? 0 : e.learn.runs)) : null;
  }

  private async apply(jobId: string, ping: Ping): Promise<PingOutcome> {
    // 1. Load.
    const config = this.config();
    const spec = config.jobs.find((j) => j.id === jobId);
    if (!spec) throw new Error(`unknown job "${jobId}"`);
    const now = Date.now();
    // 2. Decide.
    const envelope = ping.kind === "log" ? null : this.envelope(spec);
    const { state: next, durationMs, observation, run } = applyPing(this.job, jobId, ping, this.schedule(config, spec), now, envelope);
    // 3. Write: the check's state (D1), then the object's own in one transaction; arm.
    if (observation) {
      await observe(this.env, config, await this.loadedStates(() => [jobCheckId(jobId)]), this.checkRef(spec), observation, now);
      if (next.status === "down") next.markedDownAt = Date.now(); // when the change was stored
    }
    this.ctx.storage.transactionSync(() => {
      this.store.saveJob(next);
      this.store.insertPing({ at: now, kind: ping.kind, exitCode: ping.exitCode ?? null, durationMs });
      if (run) this.store.insertRun(run);
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
    if (due.kind === "overrun") return this.overrun(config, spec, s, now);
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

  /** A run still going past its envelope's upper bound: too long, now; the late alarm stays armed. */
  private async overrun(config: VigilConfig, spec: JobSpec, s: JobState, now: number): Promise<void> {
    const { state: next, reason } = applyOverrun(s, this.envelope(spec), now);
    if (reason !== null) {
      await observe(
        this.env,
        config,
        await this.loadedStates(() => [jobCheckId(spec.id)]),
        this.checkRef(spec),
        { status: "down", reason },
        now,
      );
      next.markedDownAt = Date.now();
    }
    this.store.saveJob(next);
    this.job = next;
    await this.alarmClock.arm(lateAlarm(next, spec.enabled));
  }
}
