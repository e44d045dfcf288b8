/**
 * Agent ingest: `POST /v1/agents/:id/reports` (the contract in DESIGN.md).
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
 *    The accepted answer lists `monitors`: the specs this agent runs as a location.
 */
import { z } from "zod";
import { formatIssues, locationMonitors, reveal, revealAll, type AgentSpec, type VigilConfig } from "../../config";
import { agentReport, MAX_REPORT_BYTES, reportSizeLimits } from "../../contract/report";
import { jsonSizeIssues } from "../../contract/json-size";
import { SIGNATURE_HEADER, SIGNATURE_TOLERANCE_SECONDS, verifyReportSignature } from "../../contract/signature";
import { readAtMost } from "../../body";
import { jsonError } from "../errors";
import { answer, bodySchema, declarer, on, refusal, routes } from "../openapi";

const byConfig = new WeakMap<VigilConfig, Map<string, AgentSpec>>();

/** The configured agent with this id. */
export function findAgent(config: VigilConfig, id: string): AgentSpec | undefined {
  let map = byConfig.get(config);
  if (!map) byConfig.set(config, (map = new Map(config.agents.map((a) => [a.id, a]))));
  return map.get(id);
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
const KIB = MAX_REPORT_BYTES / 1024;

export const pushReport = declarer(
  "signature",
  "ingest",
)({
  method: "post",
  path: "/v1/agents/{id}/reports",
  summary: "Push an agent report (signed)",
  description: `The body is at most ${MAX_REPORT_BYTES} bytes; the signature covers "<t>.<raw body>" and t must be within ±5 minutes.`,
  request: {
    params: z.object({ id: z.string().min(1).describe("Agent id as in the config") }),
    body: { required: true, content: { "application/json": { schema: agentReport } } },
  },
  responses: {
    200: answer("Duplicate seq: accepted, nothing applied again", "application/json"),
    202: answer("Accepted (or late: kept in history only)", "application/json"),
    400: refusal("Invalid JSON or schema (every issue with its path), or agent.id differs from the URL"),
    401: refusal("Missing, invalid, expired or future signature"),
    403: refusal("Agent disabled in the config"),
    404: refusal("Unknown agent"),
    409: refusal("Refused by the agent's object"),
    413: refusal("Body over the size limit"),
  },
});

export function reportRoutes() {
  const app = routes();

  on(app, pushReport, async (c) => {
    const config = c.get("config");
    const agentId = c.req.valid("param").id;

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
      return jsonError(
        c,
        401,
        "signature_expired",
        `signature timestamp is ${skew} s old; at most ${SIGNATURE_TOLERANCE_SECONDS} s is accepted (replayed request, or the agent's clock is behind)`,
      );
    }
    if (-skew > SIGNATURE_TOLERANCE_SECONDS) {
      return jsonError(
        c,
        401,
        "signature_in_future",
        `signature timestamp is ${-skew} s in the future; at most ${SIGNATURE_TOLERANCE_SECONDS} s is accepted (the agent's clock is ahead)`,
      );
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
      return jsonError(
        c,
        400,
        "invalid_report",
        `report does not match the schema (${oversize.length} problem${oversize.length === 1 ? "" : "s"})`,
        oversize,
      );
    }
    const parsed = bodySchema(pushReport).safeParse(json);
    if (!parsed.success) {
      const issues = formatIssues(parsed.error.issues);
      return jsonError(
        c,
        400,
        "invalid_report",
        `report does not match the schema (${issues.length} problem${issues.length === 1 ? "" : "s"})`,
        issues,
      );
    }
    const report = parsed.data;
    if (report.agent.id !== agentId) {
      return jsonError(c, 400, "invalid_report", "report names another agent", [
        `agent.id: expected "${agentId}" (the agent in the URL), got "${report.agent.id}"`,
      ]);
    }

    // 5. Applied once, in order, by the agent's object. The answer to an accepted report names
    //    the monitors the agent runs as a location (an agent that predates them ignores it).
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
            monitors: locationMonitors(config, agentId),
          },
          202,
        );
      case "refused":
        return jsonError(c, 409, "refused", outcome.reason);
    }
  });

  return app;
}
