/**
 * What a probe kind is: one module (`./http.ts`, `./dns.ts`, …) exporting one `ProbeKind` —
 * its monitor schema, its probe and the facts the rest of Vigil needs about it. `./kinds.ts`
 * lists them; the config's `monitors[]` union, the probe registry and the reach check of
 * `POST /v1/probe` are all built from that list (`probeRegistry`), so a kind is one file plus
 * one line there, and a kind missing a piece does not compile. CONTRIBUTING.md, "Adding a kind".
 */
import { z } from "zod";
import type { ConfigEnv } from "../config/common";
import type { ProbeResult } from "../contract/probe";
import { judgeLatency } from "./latency";

/** What every monitor spec has once parsed (`monitorBase` and `timing` in src/config/monitors.ts). */
export interface MonitorCommon {
  type: string;
  id: string;
  service: string;
  interval: number;
  timeout: number;
  samples: number;
  degradedMs?: number;
  downMs?: number;
}

/** A monitor schema: `z.strictObject({ ...monitorBase, type: z.literal("…"), … }).transform(timing)`. */
export type MonitorSchema = z.ZodType<MonitorCommon>;

/** Where a spec connects: the field that names it and its value, a URL or a bare host (`[::1]`, `db.internal`). */
export type ProbeTarget = { path: string; url: string } | { path: string; host: string };

export interface ProbeKind<S extends MonitorSchema = MonitorSchema> {
  /** The monitor's `type`, equal to the schema's `type` literal. */
  readonly type: z.output<S>["type"];
  /** The monitor spec as written in the config; its JSDoc is the reference (docs/reference.md). */
  readonly schema: S;
  /**
   * One sample. A failed probe is a result (`status: "down"` with a one-line reason, secrets
   * redacted), never a throw; `runProbe` runs `samples` of them and judges latency.
   */
  run(spec: z.output<S>, env: ConfigEnv): Promise<ProbeResult>;
  /** The host this spec reaches: `POST /v1/probe` refuses a private one no configured monitor targets. */
  target(spec: z.output<S>): ProbeTarget;
}

/** Identity with inference: `export const dns = probeKind({ type: "dns", schema: dnsMonitor, … })`. */
export function probeKind<S extends MonitorSchema>(kind: ProbeKind<S>): ProbeKind<S> {
  return kind;
}

// `any` here: each kind's `run` takes its own spec type, and a list holds them all.
// biome-ignore lint/suspicious/noExplicitAny: variance of a heterogeneous list
type AnyProbeKind = ProbeKind<any>;
type Schemas<K extends readonly AnyProbeKind[]> = { -readonly [I in keyof K]: K[I]["schema"] };

/**
 * Everything built from a list of kinds: the `monitors[]` union, the probe runner and the
 * reach facts. `./kinds.ts` calls it with Vigil's list; a test may call it with one more.
 */
export function probeRegistry<const K extends readonly [AnyProbeKind, ...AnyProbeKind[]]>(kinds: K) {
  type Spec = z.output<K[number]["schema"]>;
  const byType = new Map<string, AnyProbeKind>(kinds.map((k) => [k.type, k]));
  if (byType.size !== kinds.length) throw new Error("two probe kinds share a type");
  const schemas = kinds.map((k) => k.schema) as unknown as Schemas<K>;
  const kindOf = (spec: MonitorCommon) => byType.get(spec.type)!;

  /** Runs the monitor's probe `samples` times in a row (stopping at the first down) and judges latency. */
  async function runProbe(spec: Spec, env: ConfigEnv): Promise<ProbeResult> {
    const kind = kindOf(spec);
    const samples: ProbeResult[] = [];
    for (let i = 0; i < spec.samples; i++) {
      const result = await kind.run(spec, env).catch(
        (err: unknown): ProbeResult => ({
          // A probe reports failures as results; reaching here is a bug, which must not stop the tick.
          status: "down",
          latencyMs: 0,
          reason: `internal error in the ${spec.type} probe: ${(err as Error).message}`,
          checkedAt: new Date().toISOString(),
        }),
      );
      samples.push(result);
      if (result.status === "down") break;
    }
    return judgeLatency(samples, spec);
  }

  return {
    kinds,
    /** `monitors[]`: one entry per kind, told apart by `type`. */
    monitorSpec: z.discriminatedUnion("type", schemas),
    runProbe,
    /** The host a spec reaches, with the field that names it. */
    target: (spec: Spec): ProbeTarget => kindOf(spec).target(spec),
  };
}
