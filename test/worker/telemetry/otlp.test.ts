/**
 * OTLP/HTTP span export, inside workerd: probe runs go through `runBatch` against a loopback
 * target that records the `traceparent` it received, and their spans to a loopback OTLP
 * receiver that decodes the JSON. A collector that answers 500 or never answers does not delay
 * or break the batch; failures are counted for /metrics and logged once, without secrets.
 */
import { env } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { ConfigError, parseConfig, type VigilConfig } from "../../../src/config";
import source from "vigil-config";
import { renderMetrics } from "../../../src/routes/status/metrics";
import { runBatch } from "../../../src/scheduler/run";
import { runTick } from "../../../src/scheduler/tick";
import { loadOtlpExports } from "../../../src/store/otlp-exports";
import type { ExportOutcome, OtlpSpan } from "../../../src/telemetry/otlp";
import type { OtlpReceived } from "../../servers/otlp";
import { controlSpawned, spawn } from "../fixtures";

const TOKEN = "otlp-test-token-5f1d9a";
const testEnv = { ...env, OTLP_TEST_TOKEN: TOKEN } as typeof env;

function configWith(monitors: unknown[], telemetry: unknown): VigilConfig {
  const raw = typeof source === "function" ? source(testEnv as never) : source;
  return parseConfig({ ...raw, monitors: [...(raw.monitors ?? []), ...monitors], telemetry } as never, testEnv as never);
}

let target = "";
let seen: () => Promise<{ path: string; traceparent: string | null }[]>;
beforeAll(async () => {
  const { port } = await spawn("trace-target");
  target = `http://127.0.0.1:${port}`;
  seen = async () => (await (await fetch(`${target}/seen`)).json()) as { path: string; traceparent: string | null }[];
});
afterEach(() => vi.restoreAllMocks());

/** Runs the monitors once, now, in one batch; returns the batch's duration and its deferred exports. */
async function runNow(config: VigilConfig, ids: string[], batch: number) {
  const deferred: Promise<unknown>[] = [];
  const now = Date.now();
  const started = performance.now();
  const summary = await runBatch(
    testEnv,
    config,
    { minute: Math.floor(now / 60_000) * 60_000, batch, monitors: ids },
    ids.map((monitorId) => ({ monitorId, at: now })),
    (work) => deferred.push(work),
  );
  return { summary, ms: performance.now() - started, exports: deferred as Promise<ExportOutcome>[] };
}

const attrs = (s: OtlpSpan) => Object.fromEntries(s.attributes.map((a) => [a.key, Object.values(a.value)[0]]));
const failedCount = async () => (await loadOtlpExports(env.DB)).find((r) => r.outcome === "failed") ?? { exports: 0, spans: 0 };

describe("OTLP span export", () => {
  it("exports an up and a down run with the trace ids the target saw, their attributes and status", async () => {
    const { port } = await spawn("otlp");
    const config = configWith(
      [
        { id: "otlp-up", type: "http", service: "sched", url: `${target}/status/200`, interval: "1m", timeout: "2s" },
        { id: "otlp-down", type: "http", service: "sched", url: `${target}/status/500`, interval: "1m", timeout: "2s" },
      ],
      { otlp: { endpoint: `http://127.0.0.1:${port}`, headers: { authorization: { env: "OTLP_TEST_TOKEN" } }, serviceName: "vigil-test" } },
    );
    const { summary, exports } = await runNow(config, ["otlp-up", "otlp-down"], 801);
    expect(summary).toMatchObject({ executed: 2 });
    expect(exports).toHaveLength(1); // one request per batch
    expect(await exports[0]).toEqual({ ok: true, spans: 2 });

    const { received } = (await controlSpawned(port, {})) as unknown as { received: OtlpReceived[] };
    expect(received).toHaveLength(1);
    const request = received[0]!;
    expect(request).toMatchObject({ path: "/v1/traces", contentType: "application/json" });
    expect(request.headers.authorization).toBe(TOKEN);
    const [resourceSpans] = request.body.resourceSpans;
    expect(resourceSpans.resource.attributes).toContainEqual({ key: "service.name", value: { stringValue: "vigil-test" } });
    const [scope] = resourceSpans.scopeSpans;
    expect(scope.scope.name).toBe("vigil");
    const spans = scope.spans as OtlpSpan[];
    const byMonitor = new Map(spans.map((s) => [attrs(s)["vigil.monitor.id"], s]));

    const hits = await seen();
    const sent = (path: string) => /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(hits.findLast((h) => h.path === path)!.traceparent!)!;
    for (const [id, path] of [
      ["otlp-up", "/status/200"],
      ["otlp-down", "/status/500"],
    ] as const) {
      const s = byMonitor.get(id)!;
      const [, traceId, spanId] = sent(path);
      expect(s).toMatchObject({ traceId, spanId, kind: 3, name: `probe ${id}` });
      expect(s.startTimeUnixNano).toMatch(/^\d{19}$/);
      expect(BigInt(s.endTimeUnixNano) >= BigInt(s.startTimeUnixNano)).toBe(true);
      expect(Math.abs(Number(BigInt(s.startTimeUnixNano) / 1_000_000n) - Date.now())).toBeLessThan(30_000);
    }
    expect(attrs(byMonitor.get("otlp-up")!)).toMatchObject({
      "vigil.monitor.id": "otlp-up",
      "vigil.monitor.type": "http",
      "vigil.service": "sched",
      "vigil.status": "up",
      "http.response.status_code": "200",
      "vigil.traceparent_sent": true,
    });
    expect(byMonitor.get("otlp-up")!.status).toEqual({ code: 1 });
    expect(attrs(byMonitor.get("otlp-down")!)).toMatchObject({
      "vigil.status": "down",
      "http.response.status_code": "500",
      "vigil.reason": "expected status 2xx, got 500",
    });
    expect(byMonitor.get("otlp-down")!.status).toEqual({ code: 2, message: "expected status 2xx, got 500" });
  });

  it("exports one span per region for a regional monitor, with the region and that region's trace", async () => {
    const { port } = await spawn("otlp");
    const config = configWith(
      [{ id: "otlp-regions", type: "http", service: "sched", url: `${target}/status/200`, timeout: "2s", regions: ["weur", "enam"] }],
      { otlp: { endpoint: `http://127.0.0.1:${port}/v1/traces` } },
    );
    const before = (await seen()).length;
    const { exports } = await runNow(config, ["otlp-regions"], 802);
    expect(await exports[0]).toEqual({ ok: true, spans: 2 });
    const { received } = (await controlSpawned(port, {})) as unknown as { received: OtlpReceived[] };
    const spans = received[0]!.body.resourceSpans[0].scopeSpans[0].spans as OtlpSpan[];
    expect(spans.map((s) => attrs(s)["vigil.region"]).sort()).toEqual(["enam", "weur"]);
    const sentIds = (await seen()).slice(before).map((h) => h.traceparent!.split("-")[1]);
    expect(spans.map((s) => s.traceId).sort()).toEqual(sentIds.sort());
  });

  it("does not delay the batch when the collector never answers; the export gives up at its timeout", async () => {
    const { port } = await spawn("otlp", { mode: "hang" });
    const config = configWith([{ id: "otlp-hang", type: "http", service: "sched", url: `${target}/status/200`, timeout: "2s" }], {
      otlp: { endpoint: `http://127.0.0.1:${port}`, timeout: "1500ms" },
    });
    const before = await failedCount();
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const { summary, ms, exports } = await runNow(config, ["otlp-hang"], 803);
    expect(summary).toMatchObject({ executed: 1 });
    expect(ms).toBeLessThan(1_500); // the batch finished before the export could have timed out
    expect(await Promise.race([exports[0], Promise.resolve("pending")])).toBe("pending");
    const t0 = performance.now();
    expect(await exports[0]).toEqual({ ok: false, spans: 1, error: `collector 127.0.0.1:${port} did not answer within 1.5 s` });
    expect(performance.now() - t0).toBeLessThan(3_000);
    const after = await failedCount();
    expect([after.exports - before.exports, after.spans - before.spans]).toEqual([1, 1]);
    expect(errors.mock.calls.filter((c) => String(c[0]).includes("otlp.export_failed"))).toHaveLength(1);
  });

  it("logs a collector's 500 once per batch, without the secret header, and counts it for /metrics", async () => {
    const { port } = await spawn("otlp", { mode: 500 });
    const config = configWith(
      [
        { id: "otlp-500-a", type: "http", service: "sched", url: `${target}/status/200`, timeout: "2s" },
        { id: "otlp-500-b", type: "http", service: "sched", url: `${target}/status/200`, timeout: "2s" },
      ],
      { otlp: { endpoint: `http://127.0.0.1:${port}`, headers: { "x-api-key": { env: "OTLP_TEST_TOKEN" } } } },
    );
    const before = await failedCount();
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const { summary, exports } = await runNow(config, ["otlp-500-a", "otlp-500-b"], 804);
    expect(summary).toMatchObject({ executed: 2, changes: expect.any(Number) });
    expect(await exports[0]).toEqual({ ok: false, spans: 2, error: `collector 127.0.0.1:${port} answered HTTP 500` });
    const lines = errors.mock.calls.map((c) => String(c[0]));
    expect(lines.filter((l) => l.includes("otlp.export_failed"))).toHaveLength(1);
    expect(lines.join("\n")).not.toContain(TOKEN);
    const rows = await loadOtlpExports(env.DB);
    const failed = rows.find((r) => r.outcome === "failed")!;
    expect([failed.exports - before.exports, failed.spans - before.spans]).toEqual([1, 2]);
    const text = renderMetrics({
      version: "t",
      now: Date.now(),
      checks: [],
      states: new Map(),
      latency: [],
      lastHourP95: new Map(),
      runs: [],
      services: [],
      openIncidents: new Map(),
      agents: [],
      deliveries: [],
      otlp: rows,
    });
    expect(text).toContain(`vigil_otlp_exports_total{outcome="failed"} ${failed.exports}`);
    expect(text).toContain(`vigil_otlp_spans_total{outcome="failed"} ${failed.spans}`);
  });

  it("a tick hands its inline batch's export to waitUntil and returns while the collector hangs", async () => {
    const { port } = await spawn("otlp", { mode: "hang" });
    const raw = typeof source === "function" ? source(testEnv as never) : source;
    const config = parseConfig(
      {
        ...raw,
        monitors: [{ id: "otlp-tick", type: "http", service: "sched", url: `${target}/status/200`, timeout: "2s" }],
        telemetry: { otlp: { endpoint: `http://127.0.0.1:${port}`, timeout: "2s" } },
      } as never,
      testEnv as never,
    );
    vi.spyOn(console, "error").mockImplementation(() => {});
    const deferred: Promise<unknown>[] = [];
    const started = performance.now();
    // A minute long past: its one run is coalesced and starts at once.
    const tick = await runTick(testEnv, config, Math.floor(Date.now() / 60_000) * 60_000 - 317 * 60_000, (w) => deferred.push(w));
    expect(tick).toMatchObject({ duplicate: false, inline: true, run: { executed: 1 } });
    expect(deferred).toHaveLength(1);
    // The tick is over while its export still waits for the collector.
    expect(await Promise.race([deferred[0], Promise.resolve("pending")])).toBe("pending");
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(await deferred[0]).toMatchObject({ ok: false, spans: 1 });
    const { received } = (await controlSpawned(port, {})) as unknown as { received: OtlpReceived[] };
    expect(received).toHaveLength(1);
  });

  it("gives a tcp run, which sends no header, a span with a fresh trace", async () => {
    const { port } = await spawn("otlp");
    const tcp = await spawn("tcp-script", { behaviour: "silent" });
    const config = configWith([{ id: "otlp-tcp", type: "tcp", service: "sched", host: "127.0.0.1", port: tcp.port, timeout: "2s" }], {
      otlp: { endpoint: `http://127.0.0.1:${port}` },
    });
    const { exports } = await runNow(config, ["otlp-tcp"], 806);
    expect(await exports[0]).toEqual({ ok: true, spans: 1 });
    const { received } = (await controlSpawned(port, {})) as unknown as { received: OtlpReceived[] };
    const [s] = received[0]!.body.resourceSpans[0].scopeSpans[0].spans as OtlpSpan[];
    expect(s!.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(s!.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(attrs(s!)).toMatchObject({ "vigil.monitor.type": "tcp", "vigil.status": "up", "vigil.traceparent_sent": false });
    expect(attrs(s!)["http.response.status_code"]).toBeUndefined();
  });

  it("exports nothing without telemetry", async () => {
    const config = configWith([{ id: "otlp-none", type: "http", service: "sched", url: `${target}/status/200`, timeout: "2s" }], undefined);
    const { exports } = await runNow(config, ["otlp-none"], 805);
    expect(exports).toEqual([]);
  });
});

describe("telemetry config", () => {
  const problems = (telemetry: unknown, e: Record<string, string> = {}) => {
    try {
      const raw = typeof source === "function" ? source(testEnv as never) : source;
      parseConfig({ ...raw, telemetry } as never, { ...testEnv, ...e } as never);
      return [];
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      return err.issues.filter((i) => i.startsWith("telemetry"));
    }
  };

  it("names each bad field", () => {
    expect(problems({ otlp: { endpoint: "ftp://collector" } })).toEqual([
      "telemetry.otlp.endpoint: Invalid url: expected an http:// or https:// URL",
    ]);
    expect(problems({ otlp: { endpoint: "https://user:pw@collector.example" } })).toEqual([
      'telemetry.otlp.endpoint: must not hold credentials; put them in headers as { env: "NAME" }',
    ]);
    expect(problems({ otlp: { endpoint: "http://c:4318", timeout: "2m" } })).toEqual([
      'telemetry.otlp.timeout: must be between 100ms and 30s, got "2m"',
    ]);
    expect(problems({ otlp: { endpoint: "http://c:4318", headers: { "bad header": "x" } } })).toEqual([
      'telemetry.otlp.headers.bad header: "bad header" is not an HTTP header name',
    ]);
    expect(problems({ otlp: { endpoint: "http://c:4318", header: {} } })[0]).toMatch(/^telemetry\.otlp: .*header/);
    expect(problems({ otlp: { endpoint: "http://c:4318", headers: { authorization: { env: "OTLP_UNSET_TOKEN" } } } })).toEqual([
      "telemetry.otlp.headers.authorization: environment variable OTLP_UNSET_TOKEN is not set (add it to .dev.vars locally, or `wrangler secret put OTLP_UNSET_TOKEN`)",
    ]);
  });

  it("fills defaults", () => {
    const raw = typeof source === "function" ? source(testEnv as never) : source;
    const cfg = parseConfig({ ...raw, telemetry: { otlp: { endpoint: "http://c:4318" } } } as never, testEnv as never);
    expect(cfg.telemetry?.otlp).toEqual({ endpoint: "http://c:4318", headers: {}, timeout: 5_000, serviceName: "vigil" });
  });
});
