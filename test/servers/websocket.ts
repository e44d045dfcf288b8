/**
 * Spawn kind "websocket": a `ws` server with one behaviour per path.
 * - `/heartbeat`: answers a message containing "ping" with `{"type":"pong","seq":N}`.
 * - `/echo`: echoes every message.
 * - `/greet`: sends "welcome" as soon as the socket opens.
 * - `/silent`: accepts the socket and never says anything.
 * - `/close`: closes with 1011 "overloaded" when a message arrives.
 * - `/forbidden`: refuses the upgrade with 403.
 * Info: the port; `GET /stats` on the same port lists the messages received and the close
 * codes the clients sent (1006 when a client went away without a close frame).
 * Option `tls` (see `ServerTlsOptions`): serve `wss://` (and `https://` stats) instead, with a
 * certificate signed by the test CA that workerd trusts (default) or a self-signed one.
 */
import type { RequestListener } from "node:http";
import type { Socket } from "node:net";
import { WebSocketServer } from "ws";
import { httpOrHttpsServer, type ServerTlsOptions } from "./certs";
import type { Spawned } from "./index";

export async function spawnWebsocket(options: { tls?: ServerTlsOptions } = {}): Promise<Spawned> {
  const received: { path: string; message: string; headers: Record<string, unknown> }[] = [];
  const closed: { path: string; code: number; reason: string }[] = [];
  const sockets = new Set<Socket>();
  const stats: RequestListener = (req, res) => {
    res.writeHead(req.url === "/stats" ? 200 : 426, { "content-type": "application/json" });
    res.end(JSON.stringify(req.url === "/stats" ? { received, closed } : { error: "upgrade required" }));
  };
  const { server, listen } = httpOrHttpsServer(options.tls, stats);
  const wss = new WebSocketServer({ noServer: true });
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  server.on("upgrade", (req, socket, head) => {
    const path = new URL(req.url ?? "/", "ws://lab").pathname;
    if (path === "/forbidden") {
      socket.end("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      let seq = 0;
      if (path === "/greet") ws.send("welcome");
      ws.on("message", (data) => {
        const message = data.toString();
        received.push({ path, message, headers: req.headers });
        if (path === "/heartbeat" && message.includes("ping")) ws.send(JSON.stringify({ type: "pong", seq: ++seq }));
        else if (path === "/echo") ws.send(message);
        else if (path === "/close") ws.close(1011, "overloaded");
      });
      ws.on("close", (code, reason) => closed.push({ path, code, reason: reason.toString() }));
      ws.on("error", () => {});
    });
  });
  return {
    info: await listen(),
    async close() {
      for (const c of wss.clients) c.terminate();
      for (const s of sockets) s.destroy();
      wss.close();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
