/**
 * Spawn kind "slack": a Slack incoming webhook (`POST /services/T…/B…/…`) that checks the
 * message the way Slack does: `text` fallback, at most 50 blocks, known block types with their
 * limits (header plain_text ≤ 150, section text ≤ 3000 and ≤ 10 fields ≤ 2000, context ≤ 10
 * elements, actions ≤ 25 elements, buttons with plain_text ≤ 75, url ≤ 3000, unique action_id).
 * Answers `200 ok`, `400 invalid_blocks`, `404 no_service`.
 */
import type { Spawned } from "./index";
import { Problems, isObject, onlyKeys, parseJson, startProvider } from "./provider";

const text = (t: any, path: string, p: Problems, max: number, types = ["plain_text", "mrkdwn"]) => {
  if (!p.check(isObject(t) && types.includes(t.type), `${path}.type: expected ${types.join(" or ")}`)) return;
  p.check(typeof t.text === "string" && t.text.length > 0 && t.text.length <= max, `${path}.text: expected 1–${max} characters`);
};

function checkBlock(b: any, i: number, p: Problems, actionIds: Set<string>) {
  const path = `blocks[${i}]`;
  if (!p.check(isObject(b), `${path}: expected an object`)) return;
  switch (b.type) {
    case "header":
      onlyKeys(b, ["type", "text", "block_id"], path, p);
      text(b.text, `${path}.text`, p, 150, ["plain_text"]);
      break;
    case "section":
      onlyKeys(b, ["type", "text", "fields", "block_id", "accessory"], path, p);
      p.check(b.text !== undefined || b.fields !== undefined, `${path}: needs text or fields`);
      if (b.text !== undefined) text(b.text, `${path}.text`, p, 3000);
      if (b.fields !== undefined && p.check(Array.isArray(b.fields) && b.fields.length <= 10, `${path}.fields: at most 10`))
        b.fields.forEach((f: any, j: number) => text(f, `${path}.fields[${j}]`, p, 2000));
      break;
    case "context":
      onlyKeys(b, ["type", "elements", "block_id"], path, p);
      if (p.check(Array.isArray(b.elements) && b.elements.length > 0 && b.elements.length <= 10, `${path}.elements: 1–10`))
        b.elements.forEach((e: any, j: number) => text(e, `${path}.elements[${j}]`, p, 3000));
      break;
    case "actions":
      onlyKeys(b, ["type", "elements", "block_id"], path, p);
      if (p.check(Array.isArray(b.elements) && b.elements.length > 0 && b.elements.length <= 25, `${path}.elements: 1–25`)) {
        b.elements.forEach((e: any, j: number) => {
          const ep = `${path}.elements[${j}]`;
          if (!p.check(isObject(e) && e.type === "button", `${ep}.type: expected button`)) return;
          onlyKeys(e, ["type", "text", "url", "action_id", "value", "style"], ep, p);
          text(e.text, `${ep}.text`, p, 75, ["plain_text"]);
          if (e.url !== undefined)
            p.check(
              typeof e.url === "string" && e.url.length <= 3000 && /^https?:\/\//.test(e.url),
              `${ep}.url: expected an http(s) URL ≤ 3000`,
            );
          if (e.style !== undefined) p.check(["primary", "danger"].includes(e.style), `${ep}.style: primary or danger`);
          if (p.check(typeof e.action_id === "string" && e.action_id.length <= 255, `${ep}.action_id: required`)) {
            p.check(!actionIds.has(e.action_id), `${ep}.action_id: duplicate ${e.action_id}`);
            actionIds.add(e.action_id);
          }
        });
      }
      break;
    case "divider":
      onlyKeys(b, ["type", "block_id"], path, p);
      break;
    default:
      p.check(false, `${path}.type: unknown block type ${b.type}`);
  }
}

export async function spawnSlack(options: { path: string }): Promise<Spawned> {
  let messages: { text: string; blocks: unknown[] }[] = [];
  return startProvider({
    state: () => ({ messages }),
    reset: () => (messages = []),
    handle(req) {
      if (req.method !== "POST" || req.path !== options.path)
        return { answer: { status: 404, body: "no_service" }, problems: [`${req.method} ${req.path}: not this webhook`] };
      const p = new Problems();
      const m = parseJson(req, p);
      if (p.check(isObject(m), "body: expected an object")) {
        p.check(typeof m.text === "string" && m.text.length > 0, "text: the notification fallback is required with blocks");
        if (p.check(Array.isArray(m.blocks) && m.blocks.length > 0 && m.blocks.length <= 50, "blocks: 1–50")) {
          const ids = new Set<string>();
          m.blocks.forEach((b: unknown, i: number) => checkBlock(b, i, p, ids));
        }
      }
      if (p.any) return { answer: { status: 400, body: "invalid_blocks" }, problems: p.list };
      messages.push(m);
      return { answer: { status: 200, headers: { "content-type": "text/html" }, body: "ok" } };
    },
  });
}
