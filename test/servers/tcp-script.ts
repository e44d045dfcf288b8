/**
 * Spawn kind "tcp-script": a TCP server that misbehaves on purpose.
 * - `garbage`: answers whatever arrives with an HTTP error (a plain-text port), then closes.
 * - `silent`: accepts and never answers (a hung service).
 * - `hello`: writes `greeting` on connect, then echoes.
 */
import { createServer, type AddressInfo, type Socket } from "node:net";
import type { Spawned } from "./index";

export interface TcpScriptOptions {
  behaviour: "garbage" | "silent" | "hello";
  greeting?: string;
}

export async function spawnTcpScript(options: TcpScriptOptions): Promise<Spawned> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    if (options.behaviour === "garbage") {
      socket.once("data", () => socket.end("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"));
    } else if (options.behaviour === "hello") {
      socket.write(options.greeting ?? "hello\n");
      socket.pipe(socket);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    info: { port: (server.address() as AddressInfo).port },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Spawn kind "closed-port": a port that was just bound and released, so nothing listens. */
export async function spawnClosedPort(): Promise<Spawned> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return { info: { port }, close: async () => {} };
}
