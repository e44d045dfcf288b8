/**
 * The HTTP probe inside workerd against a real loopback server (spawn kind "http-lab"): slow
 * headers, a hanging body, a 5 MiB body, redirect loops, a JSON health endpoint.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { ConfigEnv } from "../../../src/config";
import { runProbe } from "../../../src/probes";
import { spawn } from "../fixtures";
import { monitor } from "./spec";

let base = "";
beforeAll(async () => {
  const { port } = await spawn("http-lab");
  base = `http://127.0.0.1:${port}`;
});

const probe = (fields: Record<string, unknown>) =>
  runProbe(monitor("http", { url: `${base}/health`, ...fields }), env as unknown as ConfigEnv);

describe("http probe: status", () => {
  it("is up on a 2xx by default and reports the status code and latency", async () => {
    const r = await probe({});
    expect(r).toMatchObject({ status: "up", statusCode: 200 });
    expect(r.reason).toBeUndefined();
    expect(r.latencyMs).toBeGreaterThanOrEqual(0);
    expect(Date.parse(r.checkedAt)).not.toBeNaN();
  });

  it("says which status it expected and which it got", async () => {
    const r = await probe({ url: `${base}/status/503`, expectedStatus: [200] });
    expect(r).toMatchObject({ status: "down", statusCode: 503, reason: "expected status 200, got 503" });
  });

  it("accepts lists and ranges", async () => {
    expect((await probe({ url: `${base}/status/404`, expectedStatus: [200, "400-404"] })).status).toBe("up");
    expect((await probe({ url: `${base}/status/418`, expectedStatus: ["2xx", 404] })).reason).toBe("expected status 2xx or 404, got 418");
  });

  it("sends the configured method, headers and body", async () => {
    const r = await runProbe(
      monitor("http", {
        url: `${base}/echo`,
        method: "POST",
        headers: { "content-type": "application/json", "x-probe": "vigil" },
        body: '{"ping":1}',
        contains: '"body":"{\\"ping\\":1}"',
      }),
      {},
    );
    expect(r).toMatchObject({ status: "up" });
    const echoed = await runProbe(
      monitor("http", {
        url: `${base}/echo`,
        method: "PUT",
        body: "exact body",
        json: [
          { path: "$.method", op: "==", value: "PUT" },
          { path: "$.body", op: "==", value: "exact body" },
          { path: "$.headers.user-agent", op: "matches", value: "^Vigil/" },
        ],
      }),
      {},
    );
    expect(echoed).toMatchObject({ status: "up" });
  });
});

describe("http probe: body assertions", () => {
  it("reports a missing keyword in the issue's words", async () => {
    const r = await probe({ url: `${base}/status/200`, contains: "healthy" });
    expect(r).toMatchObject({ status: "down", reason: "body lacks 'healthy'" });
    expect((await probe({ url: `${base}/status/200`, keyword: "healthy" })).reason).toBe("body lacks 'healthy'");
  });

  it("decodes the body in its declared charset", async () => {
    expect(await probe({ url: `${base}/euc-kr`, contains: "상태: 정상" })).toMatchObject({ status: "up" });
  });

  it("checks must-not-contain and regex", async () => {
    expect((await probe({ notContains: ["down", "error"] })).status).toBe("up");
    expect((await probe({ url: `${base}/health/db-down`, notContains: ["down", "error"] })).reason).toBe(
      "body contains 'down', which it must not",
    );
    expect((await probe({ matches: '"version":"1\\.\\d+\\.\\d+"' })).status).toBe("up");
    expect((await probe({ matches: '"version":"2\\.' })).reason).toBe('body does not match /"version":"2\\./');
  });
});

describe("http probe: JSON health endpoint", () => {
  it("passes every operator on a healthy document", async () => {
    const r = await probe({
      json: [
        { path: "$.status", op: "==", value: "UP" },
        { path: "$.db.status", op: "!=", value: "down" },
        { path: "$.db.connections", op: "<", value: 100 },
        { path: "$.db.connections", op: "<=", value: 12 },
        { path: "$.db.latencyMs", op: ">", value: 1 },
        { path: "$.queue.depth", op: ">=", value: 7 },
        { path: "$.regions", op: "contains", value: "icn" },
        { path: "$.regions[1]", op: "==", value: "nrt" },
        { path: "$.version", op: "matches", value: "^1\\.4\\." },
        { path: "$.maintenance", op: "==", value: false },
        { path: "$.note", op: "==", value: null },
        { path: "$.db", op: "exists" },
        { path: "$.error", op: "exists", value: false },
      ],
    });
    expect(r).toMatchObject({ status: "up", statusCode: 200 });
  });

  it("names the failed assertion and what it got", async () => {
    const r = await probe({
      url: `${base}/health/db-down`,
      json: [
        { path: "$.status", op: "==", value: "UP" },
        { path: "$.db.status", op: "==", value: "up" },
      ],
    });
    expect(r).toMatchObject({ status: "down", statusCode: 200, reason: "$.db.status == 'up' failed: got 'down'" });
    expect((await probe({ json: [{ path: "$.queue.depth", op: "<", value: 5 }] })).reason).toBe("$.queue.depth < 5 failed: got 7");
    expect((await probe({ json: [{ path: "$.cache.status", op: "==", value: "up" }] })).reason).toBe(
      "$.cache.status == 'up' failed: $.cache.status is missing",
    );
  });

  it("says when the body is not JSON", async () => {
    const r = await probe({ url: `${base}/not-json`, json: [{ path: "$.status", op: "exists" }] });
    expect(r.reason).toBe("body is not JSON (text/html): <html><body>Welcome to nginx!</body></html>");
  });

  it("checks response headers", async () => {
    const ok = await probe({
      responseHeaders: [
        { name: "Content-Type", op: "contains", value: "application/json" },
        { name: "cache-control", op: "==", value: "no-store" },
        { name: "x-service-version", op: "matches", value: "^1\\." },
        { name: "x-powered-by", op: "exists", value: false },
      ],
    });
    expect(ok.status).toBe("up");
    const r = await probe({ url: `${base}/not-json`, responseHeaders: [{ name: "content-type", op: "contains", value: "json" }] });
    expect(r.reason).toBe("header content-type contains 'json' failed: got 'text/html'");
  });
});

describe("http probe: timeouts and size", () => {
  it("times out on slow headers and says so", async () => {
    const started = Date.now();
    const r = await probe({ url: `${base}/slow-headers?ms=5000`, timeout: "500ms" });
    expect(r).toMatchObject({ status: "down", reason: "timed out after 500 ms waiting for the response headers" });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("counts a hanging body against the same deadline", async () => {
    const started = Date.now();
    const r = await probe({ url: `${base}/hanging-body`, timeout: "1s" });
    expect(r).toMatchObject({ status: "down", reason: "timed out after 1 s while reading the body" });
    expect(Date.now() - started).toBeLessThan(2_500);
  });

  it("times out on a body shorter than its declared length", async () => {
    const r = await probe({ url: `${base}/hanging-declared`, timeout: "1s" });
    expect(r).toMatchObject({ status: "down", reason: "timed out after 1 s while reading the body" });
  });

  it("caps a compressed body by its decoded size, not its declared length", async () => {
    const r = await probe({ url: `${base}/gzip-bomb`, contains: "END", timeout: "2s" });
    expect(r).toMatchObject({ status: "down", statusCode: 200, reason: "body lacks 'END' (read the first 1 MiB of a longer body)" });
  });

  it("never reads more than the cap of a 32 MiB body (default 1 MiB)", async () => {
    // Larger than loopback socket buffers can take (several MiB): the server must see the close.
    const r = await probe({ url: `${base}/big?mib=32`, contains: "END" });
    expect(r).toMatchObject({ status: "down", statusCode: 200, reason: "body lacks 'END' (read the first 1 MiB of a longer body)" });
    // The probe has its answer once it stops reading; the server sees the close a moment later.
    type BigStats = { bigClosed: boolean; bigClientClosedEarly: boolean; bigBytesWritten: number };
    let stats = (await (await fetch(`${base}/stats`)).json()) as BigStats;
    for (let i = 0; !stats.bigClosed && i < 50; i++) {
      await new Promise((r) => setTimeout(r, 100));
      stats = (await (await fetch(`${base}/stats`)).json()) as BigStats;
    }
    expect(stats.bigClosed).toBe(true);
    expect(stats.bigClientClosedEarly).toBe(true);
    expect(stats.bigBytesWritten).toBeLessThan(32 * 1024 * 1024);
  });

  it("honours a smaller cap and refuses JSON it could not read whole", async () => {
    const r = await probe({ url: `${base}/big?mib=1`, maxBodyBytes: 65_536, json: [{ path: "$.x", op: "exists" }] });
    expect(r.reason).toBe("body is larger than maxBodyBytes (64 KiB), so its JSON cannot be checked");
    const exact = await probe({ url: `${base}/big?mib=1`, maxBodyBytes: 1024 * 1024, notContains: "y" });
    expect(exact.status).toBe("up");
  });
});

describe("http probe: redirects", () => {
  it("names a redirect loop", async () => {
    const r = await probe({ url: `${base}/loop/a` });
    expect(r).toMatchObject({ status: "down", statusCode: 302, reason: "redirect loop: /loop/a → /loop/b → /loop/a" });
  });

  it("follows up to maxRedirects and no further", async () => {
    expect(await probe({ url: `${base}/chain/3`, maxRedirects: 3, contains: "arrived" })).toMatchObject({ status: "up", statusCode: 200 });
    const r = await probe({ url: `${base}/chain/3`, maxRedirects: 2 });
    expect(r.reason).toBe("more than 2 redirects: /chain/3 → /chain/2 → /chain/1 → /chain/0");
  });

  it("does not follow with maxRedirects 0: the 3xx is the answer", async () => {
    expect(await probe({ url: `${base}/chain/1`, maxRedirects: 0, expectedStatus: [302] })).toMatchObject({
      status: "up",
      statusCode: 302,
    });
    expect((await probe({ url: `${base}/chain/1`, maxRedirects: 0 })).reason).toBe("expected status 2xx, got 302");
  });

  it("turns POST into GET on 303 and keeps it on 307", async () => {
    const post = { method: "POST", body: "payload" };
    expect(
      await probe({
        ...post,
        url: `${base}/redirect/303`,
        json: [
          { path: "$.method", op: "==", value: "GET" },
          { path: "$.body", op: "==", value: "" },
        ],
      }),
    ).toMatchObject({ status: "up" });
    expect(
      await probe({
        ...post,
        url: `${base}/redirect/307`,
        json: [
          { path: "$.method", op: "==", value: "POST" },
          { path: "$.body", op: "==", value: "payload" },
        ],
      }),
    ).toMatchObject({ status: "up" });
  });

  it("drops credentials and secret headers on a cross-origin redirect", async () => {
    const secrets = { ...(env as unknown as ConfigEnv), PROBE_TOKEN: "s3cr3t-token-value" };
    const spec = monitor("http", {
      url: `${base}/to-other-origin`,
      headers: { authorization: "Bearer plain", "x-api-key": { env: "PROBE_TOKEN" }, "x-trace": "kept" },
      json: [
        { path: "$.headers.authorization", op: "exists", value: false },
        { path: "$.headers.x-api-key", op: "exists", value: false },
        { path: "$.headers.x-trace", op: "==", value: "kept" },
      ],
    });
    expect(await runProbe(spec, secrets)).toMatchObject({ status: "up" });
  });

  it("never puts a secret header value in the reason", async () => {
    const secrets = { PROBE_TOKEN: "s3cr3t-token-value" };
    const spec = monitor("http", {
      url: `${base}/echo`,
      headers: { "x-api-key": { env: "PROBE_TOKEN" } },
      json: [{ path: "$.headers.x-api-key", op: "==", value: "something else" }],
    });
    const r = await runProbe(spec, secrets);
    expect(r.status).toBe("down");
    expect(r.reason).toBe("$.headers.x-api-key == 'something else' failed: got '[redacted]'");
    expect(JSON.stringify(r)).not.toContain("s3cr3t");
  });
});

describe("http probe: latency", () => {
  it("runs N samples and reports p50 and max", async () => {
    const r = await probe({ url: `${base}/slow-headers?ms=120`, samples: 3 });
    expect(r.status).toBe("up");
    expect(r.latency).toMatchObject({ samples: 3 });
    expect(r.latency!.p50Ms).toBeGreaterThanOrEqual(110);
    expect(r.latency!.maxMs).toBeGreaterThanOrEqual(r.latency!.p50Ms);
    expect(r.latencyMs).toBe(r.latency!.p50Ms);
    const hits = ((await (await fetch(`${base}/stats`)).json()) as { hits: Record<string, number> }).hits["/slow-headers"];
    expect(hits).toBeGreaterThanOrEqual(3);
  });

  it("is degraded over degradedMs and down over downMs", async () => {
    const slow = await probe({ url: `${base}/slow-headers?ms=300`, degradedMs: 100, downMs: 2000 });
    expect(slow.status).toBe("degraded");
    expect(slow.reason).toMatch(/^took \d+ ms, over the 100 ms degraded threshold \(degradedMs\)$/);
    const down = await probe({ url: `${base}/slow-headers?ms=300`, samples: 2, degradedMs: 50, downMs: 200 });
    expect(down.status).toBe("down");
    expect(down.reason).toMatch(/^p50 \d+ ms over 2 samples \(max \d+ ms\), over the 200 ms limit \(downMs\)$/);
  });
});

describe("http probe: what it measures", () => {
  it("reports the time to the response headers apart from the whole response", async () => {
    const r = await probe({ url: `${base}/slow-body?headers=150&body=300`, keyword: "healthy" });
    expect(r.status).toBe("up");
    expect(r.firstByteMs).toBeGreaterThanOrEqual(140);
    expect(r.latencyMs).toBeGreaterThanOrEqual(r.firstByteMs! + 280);
  });

  it("reports the first byte of a failed judgement too, and the p50 over samples", async () => {
    const bad = await probe({ url: `${base}/slow-body?headers=100&body=0`, keyword: "absent" });
    expect(bad).toMatchObject({ status: "down" });
    expect(bad.firstByteMs).toBeGreaterThanOrEqual(90);
    const many = await probe({ url: `${base}/slow-body?headers=100&body=100`, samples: 3 });
    expect(many.firstByteMs).toBeGreaterThanOrEqual(90);
    expect(many.firstByteMs).toBeLessThan(many.latencyMs);
  });

  it("reuses a warm connection to a server that keeps it alive, as on Cloudflare", async () => {
    const stats = async () => ((await (await fetch(`${base}/stats`)).json()) as { connections: number }).connections;
    await probe({ url: `${base}/slow-headers?ms=1` });
    const before = await stats();
    for (let i = 0; i < 5; i++) expect((await probe({ url: `${base}/slow-headers?ms=1` })).status).toBe("up");
    // One new connection at most (the pool may have let an idle one go); /stats shares the pool.
    expect((await stats()) - before).toBeLessThanOrEqual(1);
  });
});

describe("http probe: connection failures", () => {
  it("reports a refused connection in words", async () => {
    const { port } = await spawn("closed-port");
    const r = await probe({ url: `http://127.0.0.1:${port}/health` });
    expect(r).toMatchObject({ status: "down", reason: `connection refused by 127.0.0.1:${port}` });
  });
});
