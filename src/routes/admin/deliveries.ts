/**
 * `GET /v1/deliveries`: the delivery log, newest attempt first — what was sent, retried, failed
 * for good or dead-lettered, with HTTP status, latency and the (redacted) error.
 *
 * Query: `status` = `delivered | retry | failed | dead`, `channel`, `incident`, `limit` (1–500,
 * default 50), `before` (an id from the previous page's `next`).
 */
import { Hono } from "hono";
import type { VigilConfig } from "../../config";
import type { Env } from "../../env";
import { queryDeliveries, type DeliveryRow } from "../../store/deliveries";
import { jsonError } from "../errors";

type App = { Bindings: Env; Variables: { config: VigilConfig } };

const OUTCOMES = ["delivered", "retry", "failed", "dead"] as const;

export function deliveryJson(r: DeliveryRow) {
  return {
    id: r.id,
    key: r.idempotency_key,
    incident: r.incident_id,
    channel: r.channel_id,
    event: r.event_type,
    attempt: r.attempt,
    status: r.outcome,
    httpStatus: r.http_status,
    latencyMs: r.latency_ms,
    error: r.error,
    at: new Date(r.at).toISOString(),
  };
}

export function deliveryRoutes() {
  const app = new Hono<App>();
  app.get("/", async (c) => {
    const status = c.req.query("status");
    if (status !== undefined && !(OUTCOMES as readonly string[]).includes(status)) {
      return jsonError(c, 400, "invalid_query", `status: expected one of ${OUTCOMES.join(", ")}, got "${status}"`);
    }
    const limitText = c.req.query("limit") ?? "50";
    const limit = Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) return jsonError(c, 400, "invalid_query", `limit: expected a whole number from 1 to 500, got "${limitText}"`);
    const beforeText = c.req.query("before");
    const before = beforeText === undefined ? undefined : Number(beforeText);
    if (before !== undefined && (!Number.isInteger(before) || before < 1)) return jsonError(c, 400, "invalid_query", `before: expected a delivery id, got "${beforeText}"`);
    const rows = await queryDeliveries(c.env.DB, {
      outcome: status as DeliveryRow["outcome"] | undefined,
      channelId: c.req.query("channel"),
      incidentId: c.req.query("incident"),
      limit,
      before,
    });
    return c.json({ deliveries: rows.map(deliveryJson), ...(rows.length === limit && { next: rows[rows.length - 1]!.id }) });
  });
  return app;
}
