/** `GET /v1/monitors` (every monitor with its current state) and `GET /v1/config` (which config is live). */
import { configStatus } from "../../config/load";
import { shownState } from "../../engine/overdue";
import { loadLastRuns, loadStates } from "../../store/check-state";
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
    const [states, lastRuns] = await Promise.all([loadStates(c.env.DB), loadLastRuns(c.env.DB)]);
    const now = Date.now();
    return c.json({
      monitors: config.monitors.map((m) => {
        const stored = states.get(m.id);
        // A monitor whose planned runs stopped reads unknown (src/engine/overdue.ts).
        const s = stored && m.enabled ? shownState(m, stored, lastRuns.get(m.id) ?? null, now) : stored;
        return {
          ...m,
          state: s
            ? {
                status: s.status,
                since: new Date(s.since).toISOString(),
                reason: s.reason,
                consecutiveFailures: s.consecutiveFailures,
                lastRun: lastRuns.has(m.id) ? new Date(lastRuns.get(m.id)!).toISOString() : null,
              }
            : { status: "unknown", since: null, reason: null, consecutiveFailures: 0 },
        };
      }),
    });
  });
  // The live config's identity, and a refused newer version with every problem (npm start).
  on(app, showConfig, (c) => c.json({ config: configStatus }));
  return app;
}
