/**
 * A loopback server that speaks one notification provider's API, shared by the provider kinds
 * (pagerduty, slack, twilio, resend, statuspage, discord, teams). The provider file only says
 * how a request is checked and answered; this file records requests and injects failures.
 *
 * Control (JSON), from the tests inside workerd:
 * - `GET /_control`: `{ requests, state }` — every request with the answer it got and, when the
 *   provider refused its shape, `problems`.
 * - `POST /_control/script` `{ script: Answer[] }`: answers for the next requests, before any
 *   checking (a 500, a 429 with `retry-after`, `delayMs` for a timeout). With `process: true`
 *   the request is handled normally and only the answer is delayed (an answer lost on the way).
 * - `POST /_control/outage` `{ status, headers?, delayMs? }` or `null`: every request gets this
 *   answer until cleared (a provider down for a while).
 * - `DELETE /_control`: forget requests and state.
 */
import { createServer } from "node:http";
import { text } from "node:stream/consumers";
import { listenOnLoopback, type Spawned } from "./index";

export interface ProviderRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

export interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  delayMs?: number;
  /** Handle the request normally; only delay the answer. */
  process?: boolean;
}

export interface Recorded extends ProviderRequest {
  receivedAt: number;
  status: number;
  injected: boolean;
  problems?: string[];
}

export interface Provider {
  /** Checks and handles a request (updates state); returns the answer and any shape problems. */
  handle(req: ProviderRequest): { answer: Answer; problems?: string[] };
  state(): unknown;
  reset(): void;
}

export const jsonAnswer = (status: number, value: unknown, headers: Record<string, string> = {}): Answer => ({
  status,
  headers: { "content-type": "application/json", ...headers },
  body: JSON.stringify(value),
});

export async function startProvider(provider: Provider): Promise<Spawned> {
  let requests: Recorded[] = [];
  let script: Answer[] = [];
  let outage: Answer | null = null;
  const server = createServer(async (req, res) => {
    const body = await text(req);
    const url = new URL(req.url ?? "/", "http://provider");
    const reply = (a: Answer) => {
      res.writeHead(a.status, a.headers ?? { "content-type": "text/plain" });
      res.end(a.body ?? "");
    };
    if (url.pathname === "/_control" || url.pathname.startsWith("/_control/")) {
      const value = body ? JSON.parse(body) : undefined;
      if (req.method === "DELETE") {
        requests = [];
        script = [];
        outage = null;
        provider.reset();
      } else if (url.pathname === "/_control/script") script.push(...(value.script as Answer[]));
      else if (url.pathname === "/_control/outage") outage = value ?? null;
      return reply(jsonAnswer(200, { requests, state: provider.state() }));
    }
    const request: ProviderRequest = {
      method: req.method ?? "GET",
      path: url.pathname + url.search,
      headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])),
      body,
    };
    const injected = outage ?? script.shift();
    let answer: Answer;
    let problems: string[] | undefined;
    if (injected && !injected.process) answer = injected;
    else {
      ({ answer, problems } = provider.handle(request));
      if (injected) answer = { ...answer, delayMs: injected.delayMs };
    }
    requests.push({
      ...request,
      receivedAt: Date.now(),
      status: answer.status,
      injected: !!injected,
      ...(problems && problems.length > 0 && { problems }),
    });
    if (answer.delayMs) await new Promise((r) => setTimeout(r, answer.delayMs));
    if (!res.destroyed) reply(answer);
  });
  return listenOnLoopback(server);
}

/** Helpers for provider files: collect shape problems with their field paths. */
export class Problems {
  readonly list: string[] = [];
  check(ok: boolean, message: string) {
    if (!ok) this.list.push(message);
    return ok;
  }
  get any() {
    return this.list.length > 0;
  }
}

export const isObject = (v: unknown): v is Record<string, any> => typeof v === "object" && v !== null && !Array.isArray(v);

export function parseJson(req: ProviderRequest, p: Problems): any {
  p.check(
    (req.headers["content-type"] ?? "").startsWith("application/json"),
    `content-type: expected application/json, got ${req.headers["content-type"]}`,
  );
  try {
    return JSON.parse(req.body);
  } catch {
    p.check(false, "body: not JSON");
    return undefined;
  }
}

export function onlyKeys(obj: Record<string, unknown>, allowed: readonly string[], path: string, p: Problems) {
  for (const k of Object.keys(obj)) p.check(allowed.includes(k), `${path}.${k}: unknown field`);
}
