/**
 * The fixture server: one loopback HTTP server, started in Node by the global setup, that the
 * tests running inside workerd control over HTTP (workerd cannot open listening sockets).
 *
 * - `/target/:name`: answers as told by `POST /control/target/:name`
 *   `{ status?, body?, headers?, delayMs? }` (default 200 "ok healthy"); counts hits.
 * - `/sink/:name`: records every request and answers as told by `POST /control/sink/:name`
 *   `{ status?, headers?, secret? }`; with a `secret` it verifies Standard Webhooks signatures
 *   with the spec authors' library (`standardwebhooks`).
 *   `GET /control/sink/:name` lists what arrived; `DELETE` forgets it.
 * - `POST /control/spawn` `{ kind, options }`: starts another server of a registered kind
 *   (see `./index.ts`) and answers what it returns (its port and anything else).
 *   `POST /control/spawned/:port` changes a spawned server's behaviour, for kinds that allow it.
 */
import { createServer, type Server, type ServerResponse } from "node:http";
import { text } from "node:stream/consumers";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import { spawnKinds, type Spawned } from "./index";
import type { SinkRecord } from "./sink-record";

interface TargetBehaviour {
  status: number;
  body: string;
  headers: Record<string, string>;
  delayMs: number;
  hits: number;
  /** When each request arrived (ms epoch). */
  times: number[];
}

export type { SinkRecord };

interface Sink {
  status: number;
  headers: Record<string, string>;
  secret?: string;
  records: SinkRecord[];
  /** Answers queued for the next requests (failure injection), then `status`. */
  script: { status: number; headers?: Record<string, string> }[];
}

/**
 * Standard Webhooks verification with the spec authors' library (`standardwebhooks`), less the
 * timestamp's freshness: the tests drive time, so a message may carry a time far from now.
 */
export function verifyStandardWebhook(secret: string, headers: Record<string, string>, body: string): boolean {
  const id = headers["webhook-id"];
  const ts = headers["webhook-timestamp"];
  const sigs = headers["webhook-signature"];
  if (!id || !ts || !/^\d+$/.test(ts) || !sigs) return false;
  const expected = new Webhook(secret).sign(id, new Date(Number(ts) * 1000), body);
  return sigs.split(" ").includes(expected);
}

function json(res: ServerResponse, status: number, value: unknown) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(value));
}

export interface FixtureServer {
  url: string;
  close(): Promise<void>;
}

export async function startFixtureServer(): Promise<FixtureServer> {
  const targets = new Map<string, TargetBehaviour>();
  const sinks = new Map<string, Sink>();
  const spawned: Spawned[] = [];
  const target = (name: string) => {
    let t = targets.get(name);
    if (!t) targets.set(name, (t = { status: 200, body: "ok healthy", headers: {}, delayMs: 0, hits: 0, times: [] }));
    return t;
  };
  const sink = (name: string) => {
    let s = sinks.get(name);
    if (!s) sinks.set(name, (s = { status: 200, headers: {}, records: [], script: [] }));
    return s;
  };

  const server: Server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? "/", "http://fixture");
      const [, area, a, b] = url.pathname.split("/");
      const body = await text(req);
      if (area === "target" && a) {
        const t = target(a);
        t.hits++;
        t.times.push(Date.now());
        if (t.delayMs > 0) await new Promise((r) => setTimeout(r, t.delayMs));
        res.writeHead(t.status, { "content-type": "text/plain", ...t.headers });
        res.end(t.body);
      } else if (area === "sink" && a) {
        const s = sink(a);
        const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
        s.records.push({
          method: req.method ?? "GET",
          path: url.pathname + url.search,
          headers,
          body,
          verified: s.secret ? verifyStandardWebhook(s.secret, headers, body) : null,
          receivedAt: Date.now(),
        });
        const answer = s.script.shift() ?? { status: s.status, headers: s.headers };
        res.writeHead(answer.status, { "content-type": "text/plain", ...answer.headers });
        res.end(answer.status < 300 ? "ok" : "error");
      } else if (area === "control" && a === "target" && b) {
        const t = target(b);
        if (req.method === "POST") Object.assign(t, JSON.parse(body || "{}"));
        json(res, 200, t);
      } else if (area === "control" && a === "sink" && b) {
        const s = sink(b);
        if (req.method === "POST") Object.assign(s, JSON.parse(body || "{}"));
        if (req.method === "DELETE") s.records = [];
        json(res, 200, { records: s.records });
      } else if (area === "control" && a === "spawned" && b && req.method === "POST") {
        const s = spawned.find((x) => String(x.info.port) === b);
        if (!s?.control) return json(res, 404, { error: `no controllable spawned server on port ${b}` });
        json(res, 200, await s.control(JSON.parse(body || "{}")));
      } else if (area === "control" && a === "spawn" && req.method === "POST") {
        const { kind, options } = JSON.parse(body) as { kind: string; options?: unknown };
        const factory = spawnKinds[kind];
        if (!factory) return json(res, 400, { error: `unknown fixture kind "${kind}"` });
        const s = await factory(options ?? {});
        spawned.push(s);
        json(res, 200, s.info);
      } else {
        json(res, 404, { error: `no fixture route ${url.pathname}` });
      }
    } catch (err) {
      json(res, 500, { error: (err as Error).message });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      await Promise.all(spawned.map((s) => s.close().catch(() => {})));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
