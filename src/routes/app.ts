/**
 * The HTTP surface, one group per audience, each declared once (./openapi.ts):
 * - ingest/: signed agent reports, job pings, signed notification links;
 * - status/: the status page, status.json, badges, feed, /metrics, /health;
 * - admin/: the admin API under /v1, behind the admin token;
 * - /openapi.json: the document of all of them.
 * Anything else is a JSON 404.
 */
import { HTTPException } from "hono/http-exception";
import { ConfigError } from "../config";
import { loadConfig } from "../config/load";
import { adminRoutes } from "./admin";
import { jsonError } from "./errors";
import { ingestRoutes } from "./ingest";
import { redactPingPath } from "./ingest/ping";
import { routes, serveOpenApi } from "./openapi";
import { statusRoutes } from "./status";

export function createApp() {
  const app = routes();

  // Every route needs a valid config; an invalid one is refused with every problem listed.
  app.use("*", async (c, next) => {
    const config = loadConfig(c.env);
    if (config instanceof ConfigError) return jsonError(c, 500, "invalid_config", "the deployed Vigil config is invalid", config.issues);
    c.set("config", config);
    await next();
  });

  // Requests that carry their own credential, mounted before the admin API so its bearer
  // middleware never sees them.
  app.route("/", ingestRoutes());
  app.route("/", statusRoutes());
  app.route("/v1", adminRoutes());
  serveOpenApi(app);

  // Paths are shown and logged with ping keys masked: a wrong method must not echo a key.
  app.notFound((c) => jsonError(c, 404, "not_found", `no route ${c.req.method} ${redactPingPath(new URL(c.req.url).pathname)}`));
  app.onError((err, c) => {
    // Refusals thrown by middleware (hono/bearer-auth) carry their response.
    if (err instanceof HTTPException) return err.getResponse();
    console.error(JSON.stringify({ msg: "unhandled error", path: redactPingPath(new URL(c.req.url).pathname), error: err.message }));
    return jsonError(c, 500, "internal", "internal error");
  });
  return app;
}
