/**
 * W3C trace context on probe requests, inside workerd against loopback targets that record the
 * `traceparent` they received: http (every redirect hop), the WebSocket upgrade and the DoH
 * query. One trace per run: a new trace id each run, the same header on every hop of one run,
 * and the result's `trace` is what the target saw.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { runProbe } from "../../../src/probes";
import { spawn } from "../fixtures";
import { monitor } from "./spec";

/** Version 00, 16-byte trace id, 8-byte parent id, sampled (W3C Trace Context §3.2). */
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/;
const ids = (header: string | null | undefined) => {
  const m = TRACEPARENT.exec(header ?? "");
  if (!m) throw new Error(`not a valid traceparent: ${header}`);
  expect(m[1]).not.toMatch(/^0+$/);
  expect(m[2]).not.toMatch(/^0+$/);
  return { traceId: m[1]!, spanId: m[2]! };
};

describe("http probe traceparent", () => {
  let base = "";
  const seen = async () => (await (await fetch(`${base}/seen`)).json()) as { path: string; traceparent: string | null }[];
  beforeAll(async () => {
    const { port } = await spawn("trace-target");
    base = `http://127.0.0.1:${port}`;
  });

  it("sends one valid traceparent per run, the same on every redirect hop, and reports its ids", async () => {
    const before = (await seen()).length;
    const r = await runProbe(monitor("http", { url: `${base}/chain/2` }), {});
    expect(r.status).toBe("up");
    const hops = (await seen()).slice(before);
    expect(hops.map((h) => h.path)).toEqual(["/chain/2", "/chain/1", "/chain/0"]);
    const first = ids(hops[0]!.traceparent);
    for (const h of hops) expect(h.traceparent).toBe(hops[0]!.traceparent);
    expect(r.trace).toEqual(first);
  });

  it("starts a new trace every run", async () => {
    const a = await runProbe(monitor("http", { url: `${base}/status/200` }), {});
    const b = await runProbe(monitor("http", { url: `${base}/status/200` }), {});
    const [sa, sb] = (await seen()).slice(-2);
    expect(ids(sa!.traceparent)).toEqual(a.trace);
    expect(ids(sb!.traceparent)).toEqual(b.trace);
    expect(a.trace!.traceId).not.toBe(b.trace!.traceId);
  });

  it("gives each sample its own trace; the result reports the first when all are up", async () => {
    const before = (await seen()).length;
    const r = await runProbe(monitor("http", { url: `${base}/status/200`, samples: 3 }), {});
    expect(r).toMatchObject({ status: "up", latency: { samples: 3 } });
    const traces = (await seen()).slice(before).map((h) => ids(h.traceparent));
    expect(new Set(traces.map((t) => t.traceId)).size).toBe(3);
    expect(r.trace).toEqual(traces[0]);
  });

  it("reports the trace of a down run too", async () => {
    const r = await runProbe(monitor("http", { url: `${base}/status/503` }), {});
    expect(r).toMatchObject({ status: "down", statusCode: 503 });
    expect(ids((await seen()).at(-1)!.traceparent)).toEqual(r.trace);
  });

  it("api: every step of one run carries the run's traceparent", async () => {
    const before = (await seen()).length;
    const r = await runProbe(
      monitor("api", {
        baseUrl: base,
        steps: [
          { name: "first", url: "/chain/1" },
          { name: "second", url: "/status/200" },
        ],
      }),
      {},
    );
    expect(r.status).toBe("up");
    const hops = (await seen()).slice(before);
    expect(hops.map((h) => h.path)).toEqual(["/chain/1", "/chain/0", "/status/200"]);
    for (const h of hops) expect(ids(h.traceparent)).toEqual(r.trace);
  });

  it("sends none with traceparent: false", async () => {
    const r = await runProbe(monitor("http", { url: `${base}/status/200`, traceparent: false }), {});
    expect(r.status).toBe("up");
    expect(r.trace).toBeUndefined();
    expect((await seen()).at(-1)!.traceparent).toBeNull();
  });

  it("sends the monitor's own traceparent instead, and reports its ids", async () => {
    const own = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    const r = await runProbe(monitor("http", { url: `${base}/chain/1`, headers: { TraceParent: own } }), {});
    const hops = (await seen()).slice(-2);
    expect(hops.map((h) => h.traceparent)).toEqual([own, own]);
    expect(r.trace).toEqual({ traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7" });
  });

  it("rejects a non-boolean traceparent field, naming it", () => {
    expect(() => monitor("http", { url: `${base}/`, traceparent: "yes" })).toThrow(/traceparent/);
  });
});

describe("websocket probe traceparent", () => {
  it("puts it on the upgrade request", async () => {
    const { port } = await spawn("websocket");
    const r = await runProbe(monitor("websocket", { url: `ws://127.0.0.1:${port}/echo`, send: "hi", expectReply: "hi" }), {});
    expect(r.status).toBe("up");
    const stats = (await (await fetch(`http://127.0.0.1:${port}/stats`)).json()) as {
      received: { headers: Record<string, string> }[];
    };
    expect(ids(stats.received.at(-1)!.headers.traceparent)).toEqual(r.trace);
  });
});

describe("dns probe traceparent", () => {
  it("puts it on the DoH query, a new trace per run", async () => {
    const { port } = await spawn("doh", { zone: { "app.example.test": { A: ["192.0.2.10"] } } });
    const spec = monitor("dns", { name: "app.example.test", resolver: `http://127.0.0.1:${port}/dns-query` });
    const a = await runProbe(spec, {});
    const b = await runProbe(spec, {});
    expect([a.status, b.status]).toEqual(["up", "up"]);
    const requests = (await (await fetch(`http://127.0.0.1:${port}/requests`)).json()) as { traceparent?: string }[];
    expect(requests.slice(-2).map((q) => ids(q.traceparent))).toEqual([a.trace, b.trace]);
    expect(a.trace!.traceId).not.toBe(b.trace!.traceId);
  });
});
