/**
 * Spawn kind "trace-target": an HTTP target that records the `traceparent` of every request.
 * - `/chain/N`: N redirects (302), then 200 "arrived"; `/status/:code`: that status.
 * - `GET /seen` (not recorded): `[{ path, traceparent }]` in arrival order.
 */
import { createServer } from "node:http";
import type { Spawned } from "./index";
import { listenOnLoopback } from "./index";

export async function spawnTraceTarget(): Promise<Spawned> {
  const seen: { path: string; traceparent: string | null }[] = [];
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://target").pathname;
    if (path === "/seen") return void res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(seen));
    const header = req.headers.traceparent;
    seen.push({ path, traceparent: typeof header === "string" ? header : null });
    let m: RegExpExecArray | null;
    if ((m = /^\/chain\/(\d+)$/.exec(path))) {
      const n = Number(m[1]);
      if (n === 0) return void res.writeHead(200, { "content-type": "text/plain" }).end("arrived");
      return void res.writeHead(302, { location: `/chain/${n - 1}` }).end();
    }
    if ((m = /^\/status\/(\d{3})$/.exec(path)))
      return void res.writeHead(Number(m[1]), { "content-type": "text/plain" }).end(`status ${m[1]}`);
    res.writeHead(404).end("no such route");
  });
  return listenOnLoopback(server);
}
