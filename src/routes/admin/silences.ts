/** Silences: list the active ones, silence a service or checks for a while, end one now. */
import { z } from "zod";
import { checkGlob } from "../../config";
import { duration } from "../../config/duration";
import type { Silence } from "../../engine/mute";
import { activeSilences, expireSilence, insertSilence } from "../../store/silences";
import { jsonError } from "../errors";
import { answer, bodySchema, declarer, on, refusal, routes } from "../openapi";
import { actionBody, actor } from "./incidents";

const route = declarer("admin", "admin");

export const listSilences = route({
  method: "get",
  path: "/silences",
  summary: "Active silences",
  responses: { 200: answer("Silences", "application/json") },
});

export const createSilence = route({
  method: "post",
  path: "/silences",
  summary: "Silence a service or checks for a while",
  request: {
    body: {
      content: {
        "application/json": {
          schema: z
            .strictObject({
              service: z.string().min(1).optional(),
              /** Glob over check ids, `*` for any run of characters. */
              check: checkGlob.optional(),
              duration: duration({ min: "1s", max: "30d" }),
              comment: z.string().min(1).max(500),
              by: actor,
            })
            .refine((s) => s.service !== undefined || s.check !== undefined, {
              message: "give a service, a check glob, or both",
              path: ["service"],
            }),
        },
      },
    },
  },
  responses: {
    201: answer("Silence created", "application/json"),
    400: refusal("Invalid JSON or body, or unknown service"),
    413: refusal("Body over 64 KiB"),
  },
});

export const endSilence = route({
  method: "delete",
  path: "/silences/{id}",
  summary: "End a silence now",
  request: { params: z.object({ id: z.string().min(1).describe("Silence id") }) },
  responses: { 204: answer("Ended"), 404: refusal("No active silence with this id") },
});

function silenceJson(s: Silence) {
  return {
    id: s.id,
    service: s.serviceId,
    check: s.checkGlob,
    comment: s.comment,
    by: s.createdBy,
    createdAt: new Date(s.createdAt).toISOString(),
    endsAt: new Date(s.endsAt).toISOString(),
  };
}

export function silenceRoutes() {
  const app = routes();
  on(app, listSilences, async (c) => c.json({ silences: (await activeSilences(c.env.DB, Date.now())).map(silenceJson) }));
  on(app, createSilence, async (c) => {
    const b = await actionBody(c, bodySchema(createSilence));
    if (b instanceof Response) return b;
    const config = c.get("config");
    if (b.service !== undefined && !config.services.some((s) => s.id === b.service)) {
      return jsonError(c, 400, "invalid_body", `service: unknown service "${b.service}"`, [`service: unknown service "${b.service}"`]);
    }
    const now = Date.now();
    const silence = {
      id: `sil_${crypto.randomUUID().slice(0, 8)}`,
      serviceId: b.service ?? null,
      checkGlob: b.check ?? null,
      comment: b.comment,
      createdBy: b.by,
      createdAt: now,
      endsAt: now + b.duration,
    };
    await insertSilence(c.env.DB, silence).run();
    // The services it covers look again now (and re-read their silences).
    const covered = silence.serviceId ? [silence.serviceId] : config.services.map((s) => s.id);
    await Promise.all(covered.map((id) => c.env.SERVICE.getByName(id).apply(id, { type: "tick", at: now })));
    return c.json({ silence: silenceJson(silence) }, 201);
  });
  on(app, endSilence, async (c) => {
    const now = Date.now();
    const { id } = c.req.valid("param");
    if (!(await expireSilence(c.env.DB, id, now))) return jsonError(c, 404, "not_found", `no active silence "${id}"`);
    // Services whose pages it held look again now rather than at its old end.
    await Promise.all(c.get("config").services.map((s) => c.env.SERVICE.getByName(s.id).apply(s.id, { type: "tick", at: now })));
    return c.body(null, 204);
  });
  return app;
}
