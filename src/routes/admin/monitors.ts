/** `GET /v1/monitors` (every monitor with its current state) and `GET /v1/config` (which config is live). */
import { configStatus } from "../../config/load";
import { loadStates } from "../../store/check-state";
import { answer, declarer, on, routes } from "../openapi";

const route = declarer("admin", "admin");

export const listMonitors = route({
  method: "get",
  path: "/monitors",
  summary: "Monitors with their current state",
  responses: { 200: answer("Monitors", "application/json") },
});

export const showConfig = route({
  method: "get",
  path: "/config",
  summary: "Which config is live (hash, loaded at) and a refused newer one with its problems (npm start)",
  responses: { 200: answer("Config status; null when the config was deployed as is", "application/json") },
});

export function monitorRoutes() {
  const app = routes();
  on(app, listMonitors, async (c) => {
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
  on(app, showConfig, (c) => c.json({ config: configStatus }));
  return app;
}
