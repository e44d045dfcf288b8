/**
 * Spawn kind "resend": Resend's `POST /emails` (Bearer API key, JSON `{ from, to, subject, html | text }`),
 * with its idempotency: the same `Idempotency-Key` and body answer the first e-mail's id without
 * sending again; the same key with another body is `409 invalid_idempotent_request`.
 * `state.emails` holds what was actually sent.
 */
import { randomUUID } from "node:crypto";
import type { Spawned } from "./index";
import { Problems, isObject, jsonAnswer, onlyKeys, parseJson, startProvider } from "./provider";

const address = /^([^<>]+ <[^\s@<>]+@[^\s@<>]+>|[^\s@<>]+@[^\s@<>]+)$/;

export async function spawnResend(options: { apiKey: string }): Promise<Spawned> {
  let emails: { id: string; idempotencyKey: string | null; from: string; to: string[]; subject: string; text?: string; html?: string }[] =
    [];
  let keys = new Map<string, { body: string; id: string }>();
  const err = (statusCode: number, name: string, message: string) => ({
    answer: jsonAnswer(statusCode, { statusCode, name, message }),
    problems: [message],
  });
  return startProvider({
    state: () => ({ emails }),
    reset: () => ((emails = []), (keys = new Map())),
    handle(req) {
      if (req.method !== "POST" || req.path !== "/emails") return err(404, "not_found", `${req.method} ${req.path}: not found`);
      if (!req.headers.authorization) return err(401, "missing_api_key", "Missing API key in the authorization header");
      if (req.headers.authorization !== `Bearer ${options.apiKey}`) return err(403, "invalid_api_key", "API key is invalid");
      const p = new Problems();
      const m = parseJson(req, p);
      if (p.check(isObject(m), "body: expected an object")) {
        onlyKeys(
          m,
          ["from", "to", "subject", "html", "text", "cc", "bcc", "reply_to", "headers", "tags", "scheduled_at", "attachments"],
          "body",
          p,
        );
        p.check(typeof m.from === "string" && address.test(m.from), "from: expected an address or 'Name <address>'");
        const to = typeof m.to === "string" ? [m.to] : m.to;
        p.check(
          Array.isArray(to) && to.length > 0 && to.length <= 50 && to.every((t: unknown) => typeof t === "string" && address.test(t)),
          "to: 1–50 addresses",
        );
        p.check(typeof m.subject === "string" && m.subject.length > 0, "subject: required");
        p.check(typeof m.html === "string" || typeof m.text === "string", "html or text: required");
      }
      if (p.any)
        return { answer: jsonAnswer(422, { statusCode: 422, name: "validation_error", message: p.list.join("; ") }), problems: p.list };
      const key = req.headers["idempotency-key"] ?? null;
      if (key !== null) {
        if (key.length > 256) return err(422, "validation_error", "Idempotency-Key: at most 256 characters");
        const seen = keys.get(key);
        if (seen && seen.body !== req.body)
          return err(409, "invalid_idempotent_request", "Same idempotency key used with a different request payload");
        if (seen) return { answer: jsonAnswer(200, { id: seen.id }) };
      }
      const id = randomUUID();
      if (key !== null) keys.set(key, { body: req.body, id });
      emails.push({
        id,
        idempotencyKey: key,
        from: m.from,
        to: typeof m.to === "string" ? [m.to] : m.to,
        subject: m.subject,
        text: m.text,
        html: m.html,
      });
      return { answer: jsonAnswer(200, { id }) };
    },
  });
}
