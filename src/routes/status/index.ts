/**
 * What people and tools look at: the status page, `/status.json`, badges, the incident feed,
 * `/metrics` (its own token) and `/health`. Mounted at the root by ../app.ts.
 */
import { routes } from "../openapi";
import { badgeRoutes } from "./badge";
import { statusEdgeCache } from "./cache";
import { feedRoutes } from "./feed";
import { healthRoutes } from "./health";
import { statusJsonRoutes } from "./json";
import { metricsRoutes } from "./metrics";
import { statusPageRoutes } from "./page";

export function statusRoutes() {
  const app = routes();
  // The public page and its data from the edge cache (./cache.ts).
  const cached = statusEdgeCache();
  for (const path of ["/", "/status", "/status.json", "/check/:id"]) app.use(path, cached);
  for (const group of [healthRoutes(), statusPageRoutes(), statusJsonRoutes(), badgeRoutes(), feedRoutes(), metricsRoutes()])
    app.route("/", group);
  return app;
}
