/** Upstream status pages as the admin sees them: `GET /v1/upstreams` (each with what it said when last read). */
import { loadUpstreamStatuses } from "../../store/upstreams";
import { answer, declarer, on, routes } from "../openapi";

const route = declarer("admin", "admin");

export const listUpstreams = route({
  method: "get",
  path: "/upstreams",
  summary: "Upstream status pages with their last reading (operational, incident with its title, or unknown with why)",
  responses: { 200: answer("Upstreams", "application/json") },
});

export function upstreamRoutes() {
  const app = routes();
  const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());
  on(app, listUpstreams, async (c) => {
    const config = c.get("config");
    const rows = await loadUpstreamStatuses(
      c.env.DB,
      config.upstreams.map((u) => u.id),
    );
    return c.json({
      upstreams: config.upstreams.map((u) => {
        const r = rows.get(u.id);
        return {
          id: u.id,
          name: u.name ?? r?.pageName ?? u.id,
          url: u.url,
          enabled: u.enabled,
          intervalSeconds: u.interval / 1000,
          services: config.services.filter((s) => s.upstreams.includes(u.id)).map((s) => s.id),
          state: r ? r.state : "unread",
          indicator: r?.indicator ?? null,
          title: r?.title ?? null,
          detail: r?.detail ?? null,
          since: iso(r?.since),
          checkedAt: iso(r?.checkedAt),
        };
      }),
    });
  });
  return app;
}
