/**
 * Spawn kind "http-lab": an HTTP server with the behaviours the HTTP probe must survive.
 *
 * - `/slow-headers?ms=N`: headers after N ms.
 * - `/slow-body?headers=N&body=M`: headers after N ms, the body's end M ms later.
 * - `/stats` also counts the connections the server accepted (`connections`): keep-alive, 75 s idle.
 * - `/hanging-body`: headers and a first chunk at once, then the body never ends.
 * - `/big?mib=N`: an N MiB body (default 5), written with backpressure; `/stats` says how
 *   many bytes went out, whether the connection has closed yet, and whether the client hung up early.
 * - `/loop/a` ⇄ `/loop/b`: a redirect loop; `/chain/N`: N redirects, then 200 "arrived".
 * - `/to-other-origin`: 302 to the same server under `localhost` (another origin) `/echo`.
 * - `/redirect/:code`: that redirect code to `/echo`; `/redirect-to?url=`: 302 to that URL.
 * - `/health` and `/health/db-down`: a JSON health document; `/not-json`: HTML; `/euc-kr`: EUC-KR text.
 * - `/status/:code`: that status; `/echo`: method, headers and body as JSON.
 *
 * Option `tls` (see `ServerTlsOptions`): serve HTTPS instead, with a certificate signed by the
 * test CA that workerd trusts (default) or a self-signed one, valid for `days`.
 */
import type { RequestListener, ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { gzipSync } from "node:zlib";
import { httpOrHttpsServer, type ServerTlsOptions } from "./certs";
import type { Spawned } from "./index";

const health = (db: string) => ({
  status: "UP",
  version: "1.4.2",
  db: { status: db, connections: 12, latencyMs: 3.5 },
  queue: { depth: 7 },
  regions: ["icn", "nrt"],
  maintenance: false,
  note: null,
});

export async function spawnHttpLab(options: { tls?: ServerTlsOptions } = {}): Promise<Spawned> {
  const stats = { bigBytesWritten: 0, bigClosed: false, bigClientClosedEarly: false, hits: {} as Record<string, number>, connections: 0 };
  const sockets = new Set<Socket>();
  const json = (res: ServerResponse, value: unknown, status = 200, headers: Record<string, string> = {}) => {
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(JSON.stringify(value));
  };
  const scheme = options.tls ? "https" : "http";
  const handler: RequestListener = (req, res) => {
    const url = new URL(req.url ?? "/", "http://lab");
    const path = url.pathname;
    stats.hits[path] = (stats.hits[path] ?? 0) + 1;
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const port = (server.address() as AddressInfo).port;
      let m: RegExpExecArray | null;
      if (path === "/slow-headers") {
        setTimeout(
          () => res.writeHead(200, { "content-type": "text/plain" }).end("ok healthy"),
          Number(url.searchParams.get("ms") ?? 5000),
        );
      } else if (path === "/slow-body") {
        setTimeout(
          () => {
            res.writeHead(200, { "content-type": "text/plain" });
            res.write("ok ");
            setTimeout(() => res.end("healthy"), Number(url.searchParams.get("body") ?? 300));
          },
          Number(url.searchParams.get("headers") ?? 100),
        );
      } else if (path === "/hanging-body") {
        res.writeHead(200, { "content-type": "text/plain" });
        res.write("status: healthy, more follows");
      } else if (path === "/hanging-declared") {
        // A declared length the server never delivers: the one-call read must still time out.
        res.writeHead(200, { "content-type": "text/plain", "content-length": "100" });
        res.write("status: healthy");
      } else if (path === "/gzip-bomb") {
        // 5 MiB of "x" in ~5 KB of gzip: the declared length says nothing of the decoded size.
        // Only the first half is sent (already well over 1 MiB decoded), then the body hangs:
        // a reader that waits for the declared end times out instead of stopping at its cap.
        const packed = gzipSync(Buffer.alloc(5 * 1024 * 1024, "x"));
        res.writeHead(200, { "content-type": "text/plain", "content-encoding": "gzip", "content-length": String(packed.byteLength) });
        res.write(packed.subarray(0, packed.byteLength >> 1));
      } else if (path === "/big") {
        const total = Number(url.searchParams.get("mib") ?? 5) * 1024 * 1024;
        const chunk = Buffer.alloc(64 * 1024, "x");
        res.writeHead(200, { "content-type": "text/plain", "content-length": String(total) });
        res.on("close", () => {
          stats.bigClientClosedEarly = stats.bigBytesWritten < total || !res.writableFinished;
          stats.bigClosed = true;
        });
        const pump = () => {
          while (stats.bigBytesWritten < total) {
            const n = Math.min(chunk.byteLength, total - stats.bigBytesWritten);
            stats.bigBytesWritten += n;
            if (!res.write(n === chunk.byteLength ? chunk : chunk.subarray(0, n))) return void res.once("drain", pump);
          }
          res.end("");
        };
        stats.bigBytesWritten = 0;
        stats.bigClosed = false;
        pump();
      } else if (path === "/loop/a" || path === "/loop/b") {
        res.writeHead(302, { location: path === "/loop/a" ? "/loop/b" : "/loop/a" }).end();
      } else if ((m = /^\/chain\/(\d+)$/.exec(path))) {
        const n = Number(m[1]);
        if (n === 0) res.writeHead(200, { "content-type": "text/plain" }).end("arrived");
        else res.writeHead(302, { location: `/chain/${n - 1}` }).end();
      } else if (path === "/to-other-origin") {
        res.writeHead(302, { location: `${scheme}://localhost:${port}/echo` }).end();
      } else if (path === "/redirect-to") {
        res.writeHead(302, { location: url.searchParams.get("url") ?? "/" }).end();
      } else if ((m = /^\/redirect\/(\d{3})$/.exec(path))) {
        res.writeHead(Number(m[1]), { location: "/echo" }).end();
      } else if (path === "/health") {
        json(res, health("up"), 200, { "cache-control": "no-store", "x-service-version": "1.4.2" });
      } else if (path === "/health/db-down") {
        json(res, health("down"), 200);
      } else if (path === "/euc-kr") {
        // "상태: 정상" ("status: normal") in EUC-KR, as older Korean services still answer.
        res.writeHead(200, { "content-type": "text/plain; charset=euc-kr" }).end(Buffer.from("bbf3c5c23a20c1a4bbf3", "hex"));
      } else if (path === "/not-json") {
        res.writeHead(200, { "content-type": "text/html" }).end("<html><body>Welcome to nginx!</body></html>");
      } else if ((m = /^\/status\/(\d{3})$/.exec(path))) {
        res.writeHead(Number(m[1]), { "content-type": "text/plain" }).end(`status ${m[1]}`);
      } else if (path === "/echo") {
        json(res, { method: req.method, path: req.url, headers: req.headers, body });
      } else if (path === "/stats") {
        json(res, stats);
      } else {
        res.writeHead(404).end("no such lab route");
      }
    });
  };
  const { server, listen } = httpOrHttpsServer(options.tls, handler);
  // Idle connections kept as nginx keeps them (keepalive_timeout 75 s).
  server.keepAliveTimeout = 75_000;
  server.on("connection", (s: Socket) => {
    stats.connections++;
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  return {
    info: await listen(),
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
