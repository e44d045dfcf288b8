/**
 * `GET /health`: liveness and version, and the config's counts (and, under `npm start`, which
 * config is live) when the status page is public. A private page's deployment says only "ok": the counts are facts about what is
 * watched, which a private page keeps to those with its token.
 */
import { configStatus } from "../../config/load";
import { answer, declarer, on, routes } from "../openapi";

export const health = declarer(
  "none",
  "meta",
)({
  method: "get",
  path: "/health",
  summary: "Liveness, version, config counts and which config is live",
  responses: { 200: answer("OK", "application/json") },
});

export function healthRoutes() {
  const app = routes();
  on(app, health, (c) => {
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
          refused: configStatus.refused && {
            hash: configStatus.refused.hash,
            at: configStatus.refused.at,
            problems: configStatus.refused.problems.length,
          },
        },
      }),
    });
  });
  return app;
}
