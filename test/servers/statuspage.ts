/**
 * Spawn kind "statuspage": Atlassian Statuspage's component update,
 * `PATCH /v1/pages/{page_id}/components/{component_id}` with `Authorization: OAuth <key>` and
 * JSON `{ component: { status } }`. Keeps each component's status and its history.
 */
import type { Spawned } from "./index";
import { Problems, isObject, jsonAnswer, onlyKeys, parseJson, startProvider } from "./provider";

const STATUSES = ["operational", "under_maintenance", "degraded_performance", "partial_outage", "major_outage"];

export async function spawnStatuspage(options: { apiKey: string; pageId: string; components: string[] }): Promise<Spawned> {
  let components: Record<string, { status: string; history: string[] }> = {};
  const init = () =>
    (components = Object.fromEntries(options.components.map((c) => [c, { status: "operational", history: [] as string[] }])));
  init();
  return startProvider({
    state: () => ({ components }),
    reset: init,
    handle(req) {
      const m = /^\/v1\/pages\/([^/]+)\/components\/([^/]+)$/.exec(req.path);
      if (req.headers.authorization !== `OAuth ${options.apiKey}`)
        return { answer: jsonAnswer(401, { error: "Could not authenticate" }), problems: ["authorization: expected OAuth <api key>"] };
      if (req.method !== "PATCH" || !m || m[1] !== options.pageId || !components[m[2]!])
        return {
          answer: jsonAnswer(404, { error: "The requested resource could not be found." }),
          problems: [`${req.method} ${req.path}: no such component`],
        };
      const p = new Problems();
      const body = parseJson(req, p);
      if (p.check(isObject(body) && isObject(body.component), "component: expected an object")) {
        onlyKeys(body, ["component"], "body", p);
        onlyKeys(
          body.component,
          ["status", "name", "description", "group_id", "showcase", "only_show_if_degraded", "start_date"],
          "component",
          p,
        );
        p.check(
          STATUSES.includes(body.component.status),
          `component.status: expected one of ${STATUSES.join(", ")}, got ${body.component.status}`,
        );
      }
      if (p.any) return { answer: jsonAnswer(422, { error: p.list.join("; ") }), problems: p.list };
      const c = components[m[2]!]!;
      c.status = body.component.status;
      c.history.push(c.status);
      return { answer: jsonAnswer(200, { id: m[2], page_id: m[1], status: c.status, updated_at: new Date().toISOString() }) };
    },
  });
}
