/**
 * Spawn kind "tcp-script": a TCP server that misbehaves on purpose.
 * - `garbage`: answers whatever arrives with an HTTP error (a plain-text port), then closes.
 * - `silent`: accepts and never answers (a hung service).
 * - `hello`: writes `greeting` on connect, then echoes.
 * - `close`: accepts and closes at once, before reading anything (a crashing service).
 */
import { createServer, type AddressInfo, type Socket } from "node:net";
import type { Spawned } from "./index";

export interface TcpScriptOptions {
  behaviour: "garbage" | "silent" | "hello" | "close";
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
    } else if (options.behaviour === "close") {
      socket.destroy();
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

/**
 * Spawn kind "unresponsive-port": a port whose connects hang, like a firewall that drops SYNs.
 * A python3 listener with backlog 0 never accepts; a few connections fill its queue, and the
 * kernel then drops further SYNs, so a client's connect times out. (Node cannot listen
 * without accepting.)
 */
export async function spawnUnresponsivePort(): Promise<Spawned> {
  const { spawn } = await import("node:child_process");
  const { connect } = await import("node:net");
  const listener = spawn("python3", [
    "-c",
    "import socket,time\ns=socket.socket()\ns.bind(('127.0.0.1',0))\ns.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(3600)",
  ]);
  const port = await new Promise<number>((resolve, reject) => {
    listener.once("error", reject);
    listener.stdout.once("data", (d: Buffer) => resolve(Number(d.toString().trim())));
  });
  const fillers = Array.from({ length: 4 }, () => connect(port, "127.0.0.1").on("error", () => {}));
  await new Promise((r) => setTimeout(r, 200));
  return {
    info: { port },
    async close() {
      for (const f of fillers) f.destroy();
      listener.kill();
    },
  };
}
