/** Ping jobs as the admin sees them: `GET /v1/jobs` (schedule and state) and `GET /v1/jobs/:id` (pings, excerpt, history). */
import { z } from "zod";
import { jobCheckId } from "../../objects/heartbeat";
import { loadStates } from "../../store/check-state";
import { jsonError } from "../errors";
import { answer, declarer, on, refusal, routes } from "../openapi";

const route = declarer("admin", "admin");

export const listJobs = route({
  method: "get",
  path: "/jobs",
  summary: "Ping jobs with their state",
  responses: { 200: answer("Jobs", "application/json") },
});

export const showJob = route({
  method: "get",
  path: "/jobs/{id}",
  summary: "One ping job",
  request: { params: z.object({ id: z.string().min(1).describe("Job id as in the config") }) },
  responses: { 200: answer("Job", "application/json"), 404: refusal("No such job") },
});

export function jobRoutes() {
  const app = routes();
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

  on(app, listJobs, async (c) => {
    const config = c.get("config");
    const states = await loadStates(
      c.env.DB,
      config.jobs.map((j) => jobCheckId(j.id)),
    );
    return c.json({
      jobs: config.jobs.map((j) => {
        const s = states.get(jobCheckId(j.id));
        return {
          id: j.id,
          service: j.service,
          enabled: j.enabled,
          schedule: j.cron !== undefined ? { cron: j.cron, timezone: j.timezone ?? config.timezone } : { periodSeconds: j.period! / 1000 },
          graceSeconds: j.grace / 1000,
          state: s ? { status: s.status, since: iso(s.since), reason: s.reason } : { status: "new", since: null, reason: null },
        };
      }),
    });
  });

  on(app, showJob, async (c) => {
    const { id } = c.req.valid("param");
    const job = c.get("config").jobs.find((j) => j.id === id);
    if (!job) return jsonError(c, 404, "not_found", `no job "${id}" in the config`);
    const v = await c.env.HEARTBEAT.getByName(job.id).describe();
    return c.json({
      job: {
        id: job.id,
        service: job.service,
        status: v.status,
        lastPingAt: iso(v.lastPingAt),
        lastPingKind: v.lastPingKind,
        lastExitCode: v.lastExitCode,
        runningSince: iso(v.runningSince),
        lastDurationMs: v.lastDurationMs,
        lastExcerpt: v.lastExcerpt,
        excerptTruncated: v.excerptTruncated,
        expectedAt: iso(v.expectedAt),
        lateAt: iso(v.lateAt),
        downReason: v.downReason,
        markedDownAt: iso(v.markedDownAt),
        history: v.history.map((h) => ({ ...h, at: iso(h.at) })),
      },
    });
  });

  return app;
}
