/**
 * CONTRIBUTING.md, "Adding a kind", followed for a probe: a trivial kind written here as the
 * recipe says (schema + probe + reach fact in one `probeKind`), added to Vigil's list through the
 * same `probeRegistry` that src/probes/kinds.ts calls. It validates as a `monitors[]` entry (with
 * the shared defaults and error paths), runs, and is judged like every other kind.
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { formatIssues } from "../../../src/config";
import { monitorBase, timing } from "../../../src/config/monitors";
import { evaluate, initialState } from "../../../src/engine/evaluate";
import { probeKind, probeRegistry } from "../../../src/probes/kind";
import { probes } from "../../../src/probes/kinds";

// 1. The kind's file: its schema, its probe, its facts.
/** Always up, after `latencyMs`: a probe that needs no network. */
const alwaysUpMonitor = z
  .strictObject({
    ...monitorBase,
    type: z.literal("always-up"),
    /** The latency it reports. Default 5. */
    latencyMs: z.number().int().min(0).max(59_999).default(5),
  })
  .transform(timing);

const alwaysUp = probeKind({
  type: "always-up",
  schema: alwaysUpMonitor,
  run: async (spec) => ({ status: "up", latencyMs: spec.latencyMs, checkedAt: new Date(0).toISOString() }),
  target: () => ({ path: "type", host: "localhost" }),
});

// 2. The one registry line (src/probes/kinds.ts has `probeRegistry([http, tls, tcp, websocket, dns])`).
const registry = probeRegistry([...probes.kinds, alwaysUp]);

describe("adding a probe kind", () => {
  it("validates from config with the shared defaults, beside the existing kinds", () => {
    const spec = registry.monitorSpec.parse({ id: "up", service: "api", type: "always-up" });
    expect(spec).toMatchObject({ type: "always-up", latencyMs: 5, interval: 60_000, timeout: 10_000, failureThreshold: 2, samples: 1 });
    expect(registry.monitorSpec.parse({ id: "web", service: "api", type: "tcp", host: "127.0.0.1", port: 80 }).type).toBe("tcp");
  });

  it("reports its own and the shared problems by path", () => {
    const parsed = registry.monitorSpec.safeParse({
      id: "up",
      service: "api",
      type: "always-up",
      latencyMs: -1,
      degradedMs: 20_000,
      timeout: "5s",
      extra: 1,
    });
    expect(parsed.success).toBe(false);
    const lines = formatIssues(parsed.error!.issues);
    expect(lines).toEqual(
      expect.arrayContaining([expect.stringMatching(/^latencyMs: /), expect.stringMatching(/^\(root\): Unrecognized key: "extra"/)]),
    );
    const timing = registry.monitorSpec.safeParse({ id: "up", service: "api", type: "always-up", degradedMs: 20_000, timeout: "5s" });
    expect(formatIssues(timing.error!.issues)).toEqual(["degradedMs: must be below the timeout (5000 ms), got 20000"]);
  });

  it("runs its samples and is judged like every kind: latency, then the evaluator", async () => {
    const spec = registry.monitorSpec.parse({
      id: "up",
      service: "api",
      type: "always-up",
      latencyMs: 30,
      samples: 3,
      degradedMs: 20,
      failureThreshold: 1,
    });
    const result = await registry.runProbe(spec, {});
    expect(result).toMatchObject({ status: "degraded", latencyMs: 30, latency: { samples: 3, p50Ms: 30, maxMs: 30 } });
    expect(result.reason).toMatch(/20 ms/);
    const { state, events } = evaluate(initialState(0), result, spec, 1_000);
    expect(state.status).toBe("degraded");
    expect(events).toEqual([expect.objectContaining({ from: "unknown", to: "degraded" })]);
  });

  it("answers the reach check of POST /v1/probe with its own fact", () => {
    const spec = registry.monitorSpec.parse({ id: "up", service: "api", type: "always-up" });
    expect(registry.target(spec)).toEqual({ path: "type", host: "localhost" });
  });

  it("is refused by the type checker when a piece is missing or does not fit", () => {
    // @ts-expect-error — no `target`: a kind must say what it reaches.
    probeKind({ type: "always-up", schema: alwaysUpMonitor, run: alwaysUp.run });
    // @ts-expect-error — `type` must be the schema's `type` literal.
    probeKind({ type: "always-down", schema: alwaysUpMonitor, run: alwaysUp.run, target: alwaysUp.target });
    // @ts-expect-error — the schema must have the shared monitor fields (`...monitorBase` and `timing`).
    probeKind({ type: "bare", schema: z.strictObject({ type: z.literal("bare") }), run: alwaysUp.run, target: alwaysUp.target });
    expect(() => probeRegistry([...probes.kinds, probes.kinds[0]])).toThrow(/share a type/);
  });
});
