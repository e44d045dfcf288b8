/**
 * The agent: every interval, run the checks, apply remediation rules, turn the results into a
 * report, put it in the spool; the pusher delivers the spool beside this loop. A slow or dead
 * worker therefore never delays a check.
 */
import { hostname } from "node:os";
import type { AgentReport, CheckResult } from "../src/contract/report";
import { REPORT_SCHEMA_VERSION } from "../src/contract/report-constants";
import type { AgentConfig } from "./config";
import { readSecret } from "./config-common";
import { type CycleMemory, closeMemory, runChecks } from "./cycle";
import { DeadMan } from "./deadman";
import { DockerClient, dockerSocketPath } from "./docker-api";
import { Locations } from "./locations";
import type { Logger } from "./log";
import { errorText } from "./log";
import { Pusher } from "./push";
import { Remediator } from "./remediate";
import { Spool } from "./spool";
import { isoTime } from "./time";
import { AGENT_VERSION } from "./version";

export interface AgentOptions {
  config: AgentConfig;
  log: Logger;
  /** Report what remediation would do, without doing it. Default: the config's `dryRun`. */
  dryRun?: boolean;
  /** Spool and push reports (`run`); without, reports are only returned (`once`). Default true. */
  push?: boolean;
  /** The dead-man's clock (unix ms). Default `Date.now`. */
  now?: () => number;
}

export class Agent {
  readonly config: AgentConfig;
  readonly docker: DockerClient;
  readonly spool: Spool | null;
  readonly pusher: Pusher | null;
  /** Alerts on the host when the worker stops accepting reports (`deadMan` in the config). */
  readonly deadMan: DeadMan | null;
  /** The worker's monitors this agent runs as a private location (agent/locations.ts); null without a worker. */
  readonly locations: Locations | null;
  readonly #log: Logger;
  readonly #remediator: Remediator;
  readonly #memory: CycleMemory = new Map();
  #stopped = false;
  #wakeLoop: (() => void) | null = null;
  #droppedReported = 0;

  private constructor(o: AgentOptions, spool: Spool | null, pusher: Pusher | null, deadMan: DeadMan | null, locations: Locations | null) {
    this.config = o.config;
    this.locations = locations;
    this.#log = o.log;
    this.spool = spool;
    this.pusher = pusher;
    this.deadMan = deadMan;
    this.docker = new DockerClient({ socketPath: dockerSocketPath(o.config.docker.socket) });
    this.#remediator = new Remediator({
      docker: this.docker,
      log: o.log,
      dryRun: o.dryRun ?? o.config.dryRun,
      stateFile: spool ? Remediator.stateFileIn(o.config.stateDir) : undefined,
    });
  }

  /** Opens the spool, reads the secret, loads remediation state. */
  static async create(o: AgentOptions): Promise<Agent> {
    const push = o.push ?? true;
    let spool: Spool | null = null;
    let pusher: Pusher | null = null;
    let deadMan: DeadMan | null = null;
    let locations: Locations | null = null;
    if (push) {
      const worker = o.config.worker;
      if (!worker) throw new Error("config: worker is required to run (it says where reports go)");
      const secret = await readSecret(worker.secret);
      o.log.redact(secret);
      spool = new Spool(o.config.stateDir, o.config.spool);
      await spool.open();
      deadMan = await Agent.#deadMan(o, () => ({ pending: pusher?.pending ?? 0, lastError: pusher?.lastError ?? null }));
      const onDelivered = deadMan ? deadMan.accepted.bind(deadMan) : undefined;
      locations = new Locations({
        enabled: o.config.monitors !== undefined,
        secrets: o.config.monitors?.secrets ?? [],
        agentVersion: AGENT_VERSION,
        log: o.log,
      });
      const taken = locations;
      pusher = new Pusher({
        onAnswer: (body) => taken.fromAnswer(body),
        url: worker.url,
        agentId: o.config.agent.id,
        secret,
        spool,
        log: o.log,
        timeoutMs: worker.timeout,
        backoffBaseMs: worker.retryMin,
        backoffMaxMs: worker.retryMax,
        onDelivered,
      });
    }
    const agent = new Agent(o, spool, pusher, deadMan, locations);
    await agent.#remediator.load();
    return agent;
  }

  static async #deadMan(o: AgentOptions, status: () => { pending: number; lastError: string | null }): Promise<DeadMan | null> {
    const d = o.config.deadMan;
    if (!d) return null;
    let secret: string | undefined;
    if (d.webhook?.secret) {
      secret = await readSecret(d.webhook.secret);
      o.log.redact(secret);
    }
    try {
      return new DeadMan({
        agentId: o.config.agent.id,
        hostname: o.config.agent.hostname ?? hostname(),
        afterMs: d.after,
        timeoutMs: d.timeout,
        webhook: d.webhook ? { url: d.webhook.url, secret } : undefined,
        command: d.command,
        log: o.log,
        now: o.now,
        status,
      });
    } catch (err) {
      throw new Error(`config: deadMan: ${errorText(err)}`);
    }
  }

  /** One cycle: checks, remediation, report. With push, the report is spooled and handed to the pusher. */
  async cycle(): Promise<AgentReport> {
    // The worker's monitors run beside the checks; what finished by the report goes in it.
    this.locations?.start();
    const pairs = await runChecks(this.config.checks, this.docker, this.#memory);
    const remediations = await this.#remediator.apply(pairs);
    const checks = pairs.map((p) => p.result);
    if (this.spool) checks.push(this.#selfCheck());
    const seq = this.spool ? await this.spool.nextSeq() : 0;
    // Typed by the contract, not parsed by its schema on every cycle (~1 ms of CPU and garbage
    // per cycle): `once` parses it, and so do the worker and the tests' ingest server.
    const report: AgentReport = {
      schemaVersion: REPORT_SCHEMA_VERSION,
      agent: { id: this.config.agent.id, version: AGENT_VERSION, hostname: this.config.agent.hostname ?? hostname() },
      seq,
      sentAt: isoTime(),
      intervalSeconds: Math.round(this.config.interval / 1000),
      checks: checks.slice(0, 500),
      remediations: remediations.slice(0, 100),
    };
    const probes = this.locations?.take() ?? [];
    if (probes.length > 0) report.probes = probes.slice(0, 100);
    if (this.pusher) await this.pusher.submit(seq, JSON.stringify(report));
    this.deadMan?.tick();
    const bad = checks.filter((c) => c.status !== "ok");
    this.#log.info("cycle", {
      seq,
      checks: checks.length,
      notOk: bad.map((c) => `${c.id}=${c.status}`),
      remediations: remediations.length,
      ...(probes.length > 0 && { probes: probes.map((p) => `${p.monitor}=${p.result.status}`) }),
      pending: this.pusher?.pending,
    });
    return report;
  }

  /** The agent's own health: spool depth, drops, push failures. */
  #selfCheck(): CheckResult {
    const spool = this.spool!;
    const pusher = this.pusher!;
    const droppedNow = spool.dropped - this.#droppedReported;
    this.#droppedReported = spool.dropped;
    const age = pusher.lastDeliveredAt === null ? undefined : Math.round((Date.now() - pusher.lastDeliveredAt) / 1000);
    const summary = `${pusher.pending} reports waiting${droppedNow ? `, ${droppedNow} dropped (spool full)` : ""}; ${pusher.failures} failed pushes in a row${age === undefined ? "" : `; last delivered ${age} s ago`}`;
    const metrics: Record<string, number> = {
      spooled: spool.size,
      pending: pusher.pending,
      spoolBytes: spool.bytes,
      dropped: droppedNow,
      pushFailures: pusher.failures,
    };
    if (age !== undefined) metrics.lastDeliveredSecondsAgo = age;
    return { id: "agent:self", kind: "agent", status: droppedNow ? "warn" : "ok", summary, observedAt: isoTime(), durationMs: 0, metrics };
  }

  /** Runs cycles every interval until `stop()`. A cycle that overruns skips the ticks it missed. */
  async run(): Promise<void> {
    this.pusher?.start();
    const interval = this.config.interval;
    let next = Date.now();
    while (!this.#stopped) {
      try {
        await this.cycle();
      } catch (err) {
        this.#log.error("cycle failed", { error: errorText(err) });
      }
      next += interval;
      const now = Date.now();
      if (next <= now) {
        const missed = Math.ceil((now - next) / interval);
        this.#log.warn("cycle overran its interval", { missed });
        next += missed * interval;
      }
      if (this.#stopped) break;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, next - now);
        this.#wakeLoop = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }

  /** Stops the loop; gives the pusher `graceMs` to deliver what is in flight. Spooled reports stay for the next start. */
  async stop(graceMs = 2000): Promise<void> {
    this.#stopped = true;
    this.#wakeLoop?.();
    await this.pusher?.stop(graceMs);
    await this.deadMan?.idle(); // a delivery in flight ends within its own time-out
    closeMemory(this.#memory);
    await this.docker.close().catch(() => undefined);
  }
}
