/** The public status routes (and /health) on an app that serves one parsed config, as the worker's entry does. */
import { Hono } from "hono";
import type { VigilConfig } from "../../../src/config";
import type { Env } from "../../../src/env";
import { healthRoutes } from "../../../src/routes/status/health";
import { statusRoutes } from "../../../src/routes/status/index";

export function statusApp(config: VigilConfig) {
  const app = new Hono<{ Bindings: Env; Variables: { config: VigilConfig } }>();
  app.use("*", async (c, next) => {
    c.set("config", config);
    await next();
  });
  app.route("/", healthRoutes());
  app.route("/", statusRoutes());
  return app;
}
