/**
 * TCP, WebSocket and DNS-over-HTTPS probes inside workerd against loopback servers: a closed
 * port, a silent server, a `ws` server with a heartbeat, and a local RFC 8484 resolver.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { runProbe } from "../../../src/probes";
import { spawn } from "../fixtures";
import { monitor } from "./spec";

describe("tcp probe", () => {
  it("is up when the port accepts, with the connect latency", async () => {
    const { port } = await spawn("tcp-script", { behaviour: "silent" });
    const r = await runProbe(monitor("tcp", { host: "127.0.0.1", port }), {});
    expect(r).toMatchObject({ status: "up" });
    expect(r.reason).toBeUndefined();
    expect(r.latencyMs).toBeLessThan(1_000);
  });

  it("is down on a closed port, in words", async () => {
    const { port } = await spawn("closed-port");
    expect(await runProbe(monitor("tcp", { host: "127.0.0.1", port }), {})).toMatchObject({
      status: "down",
      reason: `connection refused by 127.0.0.1:${port}`,
    });
  });

  it("times out on a port whose connects hang", async () => {
    const { port } = await spawn("unresponsive-port");
    const started = Date.now();
    expect(await runProbe(monitor("tcp", { host: "127.0.0.1", port, timeout: "800ms" }), {})).toMatchObject({
      status: "down",
      reason: `timed out after 800 ms while connecting to 127.0.0.1:${port}`,
    });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("reports p50 and max over samples", async () => {
    const { port } = await spawn("tcp-script", { behaviour: "hello" });
    const r = await runProbe(monitor("tcp", { host: "127.0.0.1", port, samples: 5 }), {});
    expect(r).toMatchObject({ status: "up", latency: { samples: 5 } });
  });
});

describe("websocket probe", () => {
  let base = "";
  beforeAll(async () => {
    const { port } = await spawn("websocket");
    base = `ws://127.0.0.1:${port}`;
  });
  const probe = (path: string, fields: Record<string, unknown> = {}) =>
    runProbe(monitor("websocket", { url: `${base}${path}`, ...fields }), {});

  it("is up when the socket opens", async () => {
    expect(await probe("/echo")).toMatchObject({ status: "up", statusCode: 101 });
  });

  it("sends the heartbeat and checks the reply as text and as a regex", async () => {
    expect(await probe("/heartbeat", { send: "ping", expectReply: '"type":"pong"' })).toMatchObject({ status: "up" });
    expect(await probe("/heartbeat", { send: "ping", expectReplyMatches: '^\\{"type":"pong","seq":\\d+\\}$' })).toMatchObject({
      status: "up",
    });
    expect(await probe("/heartbeat", { send: "ping", expectReply: "PONG" })).toMatchObject({
      status: "down",
      reason: `reply lacks 'PONG': got '{"type":"pong","seq":1}'`,
    });
    expect(await probe("/heartbeat", { send: "ping", expectReplyMatches: "^pong$" })).toMatchObject({
      reason: `reply does not match /^pong$/: got '{"type":"pong","seq":1}'`,
    });
    const seen = (await (await fetch(`${base.replace("ws:", "http:")}/stats`)).json()) as { received: { path: string; message: string }[] };
    expect(seen.received.filter((m) => m.path === "/heartbeat").map((m) => m.message)).toEqual(["ping", "ping", "ping", "ping"]);
  });

  it("sends the configured headers, secrets included, on the upgrade", async () => {
    const spec = monitor("websocket", {
      url: `${base}/echo`,
      headers: { "x-client": "vigil", authorization: { env: "WS_TOKEN" } },
      send: "hello",
      expectReply: "nope",
    });
    const r = await runProbe(spec, { WS_TOKEN: "ws-s3cret" });
    expect(r).toMatchObject({ status: "down", reason: "reply lacks 'nope': got 'hello'" });
    const seen = (await (await fetch(`${base.replace("ws:", "http:")}/stats`)).json()) as {
      received: { message: string; headers: Record<string, string> }[];
    };
    expect(seen.received.at(-1)).toMatchObject({ message: "hello", headers: { "x-client": "vigil", authorization: "ws-s3cret" } });
  });

  it("sends a message with no reply expected: up at once, and the server gets the message", async () => {
    const message = `deploy-marker-${crypto.randomUUID()}`;
    const r = await probe("/silent", { send: message, timeout: "2s" });
    expect(r).toMatchObject({ status: "up", statusCode: 101 });
    expect(r.reason).toBeUndefined();
    expect(r.latencyMs).toBeLessThan(1_000); // it does not wait out the timeout for a reply
    // The probe closes right after sending; the message must still have reached the server.
    const deadline = Date.now() + 3_000;
    let seen: { path: string; message: string }[] = [];
    while (Date.now() < deadline) {
      seen = ((await (await fetch(`${base.replace("ws:", "http:")}/stats`)).json()) as { received: { path: string; message: string }[] })
        .received;
      if (seen.some((m) => m.message === message)) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(seen.filter((m) => m.message === message)).toEqual([expect.objectContaining({ path: "/silent", message })]);
  });

  it("waits for a message the server pushes without being asked", async () => {
    expect(await probe("/greet", { expectReply: "welcome" })).toMatchObject({ status: "up" });
  });

  it("times out when no reply comes", async () => {
    expect(await probe("/silent", { send: "ping", expectReply: "pong", timeout: "700ms" })).toMatchObject({
      status: "down",
      reason: "timed out after 700 ms waiting for a reply to the message",
    });
  });

  it("closes the socket cleanly after a timeout, rather than aborting it with the deadline", async () => {
    // Aborting the upgrade's signal once the socket is open drops it (1006) and makes the
    // runtime log the TimeoutError as an internal error.
    const { port } = await spawn("websocket");
    expect(
      await runProbe(
        monitor("websocket", { url: `ws://127.0.0.1:${port}/silent`, send: "ping", expectReply: "pong", timeout: "500ms" }),
        {},
      ),
    ).toMatchObject({
      status: "down",
      reason: "timed out after 500 ms waiting for a reply to the message",
    });
    const until = Date.now() + 3_000;
    let closed: { path: string; code: number; reason: string }[] = [];
    while (closed.length === 0 && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      closed = ((await (await fetch(`http://127.0.0.1:${port}/stats`)).json()) as { closed: typeof closed }).closed;
    }
    expect(closed).toEqual([{ path: "/silent", code: 1000, reason: "vigil probe done" }]);
  });

  it("reports a close before the reply", async () => {
    expect(await probe("/close", { send: "ping", expectReply: "pong" })).toMatchObject({
      status: "down",
      reason: "server closed the WebSocket (1011 overloaded) before replying",
    });
  });

  it("reports a refused upgrade", async () => {
    expect(await probe("/forbidden")).toMatchObject({
      status: "down",
      statusCode: 403,
      reason: "expected a WebSocket upgrade (101), got 403",
    });
  });

  it("reports a closed port", async () => {
    const { port } = await spawn("closed-port");
    const r = await runProbe(monitor("websocket", { url: `ws://127.0.0.1:${port}/` }), {});
    expect(r).toMatchObject({ status: "down", reason: `connection refused by 127.0.0.1:${port}` });
  });
});

describe("dns probe (DNS over HTTPS, RFC 8484)", () => {
  let resolver = "";
  let port = 0;
  beforeAll(async () => {
    ({ port } = await spawn("doh", {
      zone: {
        "app.example.test": {
          A: ["192.0.2.10", "192.0.2.11"],
          AAAA: ["2001:db8::10"],
          MX: [
            [10, "mx1.example.test"],
            [20, "mx2.example.test"],
          ],
          TXT: [["v=spf1 ", "-all"], ["hello"]],
        },
        "www.example.test": { CNAME: "app.example.test", A: ["192.0.2.10"] },
      },
    }));
    resolver = `http://127.0.0.1:${port}/dns-query`;
  });
  const probe = (fields: Record<string, unknown>) => runProbe(monitor("dns", { name: "app.example.test", resolver, ...fields }), {});

  it("resolves A and reports the answers", async () => {
    const r = await probe({ recordType: "A", expected: ["192.0.2.10"] });
    expect(r).toMatchObject({ status: "up", dns: { rcode: "NOERROR", answers: ["192.0.2.10", "192.0.2.11"] } });
    const seen = (await (await fetch(`http://127.0.0.1:${port}/requests`)).json()) as { method: string; accept: string; dns: string }[];
    expect(seen.at(-1)).toMatchObject({ method: "GET", accept: "application/dns-message" });
    expect(seen.at(-1)!.dns).toMatch(/^[A-Za-z0-9_-]+$/); // base64url without padding
  });

  it("checks AAAA, CNAME, MX and TXT, normalising how values are written", async () => {
    expect(await probe({ recordType: "AAAA", expected: ["2001:DB8:0:0::10"] })).toMatchObject({
      status: "up",
      dns: { answers: ["2001:db8::10"] },
    });
    expect(await probe({ name: "www.example.test", recordType: "CNAME", expected: ["App.Example.Test."] })).toMatchObject({
      status: "up",
      dns: { answers: ["app.example.test"] },
    });
    expect(await probe({ recordType: "MX", expected: ["10 mx1.example.test", "mx2.example.test"], match: "exact" })).toMatchObject({
      status: "up",
      dns: { answers: ["10 mx1.example.test", "20 mx2.example.test"] },
    });
    expect(await probe({ recordType: "TXT", expected: ["v=spf1 -all"] })).toMatchObject({
      status: "up",
      dns: { answers: ["v=spf1 -all", "hello"] },
    });
  });

  it("names what is missing or unexpected", async () => {
    expect(await probe({ recordType: "A", expected: ["192.0.2.99"] })).toMatchObject({
      status: "down",
      reason: "A app.example.test lacks 192.0.2.99 (got 192.0.2.10, 192.0.2.11)",
    });
    expect(await probe({ recordType: "A", expected: ["192.0.2.10"], match: "exact" })).toMatchObject({
      status: "down",
      reason: "A app.example.test has unexpected 192.0.2.11 (expected only 192.0.2.10)",
    });
    expect(await probe({ name: "www.example.test", recordType: "MX" })).toMatchObject({
      status: "down",
      reason: "no MX records for www.example.test",
    });
  });

  it("reports NXDOMAIN and a resolver that does not speak DoH", async () => {
    expect(await probe({ name: "missing.example.test" })).toMatchObject({
      status: "down",
      reason: "resolver answered NXDOMAIN for A missing.example.test",
      dns: { rcode: "NXDOMAIN", answers: [] },
    });
    expect(await probe({ resolver: `http://127.0.0.1:${port}/not-doh` })).toMatchObject({
      status: "down",
      reason: `resolver 127.0.0.1:${port} answered text/html, not application/dns-message`,
    });
  });

  it("reports an unreachable resolver", async () => {
    const closed = await spawn("closed-port");
    const r = await probe({ resolver: `http://127.0.0.1:${closed.port}/dns-query` });
    expect(r).toMatchObject({ status: "down", reason: `resolver: connection refused by 127.0.0.1:${closed.port}` });
  });
});
