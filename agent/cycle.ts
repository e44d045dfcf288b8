/**
 * One check cycle: every configured check runs concurrently under its own time-out; the
 * findings become the report's `checks` entries. A check that throws is `unknown`; one that
 * outlives its time-out is `critical` (a hung database is a down database).
 */
import type { CheckResult } from "../src/contract/report";
import type { CheckContext, Finding } from "./checks/check";
import { runners } from "./checks/index";
import type { CheckSpec } from "./config";
import { checkId } from "./checks/kinds";
import type { DockerClient } from "./docker-api";
import { formatDurationApprox as formatDuration } from "../lib/duration";
import { errorText } from "./log";
import { isoTime, monotonicMs } from "./time";

export interface SpecResult {
  spec: CheckSpec;
  id: string;
  result: CheckResult;
}

/** Per-check memory between cycles (counters for deltas, file offsets, CPU ticks). */
export type CycleMemory = Map<string, Map<string, unknown>>;

export async function runChecks(
  specs: CheckSpec[],
  docker: DockerClient,
  memory: CycleMemory,
  now: () => number = Date.now,
): Promise<SpecResult[]> {
  const all = await Promise.all(specs.map((spec) => runOne(spec, docker, memory, now)));
  return all.flat();
}

async function runOne(spec: CheckSpec, docker: DockerClient, memory: CycleMemory, now: () => number): Promise<SpecResult[]> {
  const id = checkId(spec);
  let mem = memory.get(id);
  if (!mem) memory.set(id, (mem = new Map()));
  const started = now();
  const t0 = monotonicMs();
  const ctrl = new AbortController();
  const ctx: CheckContext = { signal: ctrl.signal, docker, memory: mem, now };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Finding[]>((resolve) => {
    timer = setTimeout(() => {
      ctrl.abort(new Error("check timed out"));
      resolve([{ status: "critical", summary: `no answer within ${formatDuration(spec.timeout)}` }]);
    }, spec.timeout);
  });
  let findings: Finding[];
  try {
    const run = runners[spec.kind] as (s: CheckSpec, c: CheckContext) => Promise<Finding[]>;
    findings = await Promise.race([run(spec, ctx), timeout]);
  } catch (err) {
    findings = [{ status: ctrl.signal.aborted ? "critical" : "unknown", summary: `check failed: ${errorText(err)}` }];
  } finally {
    clearTimeout(timer);
  }
  const durationMs = Math.round((monotonicMs() - t0) * 100) / 100;
  const observedAt = isoTime(started);
  return findings.map((f) => {
    const fid = f.id ?? id;
    const result: CheckResult = {
      id: fid,
      kind: spec.kind,
      status: f.status,
      summary: f.summary.slice(0, 1000),
      observedAt,
      durationMs,
      metrics: cleanMetrics(f.metrics),
    };
    return { spec, id: fid, result };
  });
}

/** Closes what checks keep between runs (connections): every remembered value with a `close()`. */
export function closeMemory(memory: CycleMemory): void {
  for (const mem of memory.values()) {
    for (const [k, v] of mem) {
      if (v && typeof (v as { close?: unknown }).close === "function") {
        (v as { close(): void }).close();
        mem.delete(k);
      }
    }
  }
}

/** Drops undefined and non-finite numbers: the contract takes plain numbers only. */
export function cleanMetrics(m: Record<string, number | undefined> | undefined): Record<string, number> | undefined {
  if (!m) return undefined;
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(m)) if (typeof v === "number" && Number.isFinite(v)) out[k] = v;
  return out;
}
