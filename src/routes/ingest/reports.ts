/**
 * Agent ingest: `POST /v1/agents/:id/reports` (the contract in DESIGN.md), and the admin views
 * of agents.
 *
 * Checks, cheapest first; each refusal names what was wrong and stores nothing:
 * 1. 404 unknown agent, 403 disabled agent.
 * 2. 413 when Content-Length says more than 256 KiB, or when more than that actually arrives.
 * 3. 401 when the signature is missing or does not match (constant-time HMAC verify), then
 *    401 when its timestamp is more than 5 minutes old or ahead — checked after the MAC, so an
 *    attacker learns nothing about the window from a forged request.
 * 4. 400 for invalid JSON, an oversize array (checked before the schema parses its elements),
 *    every zod issue with its path, or an `agent.id` that is not the URL's.
 * 5. The agent's Durable Object applies it: 202 accepted (with the next expected report),
 *    202 late (older seq: history only), 200 duplicate (seq seen before: nothing changes).
 */
import { Hono } from "hono";
import { formatIssues, reveal, revealAll, type AgentSpec, type VigilConfig } from "../../config";
import { agentReport, MAX_REPORT_BYTES, reportSizeLimits } from "../../contract/report";
import { jsonSizeIssues } from "../../contract/json-size";
import { SIGNATURE_HEADER, SIGNATURE_TOLERANCE_SECONDS, verifyReportSignature } from "../../contract/signature";
import type { Env } from "../../env";
import { heartbeatCheckId, agentCheckId } from "../../objects/agent";
import { listAgents } from "../../store/agents";
import { loadStates } from "../../store/check-state";
import { failedRecoveriesInARow, recentRemediations } from "../../store/remediations";
import { readAtMost } from "../../body";
import { jsonError } from "../errors";

type App = { Bindings: Env; Variables: { config: VigilConfig } };

const byConfig = new WeakMap<VigilConfig, Map<string, AgentSpec>>();

/** The configured agent with this id. */
export function findAgent(config: VigilConfig, id: string): AgentSpec | undefined {
  let map = byConfig.get(config);
  if (!map) byConfig.set(config, (map = new Map(config.agents.map((a) => [a.id, a]))));
  return map.get(id);
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
const KIB = MAX_REPORT_BYTES / 1024;

export function ingestRoutes() {
  const app = new Hono<App>();

  app.post("/v1/agents/:id/reports", async (c) => {
    const config = c.get("config");
    const agentId = c.req.param("id");

    // 1. Who.
    const spec = findAgent(config, agentId);
    if (!spec) return jsonError(c, 404, "unknown_agent", `no agent "${agentId}" in the config`);
    if (!spec.enabled) return jsonError(c, 403, "agent_disabled", `agent "${agentId}" is disabled in the config; its reports are refused`);

    // 2. How big: the declared size, then what really arrives.
    const declared = c.req.header("content-length");
    if (declared !== undefined && Number(declared) > MAX_REPORT_BYTES) {
      return jsonError(c, 413, "payload_too_large", `report is ${declared} bytes; the limit is ${MAX_REPORT_BYTES} bytes (${KIB} KiB)`);
    }
    const body = await readAtMost(c.req.raw, MAX_REPORT_BYTES, undefined, "drain");
    if (body.overflow) {
      return jsonError(c, 413, "payload_too_large", `report body exceeds the limit of ${MAX_REPORT_BYTES} bytes (${KIB} KiB)`);
    }
    let text: string;
    try {
      text = utf8.decode(body.bytes);
    } catch {
      return jsonError(c, 400, "invalid_body", "report body is not valid UTF-8");
    }

    // 3. Signed by this agent's key, and recently.
    const header = c.req.header(SIGNATURE_HEADER);
    const now = Math.floor(Date.now() / 1000);
    // The agent's secret and, during a rotation, SECRET_NEXT: whichever the agent signs with.
    let sig = await verifyReportSignature(reveal(spec.secret, c.env), text, header, now, Number.POSITIVE_INFINITY);
    for (const next of revealAll(spec.secret, c.env).slice(1)) {
      if (sig.ok) break;
      const other = await verifyReportSignature(next, text, header, now, Number.POSITIVE_INFINITY);
      if (other.ok) sig = other;
    }
    if (!sig.ok) {
      const code = header ? "invalid_signature" : "missing_signature";
      return jsonError(c, 401, code, `${sig.reason} (agent "${agentId}")`);
    }
    const skew = now - sig.timestamp;
    if (skew > SIGNATURE_TOLERANCE_SECONDS) {
      return jsonError(c, 401, "signature_expired", `signature timestamp is ${skew} s old; at most ${SIGNATURE_TOLERANCE_SECONDS} s is accepted (replayed request, or the agent's clock is behind)`);
    }
    if (-skew > SIGNATURE_TOLERANCE_SECONDS) {
      return jsonError(c, 401, "signature_in_future", `signature timestamp is ${-skew} s in the future; at most ${SIGNATURE_TOLERANCE_SECONDS} s is accepted (the agent's clock is ahead)`);
    }

    // 4. Well formed.
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      return jsonError(c, 400, "invalid_json", `report body is not JSON: ${(err as Error).message}`);
    }
    // Array lengths first: the schema would parse every element of an oversize array.
    const oversize = jsonSizeIssues(json, reportSizeLimits);
    if (oversize.length > 0) {
      return jsonError(c, 400, "invalid_report", `report does not match the schema (${oversize.length} problem${oversize.length === 1 ? "" : "s"})`, oversize);
    }
    const parsed = agentReport.safeParse(json);
    if (!parsed.success) {
      const issues = formatIssues(parsed.error.issues);
      return jsonError(c, 400, "invalid_report", `report does not match the schema (${issues.length} problem${issues.length === 1 ? "" : "s"})`, issues);
    }
    const report = parsed.data;
    if (report.agent.id !== agentId) {
      return jsonError(c, 400, "invalid_report", "report names another agent", [`agent.id: expected "${agentId}" (the agent in the URL), got "${report.agent.id}"`]);
    }

    // 5. Applied once, in order, by the agent's object.
    const outcome = await c.env.AGENT.getByName(agentId).report(agentId, report);
    switch (outcome.kind) {
      case "duplicate":
        return c.json({ accepted: true, duplicate: true, seq: outcome.seq, lastSeq: outcome.lastSeq }, 200);
      case "late":
        return c.json({ accepted: true, duplicate: false, late: true, seq: outcome.seq, lastSeq: outcome.lastSeq }, 202);
      case "accepted":
        return c.json(
          {
            accepted: true,
            duplicate: false,
            seq: outcome.seq,
            nextReportInSeconds: outcome.intervalSeconds,
            nextReportBy: new Date(Date.now() + outcome.intervalSeconds * 1000).toISOString(),
            graceSeconds: outcome.graceMs / 1000,
            deadline: new Date(outcome.deadline).toISOString(),
          },
          202,
        );
      case "refused":
        return jsonError(c, 409, "refused", outcome.reason);
    }
  });

  return app;
}

const iso = (ms: number | null | undefined) => (ms == null ? null : new Date(ms).toISOString());

/** Admin views (mounted behind the admin bearer token): `/agents`, `/agents/:id`. */
export function agentAdminRoutes() {
  const app = new Hono<App>();

  app.get("/agents", async (c) => {
    const config = c.get("config");
    const [rows, states] = await Promise.all([listAgents(c.env.DB), loadStates(c.env.DB, config.agents.map((a) => heartbeatCheckId(a.id)))]);
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

  app.get("/agents/:id", async (c) => {
    const config = c.get("config");
    const spec = findAgent(config, c.req.param("id"));
    if (!spec) return jsonError(c, 404, "not_found", `no agent "${c.req.param("id")}" in the config`);
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
      },
    });
  });

  return app;
}
