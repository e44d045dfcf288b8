/**
 * What people and tools look at: the status page, `/status.json`, badges, the incident feed,
 * `/metrics` and `/openapi.json`. Mounted at the root by app.ts.
 */
import { Hono } from "hono";
import type { VigilConfig } from "../../config";
import type { Env } from "../../env";
import { badgeRoutes } from "./badge";
import { feedRoutes } from "./feed";
import { metricsRoutes } from "./metrics";
import { openApiRoutes } from "../openapi";
import "../openapi-routes";
import { statusEdgeCache } from "./cache";
import { statusJsonRoutes } from "./json";
import { statusPageRoutes } from "./page";

type App = { Bindings: Env; Variables: { config: VigilConfig } };

export function statusRoutes() {
  const app = new Hono<App>();
  // The public page and its data from the edge cache (status-cache.ts).
  const cached = statusEdgeCache();
  for (const path of ["/", "/status", "/status.json", "/check/:id"]) app.use(path, cached);
  app.route("/", statusPageRoutes());
  app.route("/", statusJsonRoutes());
  app.route("/", badgeRoutes());
  app.route("/", feedRoutes());
  app.route("/", metricsRoutes());
  app.route("/", openApiRoutes());
  return app;
}
