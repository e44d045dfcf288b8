/**
 * Auto-recovery, opt-in per check: restart a container (the only allow-listed action) when the
 * check is failing, at most once per cooldown and at most `maxAttempts` times; then give up
 * and say so in the report, so the worker escalates (runbook: "level 2 after three failed
 * automatic recoveries"). The counters reset when the check is `ok` after the cooldown, and they are kept
 * on disk so an agent restart does not reset a cooldown.
 *
 * `decide` is pure; `Remediator` does the I/O.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { CheckResult, CheckStatus, Remediation } from "../src/contract/report";
import { writeFileAtomic } from "./atomic-file";
import type { CheckSpec, RemediateSpec } from "./config";
import { DEFAULT_COOLDOWN_MS } from "./config-common";
import type { DockerClient } from "./docker-api";
import { formatDurationApprox as formatDuration } from "../lib/duration";
import type { Logger } from "./log";
import { errorText } from "./log";
import { isoTime } from "./time";

export interface RuleState {
  attempts: number;
  /** Unix ms of the last attempt. */
  lastAt: number | null;
  /** The cooldown that applies after the last attempt. */
  cooldownMs: number;
  gaveUp: boolean;
}

export const FRESH: RuleState = { attempts: 0, lastAt: null, cooldownMs: 0, gaveUp: false };

export type Decision =
  | { kind: "none"; state: RuleState }
  | { kind: "wait"; state: RuleState; remainingMs: number }
  | { kind: "act"; state: RuleState; attempt: number; cooldownMs: number }
  | { kind: "give-up"; state: RuleState };

/** The runbook cooldown for a check kind: database 5m, Redis 3m, app 2m; OOM 10m wins. */
export function cooldownFor(kind: CheckSpec["kind"], rule: RemediateSpec, oomKilled: boolean): number {
  if (oomKilled) return rule.oomCooldown;
  if (rule.cooldown !== undefined) return rule.cooldown;
  return kind === "postgres" ? DEFAULT_COOLDOWN_MS.database : kind === "redis" ? DEFAULT_COOLDOWN_MS.redis : DEFAULT_COOLDOWN_MS.app;
}

/** Pure: what to do about one check this cycle. */
export function decide(rule: RemediateSpec, state: RuleState, status: CheckStatus, cooldownMs: number, now: number): Decision {
  if (status === "ok") {
    // Recovered only when still ok once the cooldown has passed: a crash loop that is briefly
    // up right after a restart must not reset the attempt count.
    const settled = state.lastAt === null || now - state.lastAt >= state.cooldownMs;
    return { kind: "none", state: settled ? FRESH : state };
  }
  const triggered = status === "critical" || (rule.on === "warn" && status === "warn");
  if (!triggered || state.gaveUp) return { kind: "none", state };
  if (state.lastAt !== null && now - state.lastAt < state.cooldownMs) {
    return { kind: "wait", state, remainingMs: state.cooldownMs - (now - state.lastAt) };
  }
  if (state.attempts >= rule.maxAttempts) return { kind: "give-up", state: { ...state, gaveUp: true } };
  const attempt = state.attempts + 1;
  return { kind: "act", attempt, cooldownMs, state: { attempts: attempt, lastAt: now, cooldownMs, gaveUp: false } };
}

export interface RemediatorOptions {
  docker: DockerClient;
  log: Logger;
  /** Where the counters are kept; none keeps them in memory only. */
  stateFile?: string;
  dryRun: boolean;
  now?: () => number;
}

export class Remediator {
  #states = new Map<string, RuleState>();
  readonly #o: RemediatorOptions;
  readonly #now: () => number;

  constructor(options: RemediatorOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  static stateFileIn(stateDir: string): string {
    return join(stateDir, "remediation.json");
  }

  async load(): Promise<void> {
    if (!this.#o.stateFile || this.#o.dryRun) return;
    try {
      const data = JSON.parse(await readFile(this.#o.stateFile, "utf8")) as Record<string, RuleState>;
      this.#states = new Map(Object.entries(data));
    } catch {
      /* none yet */
    }
  }

  /**
   * Applies the rules of `specs` to this cycle's results (`results[i]` belongs to `specs[i]`
   * by check id). Adds `remediationAttempts` to each remediated check's metrics and returns
   * the report entries.
   */
  async apply(pairs: { spec: CheckSpec; id: string; result: CheckResult }[]): Promise<Remediation[]> {
    const out: Remediation[] = [];
    let changed = false;
    for (const { spec, id, result } of pairs) {
      const rule = spec.remediate;
      if (!rule) continue;
      const container = rule.container ?? (spec.kind === "docker" ? (spec.container ?? id.replace(/^docker:/, "")) : "");
      const prev = this.#states.get(id) ?? FRESH;
      const oom = (result.metrics?.oomKilled ?? 0) === 1;
      const d = decide(rule, prev, result.status, cooldownFor(spec.kind, rule, oom), this.#now());
      if (d.state !== prev) changed = true;
      this.#states.set(id, d.state);
      if (d.kind === "act") out.push(await this.#restart(id, container, rule, d.attempt, d.cooldownMs));
      if (d.kind === "give-up") {
        const detail = `gave up after ${rule.maxAttempts} restarts of ${container}; still ${result.status}: ${result.summary}`.slice(
          0,
          1000,
        );
        this.#o.log.error("remediation gave up", { check: id, container, attempts: rule.maxAttempts });
        out.push({ check: id, action: rule.action, attempt: rule.maxAttempts, outcome: "skipped", at: isoTime(this.#now()), detail });
      }
      result.metrics = { ...result.metrics, remediationAttempts: d.state.attempts, remediationGaveUp: d.state.gaveUp ? 1 : 0 };
    }
    if (changed && this.#o.stateFile && !this.#o.dryRun) {
      await writeFileAtomic(this.#o.stateFile, JSON.stringify(Object.fromEntries(this.#states))).catch((err: unknown) =>
        this.#o.log.warn("cannot save remediation state", { error: errorText(err) }),
      );
    }
    return out;
  }

  async #restart(check: string, container: string, rule: RemediateSpec, attempt: number, cooldownMs: number): Promise<Remediation> {
    const at = isoTime(this.#now());
    const plan = `restart container ${container} (attempt ${attempt}/${rule.maxAttempts}, cooldown ${formatDuration(cooldownMs)})`;
    if (this.#o.dryRun) {
      this.#o.log.info("remediation dry-run", { check, container, attempt });
      return { check, action: rule.action, attempt, outcome: "dry-run", at, detail: `would ${plan}` };
    }
    this.#o.log.warn("remediation: restarting container", { check, container, attempt, maxAttempts: rule.maxAttempts });
    try {
      const found = await this.#o.docker.restart(container, rule.stopTimeout / 1000);
      if (!found) return { check, action: rule.action, attempt, outcome: "failed", at, detail: `container ${container} does not exist` };
      // The restart call returning is not recovery: look again once the container had time to fail.
      await new Promise((r) => setTimeout(r, rule.verifyAfter));
      const after = await this.#o.docker.inspect(container);
      const s = after?.State;
      const ok = s?.Running === true && s.Health?.Status !== "unhealthy";
      const wait = formatDuration(rule.verifyAfter);
      const detail = ok
        ? `${plan}: running ${wait} after the restart`
        : !s
          ? `${plan}: container gone after the restart`
          : s.Running
            ? `${plan}: still unhealthy ${wait} after the restart`
            : `${plan}: ${s.Status} (${s.ExitCode}${s.OOMKilled ? ", OOMKilled" : ""}) within ${wait} of the restart`;
      this.#o.log.info("remediation outcome", { check, container, attempt, outcome: ok ? "succeeded" : "failed" });
      return { check, action: rule.action, attempt, outcome: ok ? "succeeded" : "failed", at, detail };
    } catch (err) {
      return { check, action: rule.action, attempt, outcome: "failed", at, detail: `${plan}: ${errorText(err)}`.slice(0, 1000) };
    }
  }
}
