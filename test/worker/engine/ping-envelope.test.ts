/**
 * The ping state machine with a run envelope (src/engine/ping.ts + src/engine/job-envelope.ts),
 * injected time: short, long, frequent and late runs, each with its own reason, and recovery.
 */
import { describe, expect, it } from "vitest";
import type { JobSchedule } from "../../../src/engine/deadline";
import { envelopeBounds, type EnvelopeBounds, type EnvelopeSpec, type PastRun } from "../../../src/engine/job-envelope";
import { applyOverrun, applyPing, lateAlarm, lateDue, newJob, type JobState, type Ping, type RunRecord } from "../../../src/engine/ping";

const S = 1_000;
const MIN = 60 * S;
const H = 60 * MIN;
const T0 = Date.UTC(2026, 11, 6, 2, 0, 0);
const hourly: JobSchedule = { period: H, timezone: "UTC", grace: H };
const all = ["too-short", "too-long", "too-often", "late"] as const;

/** A job driven through pings, learning from its own runs as the object does. */
class Job {
  state: JobState = newJob();
  runs: RunRecord[] = [];
  observations: unknown[] = [];
  constructor(private readonly spec: EnvelopeSpec | null) {}
  bounds(): EnvelopeBounds | null {
    const past: PastRun[] = this.runs
      .filter((r) => r.outcome === "success")
      .map((r) => ({ startedAt: r.startedAt, durationMs: r.durationMs, startDelayMs: r.startDelayMs }));
    return this.spec ? envelopeBounds(this.spec, past) : null;
  }
  ping(p: Ping, at: number) {
    const r = applyPing(this.state, "backup", p, hourly, at, this.bounds());
    this.state = r.state;
    if (r.run) this.runs.push(r.run);
    this.observations.push(r.observation);
    return r;
  }
  /** A run from `start` lasting `ms`, pinging /start and success. */
  run(start: number, ms: number) {
    this.ping({ kind: "start" }, start);
    return this.ping({ kind: "success" }, start + ms);
  }
}

const configured = (over: Partial<EnvelopeSpec>): EnvelopeSpec => ({ learn: false, reasons: all, ...over });
const learning: EnvelopeSpec = { learn: { runs: 20, k: 5, minRuns: 5, minSpread: S }, reasons: all };

describe("runs against a configured envelope", () => {
  it("too short: a run under minDuration is down with its reason; a normal run recovers", () => {
    const job = new Job(configured({ minDuration: 30 * S }));
    expect(job.run(T0, 3 * S).observation).toEqual({ status: "down", reason: "run too short: 3s, expected at least 30s (configured)" });
    expect(job.state).toMatchObject({ status: "down", lastDurationMs: 3 * S });
    expect(job.runs.at(-1)).toMatchObject({
      startedAt: T0,
      finishedAt: T0 + 3 * S,
      durationMs: 3 * S,
      outcome: "success",
      reasons: ["too-short"],
    });
    expect(job.run(T0 + H, 45 * S).observation).toEqual({ status: "up", reason: undefined });
    expect(job.runs.at(-1)!.reasons).toEqual([]);
  });

  it("too long: the alarm marks a run still going past maxDuration, and its end says how long", () => {
    const job = new Job(configured({ maxDuration: 10 * MIN }));
    job.run(T0, 5 * MIN);
    job.ping({ kind: "start" }, T0 + H);
    // The alarm sits at the overrun (1 ms past the bound), before the late time (start + grace).
    expect(job.state.overrunAt).toBe(T0 + H + 10 * MIN + 1);
    expect(lateAlarm(job.state, true)).toBe(T0 + H + 10 * MIN + 1);
    expect(lateDue(job.state, T0 + H + 10 * MIN)).toEqual({ kind: "rearm", at: T0 + H + 10 * MIN + 1 });
    expect(lateDue(job.state, T0 + H + 10 * MIN + 1)).toEqual({ kind: "overrun" });
    const { state, reason } = applyOverrun(job.state, job.bounds(), T0 + H + 10 * MIN + 1);
    expect(reason).toBe("run too long: still running after 10m, expected at most 10m (configured)");
    expect(state).toMatchObject({ status: "down", downReason: reason, runningSince: T0 + H });
    job.state = { ...state, markedDownAt: T0 + H + 10 * MIN + 1 };
    // Judged once: the alarm moves on to the late time (start + grace), where nothing more happens.
    expect(lateAlarm(job.state, true)).toBe(T0 + 2 * H);
    expect(lateDue(job.state, T0 + 2 * H)).toEqual({ kind: "idle" });
    // It ends after 12 minutes: the final duration replaces "still running".
    const end = job.ping({ kind: "success" }, T0 + H + 12 * MIN);
    expect(end.observation).toEqual({ status: "down", reason: "run too long: 12m, expected at most 10m (configured)" });
    expect(job.runs.at(-1)).toMatchObject({ durationMs: 12 * MIN, reasons: ["too-long"] });
    expect(job.run(T0 + 2 * H, 5 * MIN).observation).toMatchObject({ status: "up" });
  });

  it("too often: a start sooner than minInterval after the previous one is down at once", () => {
    const job = new Job(configured({ minInterval: 50 * MIN }));
    job.run(T0, MIN);
    const start = job.ping({ kind: "start" }, T0 + 10 * MIN);
    expect(start.observation).toEqual({
      status: "down",
      reason: "runs too often: 10m since the previous run started, expected at least 50m (configured)",
    });
    expect(job.state.status).toBe("down");
    // The run's end keeps the start's verdict.
    expect(job.ping({ kind: "success" }, T0 + 11 * MIN).observation).toMatchObject({
      status: "down",
      reason: expect.stringMatching(/^runs too often/),
    });
    expect(job.runs.at(-1)!.reasons).toEqual(["too-often"]);
    // A run without /start starts at its success: 10 min after the previous run's start again.
    const again = job.ping({ kind: "success" }, T0 + 20 * MIN);
    expect(again.observation).toMatchObject({ status: "down", reason: expect.stringMatching(/^runs too often: 10m since/) });
    expect(job.ping({ kind: "success" }, T0 + 80 * MIN).observation).toMatchObject({ status: "up" });
  });

  it("late: a start more than maxStartDelay after the expected time is down at once", () => {
    const job = new Job(configured({ maxStartDelay: 5 * MIN }));
    job.ping({ kind: "success" }, T0); // next expected at T0 + 1 h
    expect(job.ping({ kind: "start" }, T0 + H + 5 * MIN).observation).toBeNull(); // exactly the bound: fine
    job.ping({ kind: "success" }, T0 + H + 6 * MIN); // expected next at T0 + 2 h 6 min
    expect(job.runs.at(-1)).toMatchObject({ startDelayMs: 5 * MIN, reasons: [] });
    const late = job.ping({ kind: "start" }, T0 + 2 * H + 26 * MIN);
    expect(late.observation).toEqual({
      status: "down",
      reason: "started late: 20m after the expected 2026-12-06T04:06:00.000Z, expected within 5m (configured)",
    });
    job.ping({ kind: "success" }, T0 + 2 * H + 27 * MIN);
    expect(job.runs.at(-1)).toMatchObject({ startDelayMs: 20 * MIN, reasons: ["late"] });
  });

  it("a failed run says its failure first, then what else was wrong", () => {
    const job = new Job(configured({ minInterval: 50 * MIN }));
    job.run(T0, MIN);
    job.ping({ kind: "start" }, T0 + 10 * MIN);
    expect(job.ping({ kind: "fail", exitCode: 2 }, T0 + 11 * MIN).observation).toEqual({
      status: "down",
      reason: "job exited with code 2; runs too often: 10m since the previous run started, expected at least 50m (configured)",
    });
    expect(job.runs.at(-1)).toMatchObject({ outcome: "fail", exitCode: 2 });
  });

  it("without an envelope nothing changes: no overrun, no envelope reasons", () => {
    const job = new Job(null);
    job.run(T0, 1);
    job.ping({ kind: "start" }, T0 + MIN);
    expect(job.state.overrunAt).toBeNull();
    expect(lateAlarm(job.state, true)).toBe(T0 + MIN + H); // the start's grace, before the expected time's

    expect(job.ping({ kind: "success" }, T0 + 2 * MIN).observation).toEqual({ status: "up", reason: undefined });
  });
});

describe("runs against a learned envelope (median ± k × MAD of the last runs)", () => {
  /** Six hourly runs of about a minute: durations median 60 s, MAD 4 s → 40–80 s; intervals 1 h → ≥ 54 min. */
  function trained(): Job {
    const job = new Job(learning);
    [60, 56, 64, 60, 68, 52].forEach((d, i) => job.run(T0 + i * H, d * S));
    expect(job.observations.every((o) => o === null || (o as { status: string }).status === "up")).toBe(true);
    return job;
  }

  it("learns nothing from the first runs, then judges the next ones", () => {
    const job = trained();
    expect(job.bounds()).toMatchObject({ minDuration: { ms: 40 * S }, maxDuration: { ms: 80 * S }, minInterval: { ms: 54 * MIN } });
  });

  it("short", () => {
    const job = trained();
    expect(job.run(T0 + 6 * H, 2 * S).observation).toEqual({
      status: "down",
      reason: "run too short: 2s, expected at least 40s (learned from the last 6 runs: median 1m, MAD 4s, k 5)",
    });
  });

  it("long, while it runs", () => {
    const job = trained();
    job.ping({ kind: "start" }, T0 + 6 * H);
    expect(lateAlarm(job.state, true)).toBe(T0 + 6 * H + 80 * S + 1);
    expect(applyOverrun(job.state, job.bounds(), T0 + 6 * H + 90 * S).reason).toBe(
      "run too long: still running after 1m 30s, expected at most 1m 20s (learned from the last 6 runs: median 1m, MAD 4s, k 5)",
    );
  });

  it("frequent", () => {
    const job = trained();
    expect(job.ping({ kind: "start" }, T0 + 5 * H + 15 * MIN).observation).toMatchObject({
      status: "down",
      reason:
        "runs too often: 15m since the previous run started, expected at least 54m (learned from the last 6 runs: median 1h, MAD 0 ms, k 5)",
    });
  });

  it("late", () => {
    const job = new Job(learning);
    // Punctual runs: each starts when expected (1 h after the previous success).
    let at = T0;
    for (let i = 0; i < 7; i++) {
      job.run(at, MIN);
      at += H + MIN;
    }
    expect(job.bounds()!.maxStartDelay?.ms).toBe(6 * MIN + 6 * S); // 10 % of the 1 h 1 min interval
    expect(job.ping({ kind: "start" }, at + 30 * MIN).observation).toMatchObject({
      status: "down",
      reason: expect.stringMatching(/^started late: 30m after the expected .+Z, expected within 6m 6s \(learned from the last 6 runs/),
    });
  });
});
