/**
 * Every way a probe fails reads as what happened, for every probe kind that can fail that way,
 * against real loopback servers: connection refused, no such host, closed before answering,
 * connect timeout, read timeout, TLS expired / wrong host / untrusted / handshake failure,
 * HTTP status and assertion failures. workerd's own words ("Network connection lost.",
 * "internal error; reference = …", "proxy request failed, …") never reach a reason.
 *
 * A name under `.invalid` (RFC 6761) never resolves, so "no such host" needs no network.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { ProbeResult } from "../../../src/contract/probe";
import { cloudflareErrorReason, fetchErrorKind } from "../../../src/probes/connect-failure";
import { runProbe } from "../../../src/probes";
import { spawn } from "../fixtures";
import { monitor } from "./spec";

type Kind = "http" | "tcp" | "tls" | "websocket" | "dns";
type Case = [probe: string, type: Kind, fields: Record<string, unknown>, reason: string];

const RUNTIME_WORDS = /Network connection lost|internal error|reference =|proxy request failed|kj\/|jsg/i;

async function check([, type, fields, reason]: Case): Promise<ProbeResult> {
  const r = await runProbe(monitor(type, fields), {});
  expect(r.status).toBe("down");
  expect(r.reason).toBe(reason);
  expect(r.reason).not.toMatch(RUNTIME_WORDS);
  return r;
}

let closed = 0;
let unresponsive = 0;
let hangsUp = 0;
let lab = 0;
let garbage = 0;
beforeAll(async () => {
  [closed, unresponsive, hangsUp, lab, garbage] = await Promise.all([
    spawn("closed-port").then((s) => s.port),
    spawn("unresponsive-port").then((s) => s.port),
    spawn("tcp-script", { behaviour: "close" }).then((s) => s.port),
    spawn("http-lab").then((s) => s.port),
    spawn("tcp-script", { behaviour: "garbage" }).then((s) => s.port),
  ]);
});

describe("connection refused", () => {
  const cases = (): Case[] => [
    ["http", "http", { url: `http://127.0.0.1:${closed}/health` }, `connection refused by 127.0.0.1:${closed}`],
    ["https", "http", { url: `https://127.0.0.1:${closed}/health` }, `connection refused by 127.0.0.1:${closed}`],
    ["http by name", "http", { url: `http://localhost:${closed}/health` }, `connection refused by localhost:${closed}`],
    ["ws", "websocket", { url: `ws://127.0.0.1:${closed}/` }, `connection refused by 127.0.0.1:${closed}`],
    ["wss", "websocket", { url: `wss://127.0.0.1:${closed}/` }, `connection refused by 127.0.0.1:${closed}`],
    ["tcp", "tcp", { host: "127.0.0.1", port: closed }, `connection refused by 127.0.0.1:${closed}`],
    ["tcp by name", "tcp", { host: "localhost", port: closed }, `connection refused by localhost:${closed}`],
    ["tls", "tls", { host: "127.0.0.1", port: closed }, `connection refused by 127.0.0.1:${closed}`],
    [
      "dns resolver",
      "dns",
      { resolver: `http://127.0.0.1:${closed}/dns-query`, name: "app.example.test" },
      `resolver: connection refused by 127.0.0.1:${closed}`,
    ],
  ];
  it("reads 'connection refused by host:port' for every probe kind", async () => {
    for (const c of cases()) await check(c);
  });
});

describe("no such host (DNS)", () => {
  const host = "no-such-host.vigil.invalid";
  const cases: Case[] = [
    ["http", "http", { url: `http://${host}/health` }, `no such host: ${host} (DNS lookup failed)`],
    ["https", "http", { url: `https://${host}/health` }, `no such host: ${host} (DNS lookup failed)`],
    ["ws", "websocket", { url: `ws://${host}/sync` }, `no such host: ${host} (DNS lookup failed)`],
    ["wss", "websocket", { url: `wss://${host}/sync` }, `no such host: ${host} (DNS lookup failed)`],
    ["tcp", "tcp", { host, port: 5432 }, `no such host: ${host} (DNS lookup failed)`],
    ["tls", "tls", { host, port: 443 }, `no such host: ${host} (DNS lookup failed)`],
    [
      "dns resolver",
      "dns",
      { resolver: `https://${host}/dns-query`, name: "app.example.test" },
      `resolver: no such host: ${host} (DNS lookup failed)`,
    ],
  ];
  it("reads 'no such host' for every probe kind, quickly", async () => {
    for (const c of cases) {
      const started = Date.now();
      await check(c);
      expect(Date.now() - started).toBeLessThan(2_000);
    }
  });
});

describe("a server that accepts and hangs up", () => {
  it("reads 'closed the connection before answering'", async () => {
    await check([
      "http",
      "http",
      { url: `http://127.0.0.1:${hangsUp}/health` },
      `127.0.0.1:${hangsUp} closed the connection before answering`,
    ]);
    await check(["ws", "websocket", { url: `ws://127.0.0.1:${hangsUp}/` }, `127.0.0.1:${hangsUp} closed the connection before answering`]);
  });
});

describe("connect timeout", () => {
  // A listener whose accept queue is full: the kernel drops further SYNs, as a firewall does.
  const cases = (): Case[] => [
    [
      "http",
      "http",
      { url: `http://127.0.0.1:${unresponsive}/health`, timeout: "1s" },
      `timed out after 1 s while connecting to 127.0.0.1:${unresponsive}`,
    ],
    [
      "ws",
      "websocket",
      { url: `ws://127.0.0.1:${unresponsive}/`, timeout: "1s" },
      `timed out after 1 s while connecting to 127.0.0.1:${unresponsive}`,
    ],
    [
      "tcp",
      "tcp",
      { host: "127.0.0.1", port: unresponsive, timeout: "1s" },
      `timed out after 1 s while connecting to 127.0.0.1:${unresponsive}`,
    ],
    [
      "tls",
      "tls",
      { host: "127.0.0.1", port: unresponsive, timeout: "1s" },
      `timed out after 1 s while connecting to 127.0.0.1:${unresponsive}`,
    ],
    [
      "dns resolver",
      "dns",
      { resolver: `http://127.0.0.1:${unresponsive}/dns-query`, name: "app.example.test", timeout: "1s" },
      `resolver: timed out after 1 s while connecting to 127.0.0.1:${unresponsive}`,
    ],
  ];
  it("reads 'while connecting' for every probe kind, within the timeout", async () => {
    for (const c of cases()) {
      const started = Date.now();
      await check(c);
      expect(Date.now() - started).toBeLessThan(1_800);
    }
  });
});

describe("read timeout", () => {
  it("reads as waiting for what never came, once connected", async () => {
    const silent = (await spawn("tcp-script", { behaviour: "silent" })).port;
    const ws = (await spawn("websocket")).port;
    const cases: Case[] = [
      [
        "http headers",
        "http",
        { url: `http://127.0.0.1:${lab}/slow-headers?ms=5000`, timeout: "1s" },
        "timed out after 1 s waiting for the response headers",
      ],
      ["http body", "http", { url: `http://127.0.0.1:${lab}/hanging-body`, timeout: "1s" }, "timed out after 1 s while reading the body"],
      ["tls", "tls", { host: "127.0.0.1", port: silent, timeout: "1s" }, "timed out after 1 s waiting for the server's certificate"],
      [
        "ws reply",
        "websocket",
        { url: `ws://127.0.0.1:${ws}/silent`, send: "ping", expectReply: "pong", timeout: "1s" },
        "timed out after 1 s waiting for a reply to the message",
      ],
    ];
    for (const c of cases) await check(c);
  });
});

describe("TLS", () => {
  interface TlsServer {
    port: number;
    notAfter: string;
    issuer: string;
  }
  const tlsServer = (options: Record<string, unknown>) => spawn("tls", options) as Promise<TlsServer & Record<string, unknown>>;
  const date = (iso: string) => iso.slice(0, 10);
  /** OpenSSL's "C=KR\nO=Vigil Test\nCN=x" as RFC 4514, most specific first. */
  const rfc4514 = (openssl: string) => openssl.split("\n").reverse().join(", ");

  it("expired, over https and as a tls monitor", async () => {
    const s = await tlsServer({ days: -3 });
    const expired = `certificate expired 3 days ago (${date(s.notAfter)})`;
    await check(["https", "http", { url: `https://localhost:${s.port}/` }, `TLS handshake with localhost:${s.port} failed: ${expired}`]);
    await check(["tls", "tls", { host: "localhost", port: s.port }, expired]);
  });

  it("wrong host, over wss and as a tls monitor", async () => {
    const s = await tlsServer({ days: 40, names: ["other.test"] });
    const wrong = "certificate does not cover 'localhost' (it covers other.test)";
    await check(["wss", "websocket", { url: `wss://localhost:${s.port}/` }, `TLS handshake with localhost:${s.port} failed: ${wrong}`]);
    await check(["tls", "tls", { host: "localhost", port: s.port }, wrong]);
  });

  it("untrusted: in date, right name, signed by an authority the runtime does not trust", async () => {
    const s = await tlsServer({ days: 40 });
    await check([
      "https",
      "http",
      { url: `https://localhost:${s.port}/` },
      `TLS handshake with localhost:${s.port} failed: certificate is not trusted (issuer ${rfc4514(s.issuer)}; it is in date and covers localhost, so its chain does not lead to a trusted authority)`,
    ]);
  });

  it("handshake failure: an alert, or an answer that is not TLS", async () => {
    const s = await tlsServer({ minVersion: "TLSv1.3", ciphers: "TLS_CHACHA20_POLY1305_SHA256" });
    await check(["tls", "tls", { host: "127.0.0.1", port: s.port }, "TLS handshake failed: server sent alert handshake_failure (40)"]);
    const plain = 'server did not answer with TLS; it sent "HTTP/1.1 400 Bad Request…"';
    await check(["tls", "tls", { host: "127.0.0.1", port: garbage }, `TLS handshake failed: ${plain}`]);
    await check(["https", "http", { url: `https://127.0.0.1:${garbage}/` }, `TLS handshake with 127.0.0.1:${garbage} failed: ${plain}`]);
  });
});

describe("HTTP status and assertions", () => {
  it("say what was expected and what came", async () => {
    const r = await check(["status", "http", { url: `http://127.0.0.1:${lab}/status/503` }, "expected status 2xx, got 503"]);
    expect(r.statusCode).toBe(503);
    await check([
      "json",
      "http",
      { url: `http://127.0.0.1:${lab}/health/db-down`, json: [{ path: "$.db.status", op: "==", value: "up" }] },
      "$.db.status == 'up' failed: got 'down'",
    ]);
    await check([
      "header",
      "http",
      { url: `http://127.0.0.1:${lab}/not-json`, responseHeaders: [{ name: "content-type", op: "contains", value: "json" }] },
      "header content-type contains 'json' failed: got 'text/html'",
    ]);
    await check(["keyword", "http", { url: `http://127.0.0.1:${lab}/status/200`, keyword: "healthy" }, "body lacks 'healthy'"]);
  });
});

describe("the runtime's words, mapped", () => {
  it.each([
    ["Network connection lost.", "connection-lost"],
    ["internal error; reference = fknm4168v7hlt13uib6jjtbr", "internal"],
    ["internal error", "internal"],
    ["The operation was aborted", "other"],
  ] as const)("%s → %s", (message, kind) => {
    expect(fetchErrorKind(new Error(message))).toBe(kind);
  });

  it.each([
    [530, "error code: 1016", "no such host: api.example.com (DNS lookup failed)"],
    [521, "error code: 521", "connection refused by api.example.com (Cloudflare error 521)"],
    [522, "error code: 522\n", "timed out connecting to api.example.com (Cloudflare error 522)"],
    [526, "error code: 526", "api.example.com has an invalid certificate (Cloudflare error 526)"],
    [503, "error code: 1016", null],
    [530, "<html>Origin DNS error</html>", null],
  ] as const)("the edge's %i %j reads %j", (status, body, reason) => {
    expect(cloudflareErrorReason(status, body, "api.example.com")).toBe(reason);
  });
});
