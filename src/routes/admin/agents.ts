/** Agents as the admin sees them: `GET /v1/agents` (heartbeat state) and `GET /v1/agents/:id` (checks, remediations, history). */
import { z } from "zod";
import { agentCheckId, heartbeatCheckId } from "../../objects/agent";
import { listAgents } from "../../store/agents";
import { loadStates } from "../../store/check-state";
import { failedRecoveriesInARow, recentRemediations } from "../../store/remediations";
import { jsonError } from "../errors";
import { findAgent } from "../ingest/reports";
import { answer, declarer, on, refusal, routes } from "../openapi";

const route = declarer("admin", "admin");

export const listAgentsRoute = route({
  method: "get",
  path: "/agents",
  summary: "Agents with heartbeat state",
  responses: { 200: answer("Agents", "application/json") },
});

export const showAgent = route({
  method: "get",
  path: "/agents/{id}",
  summary: "One agent: checks, remediations, report history",
  request: { params: z.object({ id: z.string().min(1).describe("Agent id as in the config") }) },
  responses: { 200: answer("Agent", "application/json"), 404: refusal("No such agent") },
});

const iso = (ms: number | null | undefined) => (ms == null ? null : new Date(ms).toISOString());

export function agentRoutes() {
  const app = routes();

  on(app, listAgentsRoute, async (c) => {
    const config = c.get("config");
    const [rows, states] = await Promise.all([
      listAgents(c.env.DB),
      loadStates(
        c.env.DB,
        config.agents.map((a) => heartbeatCheckId(a.id)),
      ),
    ]);
    return c.json({
      agents: config.agents.map((a) => {
        const row = rows.get(a.id);
        const hb = states.get(heartbeatCheckId(a.id));
        return {
          id: a.id,
          service: a.service,
          enabled: a.enabled,
          heartbeat: hb ? { status: hb.status, since: iso(hb.since), reason: hb.reason } : { status: "unknown", since: null, reason: null },
          hostname: row?.hostname ?? null,
          version: row?.version ?? null,
          intervalSeconds: row?.interval_s ?? null,
          lastSeq: row?.last_seq ?? null,
          lastSeen: iso(row?.last_seen),
          deadline: iso(row?.deadline),
          silentSince: iso(row?.silent_since),
        };
      }),
    });
  });

  on(app, showAgent, async (c) => {
    const config = c.get("config");
    const { id } = c.req.valid("param");
    const spec = findAgent(config, id);
    if (!spec) return jsonError(c, 404, "not_found", `no agent "${id}" in the config`);
    const view = await c.env.AGENT.getByName(spec.id).describe();
    const states = await loadStates(c.env.DB, [heartbeatCheckId(spec.id), ...view.checks.map((k) => agentCheckId(spec.id, k.id))]);
    const checks = await Promise.all(
      view.checks.map(async (k) => {
        const id = agentCheckId(spec.id, k.id);
        const s = states.get(id);
        return {
          ...k,
          checkId: id,
          observedAt: iso(k.observedAt),
          state: s ? { status: s.status, since: iso(s.since), reason: s.reason } : null,
          failedRecoveriesInARow: await failedRecoveriesInARow(c.env.DB, id),
          remediations: (await recentRemediations(c.env.DB, id, 10)).map((r) => ({ ...r, at: iso(r.at) })),
        };
      }),
    );
    const hb = states.get(heartbeatCheckId(spec.id));
    return c.json({
      agent: {
        id: spec.id,
        service: spec.service,
        enabled: spec.enabled,
        heartbeat: hb ? { status: hb.status, since: iso(hb.since), reason: hb.reason } : { status: "unknown", since: null, reason: null },
        lastSeq: view.lastSeq,
        lastSeen: iso(view.lastSeen),
        intervalSeconds: view.intervalSeconds,
        graceSeconds: view.graceMs === null ? null : view.graceMs / 1000,
        deadline: iso(view.deadline),
        silentSince: iso(view.silentSince),
        markedDownAt: iso(view.markedDownAt),
        hostname: view.hostname,
        version: view.version,
        checks,
        history: view.history.map((h) => ({ ...h, receivedAt: iso(h.receivedAt), sentAt: iso(h.sentAt) })),
        locations: view.locations.map((l) => ({ ...l, checkedAt: iso(l.checkedAt), receivedAt: iso(l.receivedAt) })),
      },
    });
  });

  return app;
}
