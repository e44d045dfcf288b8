/** The ping state machine and its lateness, with injected time (src/engine/ping.ts). */
import { describe, expect, it } from "vitest";
import type { JobSchedule } from "../../../src/engine/deadline";
import { applyPing, judgeRun, lateAlarm, lateDue, lateReason, newJob, type JobState, type Ping } from "../../../src/engine/ping";

const T0 = Date.UTC(2026, 10, 22, 14, 0, 0);
const S = 1_000;
const hourly: JobSchedule = { period: 3_600_000, timezone: "UTC", grace: 300_000 };

/** Applies `[ping, at]` in order from a new job. */
function run(pings: [Ping, number][], schedule = hourly): { state: JobState; durations: (number | null)[]; observations: unknown[] } {
  let state = newJob();
  const durations: (number | null)[] = [];
  const observations: unknown[] = [];
  for (const [p, at] of pings) {
    const r = applyPing(state, "j1", p, schedule, at);
    state = r.state;
    durations.push(r.durationMs);
    observations.push(r.observation);
  }
  return { state, durations, observations };
}

describe("applyPing", () => {
  it("success: up, next expected one period later, late after the grace", () => {
    const { state, observations } = run([[{ kind: "success" }, T0]]);
    expect(state).toMatchObject({
      jobId: "j1",
      status: "up",
      lastPingAt: T0,
      lastPingKind: "success",
      expectedAt: T0 + 3_600_000,
      lateAt: T0 + 3_900_000,
    });
    expect(observations).toEqual([{ status: "up", reason: undefined }]);
  });

  it("a cron job expects its next run in its time zone", () => {
    const { state } = run([[{ kind: "success" }, Date.UTC(2026, 10, 22, 7, 31)]], {
      cron: "30 2 * * *",
      timezone: "America/New_York",
      grace: 1_800_000,
    });
    expect(state.expectedAt).toBe(Date.UTC(2026, 10, 23, 7, 30));
    expect(state.lateAt).toBe(Date.UTC(2026, 10, 23, 8, 0));
  });

  it("start then success measures the run time and clears the running flag", () => {
    const { state, durations } = run([
      [{ kind: "start" }, T0],
      [{ kind: "success", exitCode: 0 }, T0 + 120],
    ]);
    expect(durations).toEqual([null, 120]);
    expect(state).toMatchObject({ status: "up", runningSince: null, lastDurationMs: 120, lastExitCode: 0 });
  });

  it("start: the run must finish within the grace, or by the regular deadline if sooner", () => {
    const started = run([[{ kind: "start" }, T0]]).state;
    expect(started).toMatchObject({ status: "started", runningSince: T0, lateAt: T0 + 300_000 });
    const late = run([
      [{ kind: "success" }, T0],
      [{ kind: "start" }, T0 + 3_599_000],
    ]).state;
    expect(late.lateAt).toBe(T0 + 3_599_000 + 300_000);
    const early = run([
      [{ kind: "success" }, T0],
      [{ kind: "start" }, T0 + 3_800_000],
    ]).state;
    expect(early.lateAt).toBe(T0 + 3_900_000);
  });

  it("start while down stays down, with the run's own deadline", () => {
    const { state } = run([
      [{ kind: "fail" }, T0],
      [{ kind: "start" }, T0 + S],
    ]);
    expect(state).toMatchObject({ status: "down", runningSince: T0 + S, lateAt: T0 + S + 300_000 });
  });

  const failures: { name: string; ping: Ping; reason: string | null }[] = [
    { name: "/fail", ping: { kind: "fail" }, reason: "job reported failure" },
    { name: "a non-zero exit code", ping: { kind: "success", exitCode: 3 }, reason: "job exited with code 3" },
    { name: "exit code 0", ping: { kind: "success", exitCode: 0 }, reason: null },
    { name: "plain success", ping: { kind: "success" }, reason: null },
  ];
  for (const f of failures) {
    it(`${f.name} is ${f.reason === null ? "up" : "down at once"}`, () => {
      const { state, observations } = run([[f.ping, T0]]);
      expect(state.status).toBe(f.reason === null ? "up" : "down");
      expect(state.downReason).toBe(f.reason);
      expect(state.markedDownAt).toBeNull(); // stamped by the object when stored
      expect(observations[0]).toEqual({ status: f.reason === null ? "up" : "down", reason: f.reason ?? undefined });
    });
  }

  it("log keeps the excerpt and changes nothing else; an empty body keeps the last excerpt", () => {
    const { state, observations } = run([
      [{ kind: "success", excerpt: "full run log", truncated: true }, T0],
      [{ kind: "success", excerpt: "" }, T0 + S],
      [{ kind: "log", excerpt: "just a note" }, T0 + 2 * S],
    ]);
    expect(state).toMatchObject({
      status: "up",
      lastExcerpt: "just a note",
      excerptTruncated: false,
      lastPingKind: "log",
      expectedAt: T0 + S + 3_600_000,
    });
    expect(observations[2]).toBeNull();
    expect(
      run([
        [{ kind: "success", excerpt: "x", truncated: true }, T0],
        [{ kind: "success", excerpt: "" }, T0 + S],
      ]).state,
    ).toMatchObject({
      lastExcerpt: "x",
      excerptTruncated: true,
    });
  });

  it("judgeRun is the one place that says why a run is down", () => {
    expect(judgeRun({ kind: "fail", exitCode: 2, durationMs: null })).toBe("job exited with code 2");
    expect(judgeRun({ kind: "success", durationMs: 5 })).toBeNull();
  });
});

describe("lateness", () => {
  it("a new or disabled job arms nothing", () => {
    expect(lateAlarm(newJob(), true)).toBeNull();
    const up = run([[{ kind: "success" }, T0]]).state;
    expect(lateAlarm(up, false)).toBeNull();
    expect(lateAlarm(up, true)).toBe(T0 + 3_900_000);
  });

  it("the alarm re-arms before the late time, is due from it on, and is idle once marked down", () => {
    const up = run([[{ kind: "success" }, T0]]).state;
    expect(lateDue(newJob(), T0)).toEqual({ kind: "idle" });
    expect(lateDue(up, T0 + 3_899_999)).toEqual({ kind: "rearm", at: T0 + 3_900_000 });
    expect(lateDue(up, T0 + 3_900_000)).toEqual({ kind: "due" });
    const failed = run([[{ kind: "fail" }, T0]]).state;
    expect(lateDue(failed, T0 + 4_000_000)).toEqual({ kind: "due" }); // down, but not yet stamped
    expect(lateDue({ ...failed, markedDownAt: T0 + 5 }, T0 + 4_000_000)).toEqual({ kind: "idle" });
  });

  it("says which ping was expected, or which run did not finish", () => {
    const up = run([[{ kind: "success" }, T0]]).state;
    expect(lateReason(up, 300_000)).toBe("expected a ping by 2026-11-22T15:00:00.000Z (+ grace 300 s); last ping 2026-11-22T14:00:00.000Z");
    const started = run([[{ kind: "start" }, T0]]).state;
    expect(lateReason(started, 1_000)).toBe("started at 2026-11-22T14:00:00.000Z and did not finish within the grace 1 s");
  });
});
