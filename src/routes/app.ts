/** The HTTP surface: health, the admin API, and JSON errors for everything else. */
import { Hono } from "hono";
import type { VigilConfig } from "../config";
import { ConfigError } from "../config";
import { configStatus, loadConfig } from "../config/load";
import type { Env } from "../env";
import { getIncident, listIncidents } from "../store/incidents";
import { listDeliveries } from "../store/deliveries";
import { loadStates } from "../store/check-state";
import { bearerAuth } from "./auth";
import { healthRoutes } from "./status/health";
import { throttleFailures } from "./throttle";
import { deliveryRoutes } from "./admin/deliveries";
import { jsonError } from "./errors";
import { agentAdminRoutes, ingestRoutes } from "./ingest/reports";
import { actionLinks, incidentControls } from "./admin/incidents";
import { jobAdminRoutes, pingRoutes, redactPingPath } from "./ingest/ping";
import { probeRoutes } from "./probe";
import { statusRoutes } from "./status/index";

type App = { Bindings: Env; Variables: { config: VigilConfig } };

export function createApp() {
  const app = new Hono<App>();

  // Every route needs a valid config; an invalid one is refused with every problem listed.
  app.use("*", async (c, next) => {
    const config = loadConfig(c.env);
    if (config instanceof ConfigError) return jsonError(c, 500, "invalid_config", "the deployed Vigil config is invalid", config.problems);
    c.set("config", config);
    await next();
  });

  app.route("/", healthRoutes());

  // Signed agent reports and job pings authenticate themselves; mounted before the admin
  // API so its bearer middleware never sees them.
  app.route("/", ingestRoutes());
  app.route("/", pingRoutes());
  // Status page, status.json, badges, feed, /metrics (own token), /openapi.json.
  app.route("/", statusRoutes());
  // Signed, expiring action links from notifications (their signature is their auth).
  app.route("/a", actionLinks());

  const admin = new Hono<App>();
  admin.use("*", throttleFailures("admin"));
  admin.use("*", bearerAuth({ name: "VIGIL_ADMIN_TOKEN" }));

  admin.get("/monitors", async (c) => {
    const config = c.get("config");
    const states = await loadStates(c.env.DB);
    return c.json({
      monitors: config.monitors.map((m) => {
        const s = states.get(m.id);
        return {
          ...m,
          state: s
            ? { status: s.status, since: new Date(s.since).toISOString(), reason: s.reason, consecutiveFailures: s.consecutiveFailures }
            : { status: "unknown", since: null, reason: null, consecutiveFailures: 0 },
        };
      }),
    });
  });

  // The live config's identity, and a refused newer version with every problem (npm start).
  admin.get("/config", (c) => c.json({ config: configStatus }));

  admin.get("/incidents", async (c) => {
    const status = c.req.query("status");
    if (status !== undefined && status !== "open" && status !== "resolved") {
      return jsonError(c, 400, "invalid_query", `status: expected "open" or "resolved", got "${status}"`);
    }
    const limitText = c.req.query("limit") ?? "50";
    const limit = Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) {
      return jsonError(c, 400, "invalid_query", `limit: expected a whole number from 1 to 500, got "${limitText}"`);
    }
    return c.json({ incidents: await listIncidents(c.env.DB, status, limit) });
  });

  admin.get("/incidents/:id", async (c) => {
    const incident = await getIncident(c.env.DB, c.req.param("id"));
    if (!incident) return jsonError(c, 404, "not_found", `no incident "${c.req.param("id")}"`);
    return c.json({ incident: { ...incident, deliveries: await listDeliveries(c.env.DB, incident.id) } });
  });

  admin.route("/", agentAdminRoutes());
  admin.route("/", jobAdminRoutes());
  admin.route("/", probeRoutes());
  admin.route("/", incidentControls());
  admin.route("/deliveries", deliveryRoutes());
  app.route("/v1", admin);

  // Paths are shown and logged with ping keys masked: a wrong method must not echo a key.
  app.notFound((c) => jsonError(c, 404, "not_found", `no route ${c.req.method} ${redactPingPath(new URL(c.req.url).pathname)}`));
  app.onError((err, c) => {
    console.error(JSON.stringify({ msg: "unhandled error", path: redactPingPath(new URL(c.req.url).pathname), error: err.message }));
    return jsonError(c, 500, "internal", "internal error");
  });
  return app;
}
