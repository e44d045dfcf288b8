// The local receiver `npm start` runs for the default webhook channel: it verifies each
// notification's Standard Webhooks signature (https://www.standardwebhooks.com/, "Verifying")
// and prints it as one line — what a Slack message or a page would say, in the terminal.
//
// Answers 204 to a notification it verified, 401 to a bad or missing signature or a timestamp
// more than 5 minutes away (the spec's tolerance), 400 to a body that is not an event, 413 to a
// body over 256 KiB. It needs the installed dependencies (scripts/start.mjs imports it after
// installing them).
import { createServer } from "node:http";
import { Webhook, WebhookVerificationError } from "standardwebhooks";
import { listenLocal } from "./lib.mjs";

const MAX_BODY = 256 * 1024;

/** What the receiver says for each of the library's refusals. */
const REFUSALS = [
  [/^Missing required headers/, "missing webhook-id, webhook-timestamp or webhook-signature"],
  [/^Invalid Signature Headers/, "webhook-timestamp is not unix seconds"],
  [/^Message timestamp too (old|new)/, "webhook-timestamp is more than 5 minutes away"],
  [/^No matching signature found/, "the signature does not match the channel's secret"],
];

/**
 * Checks a notification with the spec authors' library (`standardwebhooks`: headers present,
 * timestamp within 5 minutes, one `v1,` signature matching in constant time). Returns null when
 * verified, else why not.
 * @param {string} secret `whsec_<base64 key>` @param {Record<string, string | string[] | undefined>} headers @param {string} body
 */
export function verifyStandardWebhook(secret, headers, body) {
  try {
    new Webhook(secret).verify(body, /** @type {Record<string, string>} */ (headers), { jsonParse: false });
    return null;
  } catch (err) {
    if (!(err instanceof WebhookVerificationError)) return `cannot verify: ${err.message}`;
    return REFUSALS.find(([re]) => re.test(err.message))?.[1] ?? err.message;
  }
}

/**
 * One line for one event: `[L1] incident.opened · Demo is down · http://…/incidents/inc_…`.
 * @param {{ type?: string, data?: any }} event
 */
export function describeNotification(event) {
  const inc = event?.data?.incident;
  if (inc) {
    const facts = inc.facts?.reason ? ` (${inc.facts.reason})` : inc.facts?.acknowledgedBy ? ` (by ${inc.facts.acknowledgedBy})` : "";
    return `[L${inc.level}] ${event.type} · ${inc.title}${facts}${inc.url ? ` · ${inc.url}` : ""}`;
  }
  const check = event?.data?.check;
  if (check) return `${event.type} · ${check.id} ${check.from} → ${check.to}${check.reason ? ` (${check.reason})` : ""}`;
  return String(event?.type ?? "unknown event");
}

/**
 * Starts the receiver on 127.0.0.1:`port` (0: any free port).
 * @param {{ port: number, secret: () => string | undefined, print: (line: string) => void }} options
 *   `secret` is read per request, so a secret regenerated in .dev.vars is picked up.
 * @returns {Promise<{ url: string, port: number, received: () => number, close: () => Promise<void> }>}
 */
export async function startReceiver({ port, secret, print }) {
  let received = 0;
  const server = createServer((req, res) => {
    const answer = (status, text = "") => {
      res.writeHead(status, { "content-type": "text/plain" });
      res.end(text);
    };
    if (req.method !== "POST") return answer(405, "POST notifications here\n");
    const chunks = [];
    let size = 0;
    req.on("data", (c) => {
      size += c.length;
      if (size > MAX_BODY) {
        answer(413, "body too large\n");
        req.destroy();
      } else chunks.push(c);
    });
    req.on("end", () => {
      if (size > MAX_BODY) return;
      const body = Buffer.concat(chunks).toString("utf8");
      const key = secret();
      const refused = key ? verifyStandardWebhook(key, req.headers, body) : "no webhook secret to verify with";
      if (refused) {
        print(`receiver refused a notification: ${refused}`);
        return answer(401, `${refused}\n`);
      }
      let event;
      try {
        event = JSON.parse(body);
      } catch {
        print("receiver refused a notification: the body is not JSON");
        return answer(400, "body is not JSON\n");
      }
      received++;
      print(describeNotification(event));
      answer(204);
    });
  });
  const bound = await listenLocal(server, port);
  return {
    url: `http://127.0.0.1:${bound}`,
    port: bound,
    received: () => received,
    close: () => new Promise((ok) => server.close(() => ok(undefined))),
  };
}
