/**
 * Ping URLs (Healthchecks.io semantics): each variant, run time from /start, the log excerpt,
 * late → down by the job's alarm (short graces), fail / non-zero → down at once.
 *
 * Time is the test clock (test/worker/ingest/helpers.ts) for the whole file: run times pass with
 * `advanceClock`, and a job's alarm runs at the time it is set for (`runAlarm`).
 */
import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { nextCronRun } from "../../../src/engine/cron";
import { admin, advanceClock, alarmOf, fetchWorker, runAlarm, useTestClock } from "../ingest/helpers";

const KEYS = {
  period: env.TEST_PING_KEY_PERIOD as string,
  variants: env.TEST_PING_KEY_VARIANTS as string,
  cron: env.TEST_PING_KEY_CRON as string,
  fast: env.TEST_PING_KEY_FAST as string,
  run: env.TEST_PING_KEY_RUN as string,
  off: env.TEST_PING_KEY_OFF as string,
};

const ping = (path: string, init: RequestInit = {}) => fetchWorker(new Request(`http://vigil.test/ping/${path}`, init));
const jobView = async (id: string) => (await (await admin(`/jobs/${id}`)).json<{ job: any }>()).job;
const heartbeat = (id: string) => env.HEARTBEAT.getByName(id);
const stateOf = (id: string) =>
  env.DB.prepare("SELECT status, reason, since FROM check_state WHERE check_id = ?")
    .bind(`ping:${id}`)
    .first<{ status: string; reason: string | null; since: number }>();

beforeAll(() => useTestClock());
afterAll(() => void vi.useRealTimers());

describe("ping variants", () => {
  it("GET /ping/:key marks the job up and expects the next ping one period later", async () => {
    const before = Date.now();
    const res = await ping(KEYS.period);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("OK");
    expect((await stateOf("j-period"))?.status).toBe("up");
    const job = await jobView("j-period");
    expect(job.status).toBe("up");
    expect(Date.parse(job.expectedAt) - before).toBeGreaterThanOrEqual(3_600_000);
    expect(Date.parse(job.lateAt) - Date.parse(job.expectedAt)).toBe(300_000);
  });

  it("POST keeps the first 10 KiB of the body as the last log excerpt; HEAD works too", async () => {
    const body = "line\n".repeat(3000); // 15,000 bytes
    expect((await ping(KEYS.variants, { method: "POST", body })).status).toBe(200);
    let job = await jobView("j-variants");
    expect(job.lastExcerpt).toBe(body.slice(0, 10 * 1024));
    expect(job.excerptTruncated).toBe(true);

    expect((await ping(`${KEYS.variants}/log`, { method: "POST", body: "just a note" })).status).toBe(200);
    job = await jobView("j-variants");
    expect(job).toMatchObject({ lastExcerpt: "just a note", excerptTruncated: false, status: "up", lastPingKind: "log" });

    expect((await ping(KEYS.variants, { method: "HEAD" })).status).toBe(200);
  });

  it("/start then success measures the run time", async () => {
    expect((await ping(`${KEYS.variants}/start`)).status).toBe(200);
    expect((await jobView("j-variants")).runningSince).not.toBeNull();
    advanceClock(120);
    expect((await ping(`${KEYS.variants}/0`)).status).toBe(200);
    const job = await jobView("j-variants");
    expect(job.lastDurationMs).toBe(120);
    expect(job.runningSince).toBeNull();
    expect(job.lastExitCode).toBe(0);
    expect(job.history[0]).toMatchObject({ kind: "success", exitCode: 0, durationMs: job.lastDurationMs });
  });

  it("/fail and a non-zero exit code are down at once; the next success recovers", async () => {
    expect((await ping(`${KEYS.variants}/fail`, { method: "POST" })).status).toBe(200);
    expect(await stateOf("j-variants")).toMatchObject({ status: "down", reason: "job reported failure" });
    const incident = await env.DB.prepare("SELECT id, title FROM incidents WHERE service_id = 'hosts' AND status = 'open'").first<{
      id: string;
      title: string;
    }>();
    expect(incident?.title).toBe("Hosts: ping:j-variants down — job reported failure");

    expect((await ping(KEYS.variants)).status).toBe(200);
    expect((await stateOf("j-variants"))?.status).toBe("up");
    expect(await env.DB.prepare("SELECT status FROM incidents WHERE id = ?").bind(incident!.id).first("status")).toBe("resolved");

    expect((await ping(`${KEYS.variants}/3`)).status).toBe(200);
    expect(await stateOf("j-variants")).toMatchObject({ status: "down", reason: "job exited with code 3" });
    expect((await jobView("j-variants")).lastExitCode).toBe(3);
    expect((await ping(`${KEYS.variants}/0`)).status).toBe(200);
    expect((await stateOf("j-variants"))?.status).toBe("up");
  });

  it("refuses bad exit codes, unknown keys and disabled jobs, changing nothing", async () => {
    const before = await jobView("j-variants");
    for (const [path, status, code] of [
      [`${KEYS.variants}/256`, 400, "invalid_ping"],
      [`${KEYS.variants}/restart`, 400, "invalid_ping"],
      ["not-a-key", 404, "unknown_ping_key"],
      [`not-a-key/fail`, 404, "unknown_ping_key"],
      [KEYS.off, 403, "job_disabled"],
    ] as const) {
      const res = await ping(path);
      expect(res.status, path).toBe(status);
      const error = (await res.json<{ error: { code: string; message: string } }>()).error;
      expect(error.code).toBe(code);
      expect(error.message).not.toContain(KEYS.variants);
    }
    expect(await jobView("j-variants")).toEqual(before);
    expect(await stateOf("j-off")).toBeNull();
  });

  it("a cron job expects its next run in its time zone", async () => {
    const before = Date.now();
    expect((await ping(KEYS.cron)).status).toBe(200);
    const job = await jobView("j-cron");
    const expected = nextCronRun("30 2 * * *", "America/New_York", Date.parse(job.lastPingAt)) as number;
    expect(Date.parse(job.expectedAt)).toBe(expected);
    expect(expected).toBeGreaterThan(before);
    expect(Date.parse(job.lateAt) - expected).toBe(30 * 60_000);
    const listed = (await (await admin("/jobs")).json<{ jobs: any[] }>()).jobs.find((j) => j.id === "j-cron");
    expect(listed).toMatchObject({
      schedule: { cron: "30 2 * * *", timezone: "America/New_York" },
      graceSeconds: 1800,
      state: { status: "up" },
    });
  });
});

describe("late jobs (alarms)", () => {
  it("a job that misses period + grace is down when its alarm fires at the deadline, not before", async () => {
    expect((await ping(KEYS.fast)).status).toBe(200); // period 1 s + grace 1 s
    const { lateAt } = await jobView("j-fast");
    expect(await alarmOf(heartbeat("j-fast"))).toBe(Date.parse(lateAt));
    // An alarm that fires early (say, workerd's clock ahead of the deadline) re-arms and changes nothing.
    vi.setSystemTime(Date.parse(lateAt) - 1);
    expect(await runDurableObjectAlarm(heartbeat("j-fast"))).toBe(true);
    expect((await stateOf("j-fast"))?.status).toBe("up");
    expect(await runAlarm(heartbeat("j-fast"))).toBe(Date.parse(lateAt));
    const seen = Date.now();
    expect((await stateOf("j-fast"))?.status).toBe("down");
    const job = await jobView("j-fast");
    const lateness = Date.parse(job.markedDownAt ?? job.lateAt) - Date.parse(lateAt);
    expect(seen - Date.parse(lateAt)).toBeLessThanOrEqual(1_000);
    expect((await stateOf("j-fast"))?.reason).toMatch(/^expected a ping by .+Z \(\+ grace 1 s\); last ping .+Z$/);
    expect(job.status).toBe("down");
    expect(lateness).toBeGreaterThanOrEqual(0);
    expect(lateness).toBeLessThanOrEqual(1_000);
    expect((await ping(KEYS.fast)).status).toBe(200);
    expect((await stateOf("j-fast"))?.status).toBe("up");
  });

  it("a started run that does not finish within the grace is down", async () => {
    expect((await ping(KEYS.run)).status).toBe(200);
    const start = Date.now();
    expect((await ping(`${KEYS.run}/start`)).status).toBe(200); // grace 1 s
    expect(await runAlarm(heartbeat("j-run"))).toBe(start + 1_000);
    expect((await stateOf("j-run"))?.status).toBe("down");
    expect((await stateOf("j-run"))?.reason).toMatch(/^started at .+Z and did not finish within the grace 1 s$/);
    advanceClock(50);
    expect((await ping(KEYS.run)).status).toBe(200);
    const job = await jobView("j-run");
    expect(job.status).toBe("up");
    expect(job.lastDurationMs).toBe(1_050);
  });
});
