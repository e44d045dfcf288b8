/**
 * Run envelopes through the ping URLs and the real HeartbeatObject: short, long, frequent and
 * late runs, and bounds learned from the job's own runs. Time is the test clock
 * (test/worker/ingest/helpers.ts): a run "takes" 12 minutes by moving the clock, and the
 * overrun alarm is run at the time it is set for. Nothing sleeps.
 */
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ADMIN_TOKEN, admin, advanceClock, alarmOf, fetchWorker, runAlarm, useTestClock } from "../ingest/helpers";

const S = 1_000;
const MIN = 60 * S;
const H = 60 * MIN;
const KEYS: Record<string, string> = {
  "j-short": env.TEST_PING_KEY_SHORT as string,
  "j-long": env.TEST_PING_KEY_LONG as string,
  "j-often": env.TEST_PING_KEY_OFTEN as string,
  "j-late": env.TEST_PING_KEY_LATE as string,
  "j-learn": env.TEST_PING_KEY_LEARN as string,
};

async function ping(job: string, suffix = ""): Promise<void> {
  const res = await fetchWorker(new Request(`http://vigil.test/ping/${KEYS[job]}${suffix}`));
  expect(res.status, `${job}${suffix}`).toBe(200);
}
/** A run of `ms`: /start, the clock moves, success. */
async function run(job: string, ms: number): Promise<void> {
  await ping(job, "/start");
  advanceClock(ms);
  await ping(job);
}
const stub = (job: string) => env.HEARTBEAT.getByName(job);
const check = (job: string) =>
  env.DB.prepare("SELECT status, reason FROM check_state WHERE check_id = ?")
    .bind(`ping:${job}`)
    .first<{ status: string; reason: string | null }>();

describe("job run envelopes (test clock)", () => {
  beforeEach(() => useTestClock());
  afterEach(() => void vi.useRealTimers());

  it("too short: /start → success in 3 s is down with its reason; a normal run recovers", async () => {
    await run("j-short", 3 * S);
    expect(await check("j-short")).toEqual({ status: "down", reason: "run too short: 3s, expected at least 30s (configured)" });
    advanceClock(H);
    await run("j-short", 45 * S);
    expect(await check("j-short")).toMatchObject({ status: "up" });
    const runs = (await stub("j-short").describe()).runs;
    expect(runs.map((r) => [r.durationMs, r.reasons])).toEqual([
      [45 * S, []],
      [3 * S, ["too-short"]],
    ]);

    // The admin API lists the runs and the bounds in force.
    const job = (await (await admin("/jobs/j-short")).json<{ job: any }>()).job;
    const downReason = "run too short: 3s, expected at least 30s (configured)";
    expect(job.runs[1]).toMatchObject({ durationMs: 3 * S, outcome: "success", reasons: ["too-short"], downReason });
    expect(job.runs[1].startedAt).toMatch(/Z$/);
    expect(job.envelope).toEqual({
      minDuration: { ms: 30 * S, source: { kind: "config" } },
      maxDuration: null,
      minInterval: null,
      maxStartDelay: null,
    });

    // The check page shows the run history: the result for everyone, why only with details.
    const page = async (headers: Record<string, string> = {}) =>
      (await fetchWorker(new Request("http://vigil.test/check/ping:j-short", { headers }))).text();
    const publicHtml = await page();
    expect(publicHtml).toContain('<h2 id="runs-h">Runs</h2>');
    expect(publicHtml).toMatch(/<td class="pill s-down"[^>]*>Too short<\/td><td>3s<\/td>/);
    expect(publicHtml).toMatch(/<td class="pill s-up"[^>]*>Ok<\/td><td>45s<\/td>/);
    expect(publicHtml).not.toContain("expected at least 30s");
    expect(await page({ authorization: `Bearer ${ADMIN_TOKEN}` })).toContain("— run too short: 3s, expected at least 30s (configured)");
  });

  it("too long: the alarm marks a run still going past 10 min, before its grace runs out", async () => {
    await run("j-long", 2 * MIN);
    advanceClock(H);
    await ping("j-long", "/start");
    const startedAt = Date.now();
    expect(await alarmOf(stub("j-long"))).toBe(startedAt + 10 * MIN + 1);
    expect(await runAlarm(stub("j-long"))).toBe(startedAt + 10 * MIN + 1);
    expect(await check("j-long")).toEqual({
      status: "down",
      reason: "run too long: still running after 10m, expected at most 10m (configured)",
    });
    // The late alarm stays for the grace (1 h): the run is already down, it changes nothing.
    expect(await alarmOf(stub("j-long"))).toBe(startedAt + H);
    advanceClock(2 * MIN);
    await ping("j-long");
    // Still down (the check keeps the reason it went down with); the job and its run history say how long.
    expect((await check("j-long"))?.status).toBe("down");
    const view = await stub("j-long").describe();
    expect(view.downReason).toBe("run too long: 12m, expected at most 10m (configured)");
    expect(view.runs[0]).toMatchObject({
      startedAt,
      durationMs: 12 * MIN + 1,
      outcome: "success",
      reasons: ["too-long"],
      downReason: view.downReason,
    });
    advanceClock(H);
    await run("j-long", 3 * MIN);
    expect(await check("j-long")).toMatchObject({ status: "up" });
  });

  it("too often: a run starting 10 min after the previous one is down at its start", async () => {
    await run("j-often", MIN);
    advanceClock(9 * MIN);
    await ping("j-often", "/start");
    const reason = "runs too often: 10m since the previous run started, expected at least 50m (configured)";
    expect(await check("j-often")).toEqual({ status: "down", reason });
    advanceClock(MIN);
    await ping("j-often");
    expect((await check("j-often"))?.status).toBe("down");
    advanceClock(H);
    await run("j-often", MIN);
    expect((await check("j-often"))?.status).toBe("up");
  });

  it("late: a run starting 20 min after its expected time is down at its start", async () => {
    await ping("j-late"); // expected again in 1 h
    const expected = Date.now() + H;
    advanceClock(H + 20 * MIN);
    await ping("j-late", "/start");
    expect(await check("j-late")).toEqual({
      status: "down",
      reason: `started late: 20m after the expected ${new Date(expected).toISOString()}, expected within 5m (configured)`,
    });
    advanceClock(MIN);
    await ping("j-late");
    const [last] = (await stub("j-late").describe()).runs;
    expect(last).toMatchObject({ startDelayMs: 20 * MIN, durationMs: MIN, reasons: ["late"], outcome: "success" });
  });

  it("learns the envelope from the job's own runs, then flags the odd one", async () => {
    // Six hourly runs of about a minute: durations 40–80 s, intervals ≥ 54 min.
    for (const seconds of [60, 56, 64, 60, 68, 52]) {
      await run("j-learn", seconds * S);
      expect((await check("j-learn"))?.status).toBe("up");
      advanceClock(H - seconds * S);
    }
    await run("j-learn", 2 * S);
    const reason = "run too short: 2s, expected at least 40s (learned from the last 6 runs: median 1m, MAD 4s, k 5)";
    expect(await check("j-learn")).toEqual({ status: "down", reason });
    advanceClock(H);
    await run("j-learn", 61 * S);
    expect((await check("j-learn"))?.status).toBe("up");
  });
});
