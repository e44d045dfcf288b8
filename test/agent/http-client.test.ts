/**
 * The agent's HTTP client (agent/http-client.ts, on undici's Client) against loopback servers,
 * TCP and a unix socket: status, headers, body, one connection kept alive, a body cut at
 * `maxBytes`, an abort, the headers and body time-outs, a refused connection, a kept-alive
 * connection the server closed (not reused; a request it drops is not sent twice), an https
 * origin's certificate verified.
 */
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { type Server, createServer } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { Client, HttpTimeoutError, requestBuffer } from "../../agent/http-client";
import { serverCredentials } from "../servers/certs";

let server: Server;
let client: Client;
let connections = 0;
/** Requests per connection: a `/reset` that is not the first on its connection is met by closing it. */
const perSocket = new WeakMap<object, number>();
let resets = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    const nth = (perSocket.get(req.socket) ?? 0) + 1;
    perSocket.set(req.socket, nth);
    if (req.url === "/reset" && nth > 1) return void (resets++, req.socket.destroy());
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.url === "/echo" || req.url === "/reset")
        return void res
          .writeHead(201, { "retry-after": "7", "x-twice": ["a", "b"] })
          .end(`${req.method} ${Buffer.concat(chunks).toString()}`);
      if (req.url === "/big") return void res.writeHead(200).end("x".repeat(200_000));
      if (req.url === "/slow") return void setTimeout(() => res.writeHead(200).end("late"), 300);
      if (req.url === "/pause") return void res.writeHead(200).write("start"); // the body never ends
      if (req.url === "/hang") return; // never answers
      res.writeHead(404).end();
    });
  });
  server.on("connection", () => connections++);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  client = new Client(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});

afterAll(async () => {
  await client.close();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const base = { headersTimeout: 2000, bodyTimeout: 2000 };

it("returns status, lower-case headers and the whole body, on one kept-alive connection", async () => {
  const before = connections;
  const r = await requestBuffer(client, {
    ...base,
    method: "POST",
    path: "/echo",
    body: "hello",
    headers: { "content-type": "text/plain" },
  });
  expect(r.statusCode).toBe(201);
  expect(r.headers["retry-after"]).toBe("7");
  expect(r.headers["x-twice"]).toEqual(["a", "b"]);
  expect(r.body.toString()).toBe("POST hello");
  expect(r.truncated).toBe(false);
  const big = await requestBuffer(client, { ...base, method: "GET", path: "/big" });
  expect(big.body.length).toBe(200_000);
  const both = await Promise.all([1, 2].map(() => requestBuffer(client, { ...base, method: "POST", path: "/echo", body: "x" })));
  expect(both.map((b) => b.body.toString())).toEqual(["POST x", "POST x"]);
  expect(connections - before).toBe(1);
});

it("keeps an idle connection keepAliveTimeout long, and a slower answer is not cut by it", async () => {
  const short = new Client(client.origin.origin, { keepAliveTimeout: 100 });
  try {
    const closed = new Promise<void>((r) => server.once("connection", (s) => s.once("close", () => r())));
    expect((await requestBuffer(short, { ...base, method: "GET", path: "/slow" })).body.toString()).toBe("late");
    const idle = performance.now();
    await closed;
    expect(performance.now() - idle).toBeLessThan(1000); // closed by the client after ~100 ms, not by the server (5 s)
  } finally {
    await short.close();
  }
});

it("cuts the body at maxBytes, and the client stays usable", async () => {
  const r = await requestBuffer(client, { ...base, method: "GET", path: "/big", maxBytes: 1000 });
  expect(r.statusCode).toBe(200);
  expect(r.body.length).toBe(1000);
  expect(r.truncated).toBe(true);
  const none = await requestBuffer(client, { ...base, method: "GET", path: "/big", maxBytes: 0 });
  expect(none.body.length).toBe(0);
  expect((await requestBuffer(client, { ...base, method: "GET", path: "/echo" })).statusCode).toBe(201);
});

it("rejects when the signal aborts, after headersTimeout and after bodyTimeout", async () => {
  const ctrl = new AbortController();
  const aborted = requestBuffer(client, { ...base, method: "GET", path: "/hang", signal: ctrl.signal });
  setTimeout(() => ctrl.abort(new Error("check timed out")), 50);
  await expect(aborted).rejects.toThrow("check timed out");
  const headers = requestBuffer(client, { method: "GET", path: "/hang", headersTimeout: 300, bodyTimeout: 5000 });
  await expect(headers).rejects.toThrow("no answer headers within 300 ms");
  await expect(headers).rejects.toBeInstanceOf(HttpTimeoutError);
  await expect(requestBuffer(client, { method: "GET", path: "/pause", headersTimeout: 5000, bodyTimeout: 300 })).rejects.toThrow(
    "answer body paused for 300 ms",
  );
  const pre = new AbortController();
  pre.abort(new Error("already"));
  await expect(requestBuffer(client, { ...base, method: "GET", path: "/echo", signal: pre.signal })).rejects.toThrow("already");
  expect((await requestBuffer(client, { ...base, method: "GET", path: "/echo" })).statusCode).toBe(201);
});

it("opens a new connection when the server closed the idle one; a connection dropped under a request is the caller's error", async () => {
  await requestBuffer(client, { ...base, method: "GET", path: "/echo" }); // a kept-alive connection
  const before = { connections, resets };
  // Closed by the server while idle: undici sees the close and does not send on that connection.
  const gone = once(client, "disconnect");
  server.closeIdleConnections();
  await gone;
  expect((await requestBuffer(client, { ...base, method: "POST", path: "/reset", body: "again" })).body.toString()).toBe("POST again");
  expect(connections - before.connections).toBe(1);
  // Closed on receiving the request: not sent again (a report sent twice would be answered 409,
  // but a restart is not idempotent); the next request goes out on a new connection.
  await expect(requestBuffer(client, { ...base, method: "POST", path: "/reset", body: "x" })).rejects.toThrow("other side closed");
  expect((await requestBuffer(client, { ...base, method: "GET", path: "/echo" })).statusCode).toBe(201);
  expect({ connections: connections - before.connections, resets: resets - before.resets }).toEqual({ connections: 2, resets: 1 });
});

it("talks over a unix socket (the Docker API), and names a refused connection", async () => {
  const dir = await mkdtemp(join(tmpdir(), "vigil-http-client-"));
  const socketPath = join(dir, "api.sock");
  const unix = createServer((req, res) =>
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ path: req.url, host: req.headers.host })),
  );
  await new Promise<void>((r) => unix.listen(socketPath, r));
  const viaSocket = new Client("http://docker", { socketPath });
  try {
    const r = await requestBuffer(viaSocket, { ...base, method: "GET", path: "/containers/json?all=1" });
    expect(JSON.parse(r.body.toString())).toEqual({ path: "/containers/json?all=1", host: "docker" });
  } finally {
    await viaSocket.close();
    unix.closeAllConnections();
    await new Promise((r) => unix.close(r));
    await rm(dir, { recursive: true, force: true });
  }
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((r) => closed.close(r));
  const refused = new Client(`http://127.0.0.1:${port}`);
  await expect(requestBuffer(refused, { ...base, method: "GET", path: "/" })).rejects.toThrow(`connect ECONNREFUSED 127.0.0.1:${port}`);
  await refused.close();
});

it("speaks TLS to an https origin and verifies its certificate: a self-signed one is refused", async () => {
  const { key, cert } = serverCredentials({ trust: "self-signed" });
  let requests = 0;
  const tls = createHttpsServer({ key, cert }, (_req, res) => void (requests++, res.end("secret")));
  await new Promise<void>((r) => tls.listen(0, "127.0.0.1", r));
  const secure = new Client(`https://127.0.0.1:${(tls.address() as AddressInfo).port}`);
  try {
    await expect(requestBuffer(secure, { ...base, method: "GET", path: "/" })).rejects.toThrow(/self[- ]signed certificate/);
    expect(requests).toBe(0);
  } finally {
    await secure.close();
    tls.closeAllConnections();
    await new Promise((r) => tls.close(r));
  }
});
