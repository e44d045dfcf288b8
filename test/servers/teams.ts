/**
 * Spawn kind "teams": a Teams Workflows webhook receiving an Adaptive Card in a `message`
 * envelope: `attachments[0].contentType` = `application/vnd.microsoft.card.adaptive`, content
 * `type: AdaptiveCard`, a version, a non-empty body of known elements, `Action.OpenUrl` actions.
 * Answers `202`.
 */
import type { Spawned } from "./index";
import { Problems, isObject, parseJson, startProvider } from "./provider";

export async function spawnTeams(options: { path: string }): Promise<Spawned> {
  let cards: unknown[] = [];
  return startProvider({
    state: () => ({ cards }),
    reset: () => (cards = []),
    handle(req) {
      if (req.method !== "POST" || req.path !== options.path)
        return { answer: { status: 404 }, problems: [`${req.method} ${req.path}: unknown workflow`] };
      const p = new Problems();
      const m = parseJson(req, p);
      if (
        p.check(
          isObject(m) && m.type === "message" && Array.isArray(m.attachments) && m.attachments.length === 1,
          "body: expected { type: message, attachments: [card] }",
        )
      ) {
        const a = m.attachments[0];
        p.check(a?.contentType === "application/vnd.microsoft.card.adaptive", "attachments[0].contentType: adaptive card");
        const c = a?.content;
        if (
          p.check(
            isObject(c) && c.type === "AdaptiveCard" && typeof c.version === "string",
            "attachments[0].content: AdaptiveCard with version",
          )
        ) {
          p.check(Array.isArray(c.body) && c.body.length > 0, "content.body: non-empty");
          (c.body ?? []).forEach((e: any, i: number) => {
            p.check(["TextBlock", "FactSet"].includes(e?.type), `content.body[${i}].type: unknown ${e?.type}`);
            if (e?.type === "TextBlock") p.check(typeof e.text === "string" && e.text.length > 0, `content.body[${i}].text: required`);
            if (e?.type === "FactSet")
              p.check(
                Array.isArray(e.facts) && e.facts.every((f: any) => typeof f.title === "string" && typeof f.value === "string"),
                `content.body[${i}].facts: [{ title, value }]`,
              );
          });
          (c.actions ?? []).forEach((x: any, i: number) =>
            p.check(
              x?.type === "Action.OpenUrl" && typeof x.title === "string" && /^https?:\/\//.test(x.url),
              `content.actions[${i}]: Action.OpenUrl with title and url`,
            ),
          );
        }
      }
      if (p.any) return { answer: { status: 400, body: p.list.join("; ") }, problems: p.list };
      cards.push(m);
      return { answer: { status: 202 } };
    },
  });
}
