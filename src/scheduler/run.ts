/**
 * Running one batch of planned probe runs (inline in the cron invocation, or one queue message).
 *
 * 1. Walk the runs in time order, sleeping until each one's planned time, rounded to the launch
 *    grid (`LIMITS.launchGridMs`): runs due close together start in one wake-up.
 * 2. Skip a run whose monitor is still running (the same monitor never runs twice at once).
 * 3. Probe with at most `LIMITS.socketsPerInvocation` in flight; a monitor with `regions` is
 *    probed by each region's RegionObject, one with `locations` asks each agent's AgentObject
 *    for its latest result, and the votes are judged by quorum. With `retries`, a run that
 *    failed on the network (only: `failureClass`) is probed again after `delay`, holding its
 *    slot; the result says how many attempts it took.
 * 4. Record each result as it arrives (evaluate, store changes, tell the service object). A run
 *    whose probe itself failed (`failureClass` "internal": Vigil's fault, not the target's) is
 *    recorded as unknown: it never counts as down.
 * 5. Store the batch's raw results as one row (rolled up hourly, kept 48 h), and with them each
 *    monitor's last run time (one statement: what tells an overdue monitor, src/engine/overdue.ts)
 *    and the certificate each `tls` monitor read (for the daily digest; unchanged readings write nothing).
 * 6. With `telemetry.otlp`, export the batch's runs as spans in one request, handed to `defer`
 *    (`ctx.waitUntil`): the batch does not wait for the collector (src/telemetry/otlp.ts).
 */
import pLimit from "p-limit";
import type { ConfigEnv, MonitorSpec, VigilConfig } from "../config";
import { quorumOf } from "../config/monitors";
import { AGENT_LOCATION_PREFIX } from "../contract/report-constants";
import type { ProbeResult } from "../contract/probe";
import { combineRegions, type RegionResult, type SilentRegion } from "../engine/quorum";
import { failureClass, retryNetworkFailures, worstCaseRunMs } from "../engine/retry";
import { runsDue } from "../engine/plan";
import type { Job } from "../engine/schedule";
import type { Env } from "../env";
import { recordObservation } from "../incidents/record";
import { LIMITS } from "../limits";
import { regionStub } from "../objects/region";
import { runProbe } from "../probes";
import { loadStates, saveLastRuns } from "../store/check-state";
import { upsertCertificate } from "../store/certificates";
import { insertRawResults, type RawResult } from "../store/raw-results";
import { exportRuns, type RunRecord } from "../telemetry/otlp";

/**
 * One batch on the PROBE queue: which monitors, for which minute. The runs themselves are
 * planned again by the runner (`runsDue`), so the message stays small (a minute's batches fit
 * one `sendBatch`) and runs a slow delivery has missed are coalesced where they are run.
 */
export interface ProbeBatchMessage {
  /** ms epoch of the tick's minute. */
  minute: number;
  batch: number;
  monitors: string[];
}

export interface BatchSummary {
  planned: number;
  executed: number;
  /** Runs skipped because the previous run of the same monitor was still going. */
  skippedBusy: number;
  changes: number;
  /** How late each run started against its plan, ms. */
  startDelays: number[];
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** When a run planned at `at` starts: the nearest point of the launch grid. */
export const launchTime = (at: number) => Math.round(at / LIMITS.launchGridMs) * LIMITS.launchGridMs;

/**
 * One run of a monitor, with its retries after network failures: `attempts` is set when the
 * monitor has `retries`.
 */
export async function probeWithRetries(env: Env, spec: MonitorSpec): Promise<ProbeResult> {
  if (!spec.retries) return probeMonitor(env, spec);
  const { result, attempts } = await retryNetworkFailures(() => probeMonitor(env, spec), spec.retries, sleep);
  return { ...result, attempts };
}

/** How long past the probe's own worst case a region may take to answer before it counts as silent. */
const REGION_GRACE_MS = 5_000;
/** How much older than the monitor's interval (plus the agent's report interval) a location's result may be. */
const LOCATION_SLACK_MS = 30_000;

type Vote = { region: string; result: ProbeResult } | { region: string; why: string };

/** `ask()`, or why it gave nothing: failed, or no answer within `ms`. */
async function ask(
  region: string,
  ms: number,
  run: () => Promise<ProbeResult | { result: ProbeResult } | { why: string } | undefined>,
): Promise<Vote> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const silent = new Promise<never>(
    (_, reject) => (timer = setTimeout(() => reject(new Error(`did not answer within ${ms / 1000} s`)), ms)),
  );
  try {
    const answer = await Promise.race([run(), silent]);
    if (!answer) return { region, why: "answered nothing" };
    if ("why" in answer) return { region, why: answer.why };
    return { region, result: "result" in answer ? answer.result : answer };
  } catch (err) {
    return { region, why: (err as Error).message || "failed" };
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

/**
 * One attempt of a monitor: directly, or from each of its regions and locations with a quorum.
 * A region that does not answer (its object failed, or took longer than the probe's worst case
 * plus `REGION_GRACE_MS`) measured nothing and is left out of the vote (`combineRegions`). A
 * location (`agent:<id>`) votes with the latest result its agent reported, when recent enough;
 * a silent agent's location is left out the same way.
 */
async function probeMonitor(env: Env, spec: MonitorSpec): Promise<ProbeResult> {
  const regions = spec.regions ?? [];
  const locations = spec.locations ?? [];
  if (regions.length === 0 && locations.length === 0) return runProbe(spec, env as ConfigEnv);
  const startedAt = new Date().toISOString();
  const limit = spec.timeout * spec.samples + REGION_GRACE_MS;
  const maxAgeMs = spec.interval + worstCaseRunMs(spec.timeout, spec.samples, spec.retries) + LOCATION_SLACK_MS;
  const settled = await Promise.all([
    ...regions.map((region) => ask(region, limit, async () => (await regionStub(env, region).probe([spec]))[0])),
    ...locations.map((location) =>
      ask(location, REGION_GRACE_MS, () =>
        env.AGENT.getByName(location.slice(AGENT_LOCATION_PREFIX.length)).locationVote(spec.id, maxAgeMs),
      ),
    ),
  ]);
  const results: RegionResult[] = [];
  const silent: SilentRegion[] = [];
  for (const r of settled) {
    if ("why" in r) silent.push({ region: r.region, why: r.why });
    else results.push(r);
  }
  return combineRegions(results, quorumOf(spec), silent, startedAt);
}

/** Keeps work going after the invocation answered (`ctx.waitUntil`). */
export type Defer = (work: Promise<unknown>) => void;

/**
 * Runs a batch: by default the runs of its monitors due in its minute, as `runsDue` plans
 * them now; `planned` names other runs explicitly. `defer` receives the span export, when
 * telemetry is configured (default: not awaited).
 */
export async function runBatch(
  env: Env,
  config: VigilConfig,
  message: ProbeBatchMessage,
  planned?: Job[],
  defer: Defer = () => {},
): Promise<BatchSummary> {
  const specs = new Map(config.monitors.filter((m) => m.enabled).map((m) => [m.id, m]));
  const chosen = message.monitors.flatMap((id) => specs.get(id) ?? []);
  const jobs = (planned ?? runsDue(chosen, message.minute, Date.now()).jobs)
    .filter((j) => specs.has(j.monitorId))
    .sort((a, b) => a.at - b.at);
  const states = await loadStates(env.DB, [...new Set(jobs.map((j) => j.monitorId))]);
  const summary: BatchSummary = { planned: jobs.length, executed: 0, skippedBusy: 0, changes: 0, startDelays: [] };
  const raw: RawResult[] = [];
  /** The batch's runs as spans, kept only with `telemetry.otlp` (step 6). */
  const otlp = config.telemetry?.otlp;
  const runs: RunRecord[] = [];
  const certificates = new Map<string, D1PreparedStatement>();
  /** When each monitor's last run of the batch started (`check_state.last_run`, src/engine/overdue.ts). */
  const lastRuns = new Map<string, number>();
  const sockets = pLimit(LIMITS.socketsPerInvocation);
  const busy = new Set<string>();
  let recording: Promise<unknown> = Promise.resolve();
  const running: Promise<void>[] = [];

  for (const job of jobs) {
    // 1. Wait for the planned time, rounded to the launch grid (runs due near one grid point
    //    start together: after the first one's wait, Date.now() is that point).
    const wait = launchTime(job.at) - Date.now();
    if (wait > 0) await sleep(wait);
    // 2. Never twice at once.
    if (busy.has(job.monitorId)) {
      summary.skippedBusy++;
      continue;
    }
    const spec = specs.get(job.monitorId)!;
    busy.add(spec.id);
    running.push(
      (async () => {
        let result: ProbeResult;
        let startedAt = 0;
        try {
          // 3. Probe (with its retries), with a socket slot.
          result = await sockets(() => {
            startedAt = Date.now();
            summary.startDelays.push(Math.max(0, startedAt - job.at));
            return probeWithRetries(env, spec);
          });
        } finally {
          busy.delete(spec.id);
        }
        summary.executed++;
        lastRuns.set(spec.id, Math.max(lastRuns.get(spec.id) ?? 0, startedAt));
        const unknown = failureClass(result) === "internal";
        if (otlp) runs.push({ monitor: spec, result, endedAt: Date.now(), unknown });
        const status = unknown ? 3 : result.status === "up" ? 0 : result.status === "degraded" ? 1 : 2;
        const row: RawResult = [spec.id, startedAt - message.minute, status, Math.round(result.latencyMs)];
        const firstByte = result.firstByteMs === undefined ? null : Math.round(result.firstByteMs);
        if (result.attempts !== undefined && result.attempts > 1) raw.push([...row, firstByte, result.attempts]);
        else raw.push(firstByte === null ? row : [...row, firstByte]);
        if (spec.type === "tls" && result.tls)
          certificates.set(spec.id, upsertCertificate(env.DB, spec.id, spec.servername ?? spec.host, result.tls, startedAt));
        // 4. Record, one at a time, in completion order.
        recording = recording.then(async () => {
          const observation = unknown
            ? { status: "unknown" as const, ...(result.reason !== undefined && { reason: result.reason }) }
            : result;
          if (await recordObservation(env, config, states, { ...spec, kind: spec.type }, observation, Date.parse(result.checkedAt)))
            summary.changes++;
        });
        await recording;
      })(),
    );
  }
  const settled = await Promise.allSettled(running);
  try {
    // 5. Raw results, even when some runs failed to record (they are retried by the next run).
    if (raw.length > 0)
      await env.DB.batch([
        insertRawResults(env.DB, message.minute, message.batch, raw),
        saveLastRuns(env.DB, lastRuns),
        ...certificates.values(),
      ]);
  } finally {
    // 6. Spans, off the schedule: the batch does not wait for the collector.
    if (otlp && runs.length > 0) defer(exportRuns(env, otlp, runs, env.VIGIL_VERSION ?? "dev"));
  }
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
  if (failed) throw failed.reason;
  return summary;
}
