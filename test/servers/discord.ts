/**
 * Spawn kind "discord": a Discord channel webhook (`POST /api/webhooks/{id}/{token}`) with its
 * limits: content or embeds, ≤ 10 embeds, title ≤ 256, description ≤ 4096, ≤ 25 fields
 * (name ≤ 256, value ≤ 1024), integer colour. Answers `204`; `400` with Discord's error shape.
 */
import type { Spawned } from "./index";
import { Problems, isObject, jsonAnswer, onlyKeys, parseJson, startProvider } from "./provider";

export async function spawnDiscord(options: { path: string }): Promise<Spawned> {
  let messages: unknown[] = [];
  return startProvider({
    state: () => ({ messages }),
    reset: () => (messages = []),
    handle(req) {
      if (req.method !== "POST" || req.path !== options.path)
        return {
          answer: jsonAnswer(404, { message: "Unknown Webhook", code: 10015 }),
          problems: [`${req.method} ${req.path}: unknown webhook`],
        };
      const p = new Problems();
      const m = parseJson(req, p);
      if (p.check(isObject(m), "body: expected an object")) {
        onlyKeys(m, ["content", "username", "avatar_url", "tts", "embeds", "allowed_mentions", "flags"], "body", p);
        p.check(typeof m.content === "string" || Array.isArray(m.embeds), "content or embeds: required");
        if (Array.isArray(m.embeds)) {
          p.check(m.embeds.length <= 10, "embeds: at most 10");
          m.embeds.forEach((e: any, i: number) => {
            const path = `embeds[${i}]`;
            if (!p.check(isObject(e), `${path}: expected an object`)) return;
            onlyKeys(e, ["title", "description", "url", "timestamp", "color", "footer", "fields", "author"], path, p);
            if (e.title !== undefined) p.check(typeof e.title === "string" && e.title.length <= 256, `${path}.title: ≤ 256`);
            if (e.description !== undefined)
              p.check(typeof e.description === "string" && e.description.length <= 4096, `${path}.description: ≤ 4096`);
            if (e.color !== undefined)
              p.check(Number.isInteger(e.color) && e.color >= 0 && e.color <= 0xffffff, `${path}.color: integer RGB`);
            if (e.timestamp !== undefined) p.check(!Number.isNaN(Date.parse(e.timestamp)), `${path}.timestamp: ISO 8601`);
            if (e.fields !== undefined && p.check(Array.isArray(e.fields) && e.fields.length <= 25, `${path}.fields: ≤ 25`)) {
              e.fields.forEach((f: any, j: number) =>
                p.check(
                  typeof f?.name === "string" &&
                    f.name.length > 0 &&
                    f.name.length <= 256 &&
                    typeof f.value === "string" &&
                    f.value.length > 0 &&
                    f.value.length <= 1024,
                  `${path}.fields[${j}]: name ≤ 256, value 1–1024`,
                ),
              );
            }
          });
        }
      }
      if (p.any) return { answer: jsonAnswer(400, { message: "Invalid Form Body", code: 50035, errors: p.list }), problems: p.list };
      messages.push(m);
      return { answer: { status: 204 } };
    },
  });
}
