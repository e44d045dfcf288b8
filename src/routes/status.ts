/**
 * What people and tools look at: the status page, `/status.json`, badges, the incident feed,
 * `/metrics` and `/openapi.json`. Mounted at the root by app.ts.
 */
import { Hono } from "hono";
import type { VigilConfig } from "../config";
import type { Env } from "../env";
import { badgeRoutes } from "./badge";
import { feedRoutes } from "./feed";
import { metricsRoutes } from "./metrics";
import { openApiRoutes } from "./openapi";
import "./openapi-routes";
import { statusJsonRoutes } from "./status-json";
import { statusPageRoutes } from "./status-page";

type App = { Bindings: Env; Variables: { config: VigilConfig } };

export function statusRoutes() {
  const app = new Hono<App>();
  app.route("/", statusPageRoutes());
  app.route("/", statusJsonRoutes());
  app.route("/", badgeRoutes());
  app.route("/", feedRoutes());
  app.route("/", metricsRoutes());
  app.route("/", openApiRoutes());
  return app;
}
