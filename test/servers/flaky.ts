/**
 * Spawn kind "flaky-http": an HTTP server on a fixed loopback port whose behaviour the test
 * switches between requests (`POST /control/spawned/<port>` on the fixture server):
 * - `{ mode: "refuse" }`: stops listening, so connections are refused (the port stays reserved
 *   for it only in the sense that nothing else of the tests binds it);
 * - `{ mode: "close" }`: accepts, reads the request and closes without answering;
 * - `{ mode: <status> }`: answers with that status (and body `ok healthy` for 2xx);
 * - `{ script: [mode, …] }`: the next requests take these modes in turn ("close" or a status),
 *   then `mode` again.
 * Every answer says `Connection: close`, so each request is a new connection. `hits` counts
 * requests that arrived (not refused connects, not bare connects without a request).
 */
import { createServer, type AddressInfo, type Socket, type Server } from "node:net";
import type { Spawned } from "./index";

export type FlakyMode = "refuse" | "close" | number;

export interface FlakyOptions {
  mode?: FlakyMode;
}

export async function spawnFlakyHttp(options: FlakyOptions): Promise<Spawned> {
  let mode: FlakyMode = options.mode ?? 200;
  let script: FlakyMode[] = [];
  let hits = 0;
  const sockets = new Set<Socket>();
  const onConnection = (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    socket.once("data", () => {
      hits++;
      const m = script.shift() ?? mode;
      if (m === "close" || m === "refuse") return void socket.destroy();
      const body = m < 300 ? "ok healthy" : "error";
      socket.end(`HTTP/1.1 ${m} X\r\ncontent-type: text/plain\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`);
    });
  };
  let server: Server | null = null;
  let port = 0;
  const listen = async () => {
    if (server) return;
    const s = createServer(onConnection);
    await new Promise<void>((resolve, reject) => {
      s.once("error", reject);
      s.listen(port, "127.0.0.1", () => resolve());
    });
    port = (s.address() as AddressInfo).port;
    server = s;
  };
  const stop = async () => {
    const s = server;
    server = null;
    if (!s) return;
    for (const sock of sockets) sock.destroy();
    await new Promise<void>((r) => s.close(() => r()));
  };
  const apply = async () => (mode === "refuse" ? stop() : listen());
  await listen();
  await apply();
  return {
    info: { port },
    async control(body: { mode?: FlakyMode; script?: FlakyMode[] }) {
      if (body.script) script = [...body.script];
      if (body.mode !== undefined) mode = body.mode;
      await apply();
      return { port, hits, mode, listening: server !== null };
    },
    close: stop,
  };
}
