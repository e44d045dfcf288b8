/**
 * `GET /health`: liveness and version, and the config's counts (and, under `npm start`, which
 * config is live) when the status page is public. A private page's deployment says only "ok": the counts are facts about what is
 * watched, which a private page keeps to those with its token.
 */
import { Hono } from "hono";
import type { VigilConfig } from "../../config";
import { configStatus } from "../../config/load";
import type { Env } from "../../env";

type App = { Bindings: Env; Variables: { config: VigilConfig } };

export function healthRoutes() {
  const app = new Hono<App>();
  app.get("/health", (c) => {
    const config = c.get("config");
    if (config.statusPage.token) return c.json({ status: "ok" });
    return c.json({
      status: "ok",
      version: c.env.VIGIL_VERSION ?? "dev",
      monitors: config.monitors.length,
      services: config.services.length,
      agents: config.agents.length,
      // Which config is live and whether a newer one was refused (`npm start`; see GET /v1/config).
      ...(configStatus && {
        config: {
          file: configStatus.file,
          hash: configStatus.hash,
          loadedAt: configStatus.loadedAt,
          refused: configStatus.refused && { hash: configStatus.refused.hash, at: configStatus.refused.at, problems: configStatus.refused.problems.length },
        },
      }),
    });
  });
  return app;
}
