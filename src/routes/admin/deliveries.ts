/**
 * `GET /v1/deliveries`: the delivery log, newest attempt first — what was sent, retried, failed
 * for good or dead-lettered, with HTTP status, latency and the (redacted) error.
 *
 * Query: `status` = `delivered | retry | failed | dead`, `channel`, `incident`, `limit` (1–500,
 * default 50), `before` (an id from the previous page's `next`).
 */
import { z } from "zod";
import { queryDeliveries, type DeliveryRow } from "../../store/deliveries";
import { answer, declarer, on, refusal, routes, wholeNumber } from "../openapi";

const OUTCOMES = ["delivered", "retry", "failed", "dead"] as const;

export const listDeliveries = declarer(
  "admin",
  "admin",
)({
  method: "get",
  path: "/deliveries",
  summary: "Notification delivery log, newest attempt first",
  request: {
    query: z.object({
      status: z.enum(OUTCOMES, { error: (iss) => `expected one of ${OUTCOMES.join(", ")}, got "${String(iss.input)}"` }).optional(),
      channel: z.string().optional(),
      incident: z.string().optional(),
      limit: wholeNumber({ min: 1, max: 500 }).default(50),
      /** The `next` id of the previous page. */
      before: wholeNumber({ min: 1, expected: "a delivery id" }).optional().describe("The `next` id of the previous page"),
    }),
  },
  responses: { 200: answer("Deliveries (and `next` when there may be more)", "application/json"), 400: refusal("Invalid query") },
});

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
  const app = routes();
  on(app, listDeliveries, async (c) => {
    const { status, channel, incident, limit, before } = c.req.valid("query");
    const rows = await queryDeliveries(c.env.DB, { outcome: status, channelId: channel, incidentId: incident, limit, before });
    return c.json({ deliveries: rows.map(deliveryJson), ...(rows.length === limit && { next: rows[rows.length - 1]!.id }) });
  });
  return app;
}
