/**
 * Spawn kind "twilio": Twilio's Messages API (`POST /2010-04-01/Accounts/{AccountSid}/Messages.json`),
 * HTTP basic auth `AccountSid:AuthToken`, form-encoded `To`, `From` or `MessagingServiceSid`,
 * `Body` (≤ 1600). Answers `201` with a message resource; `401` code 20003; `400` codes 21211
 * (invalid To), 21602 (Body required), 21617 (Body too long), 21603 (From required).
 */
import { randomBytes } from "node:crypto";
import type { Spawned } from "./index";
import { jsonAnswer, startProvider } from "./provider";

export async function spawnTwilio(options: { accountSid: string; authToken: string }): Promise<Spawned> {
  let messages: { To: string; From: string | null; MessagingServiceSid: string | null; Body: string; sid: string }[] = [];
  const error = (status: number, code: number, message: string) => ({
    answer: jsonAnswer(status, { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status }),
    problems: [message],
  });
  return startProvider({
    state: () => ({ messages }),
    reset: () => (messages = []),
    handle(req) {
      if (req.method !== "POST" || req.path !== `/2010-04-01/Accounts/${options.accountSid}/Messages.json`)
        return error(404, 20404, `${req.method} ${req.path}: not found`);
      const expected = `Basic ${Buffer.from(`${options.accountSid}:${options.authToken}`).toString("base64")}`;
      if (req.headers.authorization !== expected) return error(401, 20003, "Authenticate");
      if (!(req.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded"))
        return error(400, 20001, `content-type: expected application/x-www-form-urlencoded`);
      const f = new URLSearchParams(req.body);
      const known = ["To", "From", "MessagingServiceSid", "Body", "StatusCallback"];
      for (const k of f.keys()) if (!known.includes(k)) return error(400, 20001, `${k}: unknown parameter`);
      const to = f.get("To") ?? "";
      if (!/^\+[1-9]\d{6,14}$/.test(to)) return error(400, 21211, `The 'To' number ${to} is not a valid phone number.`);
      if (!f.get("From") && !f.get("MessagingServiceSid")) return error(400, 21603, "A 'From' phone number is required.");
      const body = f.get("Body") ?? "";
      if (body === "") return error(400, 21602, "Message body is required.");
      if (body.length > 1600) return error(400, 21617, "The concatenated message body exceeds the 1600 character limit.");
      const sid = `SM${randomBytes(16).toString("hex")}`;
      messages.push({ To: to, From: f.get("From"), MessagingServiceSid: f.get("MessagingServiceSid"), Body: body, sid });
      return {
        answer: jsonAnswer(201, {
          sid,
          account_sid: options.accountSid,
          to,
          from: f.get("From"),
          body,
          status: "queued",
          num_segments: String(Math.ceil(body.length / 153)),
        }),
      };
    },
  });
}
