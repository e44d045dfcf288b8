/**
 * What arrives from machines and from people following a link, each request carrying its own
 * credential: signed agent reports (`/v1/agents/:id/reports`), job pings (`/ping/:key…`, the
 * key is the secret) and the signed links of notifications (`/a/:id/:action`). Mounted before
 * the admin API, whose bearer check never sees them.
 */
import { routes } from "../openapi";
import { linkRoutes } from "./links";
import { pingRoutes } from "./ping";
import { reportRoutes } from "./reports";

export function ingestRoutes() {
  const app = routes();
  app.route("/", reportRoutes());
  app.route("/", pingRoutes());
  app.route("/a", linkRoutes());
  return app;
}
