/**
 * The agent's way into undici (agent/undici.ts): the client loaded from undici's own file is
 * the one the package exports, and `requestBuffer()` against a loopback server — status,
 * headers, body, a body cut at `maxBytes`, an abort, a headers time-out.
 */
import { type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import * as undiciIndex from "undici";
import { afterAll, beforeAll, expect, it } from "vitest";
import { Client, requestBuffer } from "../../agent/undici";

let server: Server;
let client: Client;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.url === "/echo") return void res.writeHead(201, { "retry-after": "7", "x-twice": ["a", "b"] }).end(`${req.method} ${Buffer.concat(chunks).toString()}`);
      if (req.url === "/big") return void res.writeHead(200).end("x".repeat(200_000));
      if (req.url === "/hang") return; // never answers
      res.writeHead(404).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  client = new Client(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});

afterAll(async () => {
  await client.close();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const base = { headersTimeout: 2000, bodyTimeout: 2000 };

it("is the Client the undici package exports", () => {
  expect(Client).toBe(undiciIndex.Client);
});

it("returns status, lower-case headers and the whole body", async () => {
  const r = await requestBuffer(client, { ...base, method: "POST", path: "/echo", body: "hello", headers: { "content-type": "text/plain" } });
  expect(r.statusCode).toBe(201);
  expect(r.headers["retry-after"]).toBe("7");
  expect(r.headers["x-twice"]).toEqual(["a", "b"]);
  expect(r.body.toString()).toBe("POST hello");
  expect(r.truncated).toBe(false);
  const big = await requestBuffer(client, { ...base, method: "GET", path: "/big" });
  expect(big.body.length).toBe(200_000);
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

it("rejects when the signal aborts, and after headersTimeout", async () => {
  const ctrl = new AbortController();
  const aborted = requestBuffer(client, { ...base, method: "GET", path: "/hang", signal: ctrl.signal });
  setTimeout(() => ctrl.abort(new Error("check timed out")), 50);
  await expect(aborted).rejects.toThrow("check timed out");
  await expect(requestBuffer(client, { method: "GET", path: "/hang", headersTimeout: 300, bodyTimeout: 300 })).rejects.toThrow(/Headers Timeout/i);
  const pre = new AbortController();
  pre.abort(new Error("already"));
  await expect(requestBuffer(client, { ...base, method: "GET", path: "/echo", signal: pre.signal })).rejects.toThrow("already");
});
