/**
 * The agent's half of a mutual dead-man: the worker pages when the agent falls silent; the
 * agent alerts through a channel of its own on the host when the worker has accepted none of
 * its reports for `after` (worker unreachable, the agent's secret revoked — 401 —, the
 * platform down), once per outage, and sends a recovery message when reports flow again.
 *
 * The channel is a webhook (a JSON POST with a time-out, signed per Standard Webhooks when a
 * `whsec_` secret is given) or a command run with arguments, no shell, the same JSON on its
 * standard input. A delivery that fails is tried again at the next cycle; an alert never
 * delivered before the worker came back owes no recovery.
 *
 *   state        event                        does
 *   up           tick, silent ≥ after         → down: send the alert
 *   down         report accepted              → up: send the recovery (when the alert went out)
 *   down / up    tick with a delivery owed    try it again
 */
import { spawn } from "node:child_process";
import { formatDurationApprox as formatDuration } from "../lib/duration";
import { standardWebhookHeaders, webhookKey } from "../lib/standard-webhooks";
import type { Logger } from "./log";
import { errorText } from "./log";
import { isoTime } from "./time";
import { Client, requestBuffer } from "./http-client";

export type DeadManEventType = "agent.worker_unreachable" | "agent.worker_reachable";

/** What the channel receives (JSON). */
export interface DeadManEvent {
  type: DeadManEventType;
  agent: { id: string; hostname: string };
  /** When the worker last accepted a report (or the agent started, when it has not yet). */
  lastAcceptedAt: string;
  /** When this was decided. */
  at: string;
  /** Seconds without an accepted report (for the recovery: how long the outage lasted). */
  silentSeconds: number;
  /** Reports waiting in the spool. */
  pending: number;
  /** The last push failure (`401 …`, `connect ECONNREFUSED …`), null when none is known. */
  lastError: string | null;
  /** One line for a human. */
  summary: string;
}

export interface DeadManOptions {
  agentId: string;
  hostname: string;
  /** Silence after which the alert goes out, ms. */
  afterMs: number;
  /** Limit for one delivery (webhook request or command), ms. */
  timeoutMs: number;
  webhook?: { url: string; secret?: string };
  /** Program and arguments, run without a shell. */
  command?: string[];
  log: Logger;
  /** Clock (unix ms). Default `Date.now`. */
  now?: () => number;
  /** The pusher's view: reports waiting and the last failure. */
  status?: () => { pending: number; lastError: string | null };
}

/** The event for `type`, pure: `lastAccepted` and `now` in unix ms. */
export function deadManEvent(
  type: DeadManEventType,
  o: { agentId: string; hostname: string; lastAccepted: number; now: number; pending: number; lastError: string | null },
): DeadManEvent {
  const silentSeconds = Math.max(0, Math.round((o.now - o.lastAccepted) / 1000));
  const who = `vigil-agent ${o.agentId} on ${o.hostname}`;
  const waiting = `${o.pending} report${o.pending === 1 ? "" : "s"} waiting`;
  const summary =
    type === "agent.worker_unreachable"
      ? `${who}: the Vigil worker has accepted no report for ${formatDuration(silentSeconds * 1000)} (since ${isoTime(o.lastAccepted)}); ${waiting}${o.lastError ? `; last error: ${o.lastError}` : ""}`
      : `${who}: the Vigil worker accepts reports again after ${formatDuration(silentSeconds * 1000)}; ${waiting}`;
  return {
    type,
    agent: { id: o.agentId, hostname: o.hostname },
    lastAcceptedAt: isoTime(o.lastAccepted),
    at: isoTime(o.now),
    silentSeconds,
    pending: o.pending,
    lastError: o.lastError,
    summary,
  };
}

export class DeadMan {
  readonly #o: DeadManOptions;
  readonly #now: () => number;
  #lastAccepted: number;
  /** The worker has been silent for `after` or more. */
  #down = false;
  /** The alert for the current (or last) outage went out. */
  #alerted = false;
  /** When the current outage began (the last acceptance before it). */
  #since = 0;
  #sending: Promise<void> | null = null;
  /** Alerts and recoveries delivered (for the self check and tests). */
  delivered = 0;

  constructor(options: DeadManOptions) {
    if (!options.webhook === !options.command) throw new Error("deadMan: needs exactly one of webhook and command");
    if (options.webhook?.secret) webhookKey(options.webhook.secret); // a malformed secret fails at start, not at the first alert
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#lastAccepted = this.#now();
  }

  /** The worker accepted a report (called by the pusher). */
  accepted(): void {
    this.#lastAccepted = this.#now();
    if (this.#down) {
      this.#down = false;
      this.#o.log.info("dead-man: the worker accepts reports again", { alerted: this.#alerted });
    }
    this.#pump();
  }

  /** Once per cycle: goes down when the worker has been silent for `after`; retries a delivery owed. */
  tick(): void {
    if (!this.#down && this.#now() - this.#lastAccepted >= this.#o.afterMs) {
      this.#down = true;
      this.#since = this.#lastAccepted;
      this.#o.log.warn("dead-man: the worker has accepted no report", { forMs: this.#now() - this.#lastAccepted });
    }
    this.#pump();
  }

  /** Waits for the delivery in flight, if any. */
  async idle(): Promise<void> {
    while (this.#sending) await this.#sending;
  }

  #pump(): void {
    if (this.#sending || this.#down === this.#alerted) return;
    const type: DeadManEventType = this.#down ? "agent.worker_unreachable" : "agent.worker_reachable";
    const status = this.#o.status?.() ?? { pending: 0, lastError: null };
    const now = this.#now();
    const event = deadManEvent(type, {
      agentId: this.#o.agentId,
      hostname: this.#o.hostname,
      lastAccepted: this.#down ? this.#lastAccepted : this.#since,
      now,
      pending: status.pending,
      lastError: this.#down ? status.lastError : null,
    });
    event.summary = this.#o.log.scrub(event.summary);
    if (event.lastError) event.lastError = this.#o.log.scrub(event.lastError);
    // One id per outage and type: a receiver can de-duplicate a retried delivery.
    const id = `vigil-agent:${this.#o.agentId}:${type}:${this.#since}`;
    this.#sending = this.#deliver(id, event)
      .then(
        () => {
          this.#alerted = type === "agent.worker_unreachable";
          this.delivered++;
          this.#o.log.info("dead-man: message delivered", { type });
        },
        (err: unknown) => this.#o.log.error("dead-man: cannot deliver; trying again next cycle", { type, error: errorText(err) }),
      )
      .finally(() => {
        this.#sending = null;
        // The worker may have come back (or gone) while this was in flight: only a success moves on.
        if (this.#alerted !== (type === "agent.worker_unreachable") || this.#down === this.#alerted) return;
        this.#pump();
      });
  }

  async #deliver(id: string, event: DeadManEvent): Promise<void> {
    const body = JSON.stringify(event);
    if (this.#o.webhook) return this.#post(this.#o.webhook, id, body);
    return this.#run(this.#o.command!, event, body);
  }

  async #post(webhook: { url: string; secret?: string }, id: string, body: string): Promise<void> {
    const url = new URL(webhook.url);
    const timeout = this.#o.timeoutMs;
    const client = new Client(url.origin, { connectTimeout: timeout });
    const ctrl = new AbortController();
    const timer = setTimeout(() => ctrl.abort(new Error(`no answer within ${formatDuration(timeout)}`)), timeout);
    try {
      const headers: Record<string, string> = { "content-type": "application/json", "user-agent": "vigil-agent" };
      if (webhook.secret) Object.assign(headers, standardWebhookHeaders(webhook.secret, id, Math.floor(Date.now() / 1000), body));
      const res = await requestBuffer(client, {
        method: "POST",
        path: `${url.pathname}${url.search}`,
        headers,
        body,
        signal: ctrl.signal,
        headersTimeout: timeout,
        bodyTimeout: timeout,
        maxBytes: 4096,
      });
      if (res.statusCode < 200 || res.statusCode >= 300) throw new Error(`webhook ${url.host} answered ${res.statusCode}`);
    } finally {
      clearTimeout(timer);
      await client.close().catch(() => undefined);
    }
  }

  #run(command: string[], event: DeadManEvent, body: string): Promise<void> {
    const [file, ...args] = command as [string, ...string[]];
    const timeout = this.#o.timeoutMs;
    return new Promise<void>((resolve, reject) => {
      const child = spawn(file, args, {
        shell: false,
        stdio: ["pipe", "ignore", "pipe"],
        env: { ...process.env, VIGIL_DEADMAN_TYPE: event.type, VIGIL_DEADMAN_SUMMARY: event.summary },
      });
      let stderr = "";
      child.stderr!.on("data", (d: Buffer) => (stderr = (stderr + d.toString("utf8")).slice(-500)));
      child.stdin!.on("error", () => undefined); // a command that does not read its input
      child.stdin!.end(body);
      const timer = setTimeout(() => child.kill("SIGKILL"), timeout);
      child.once("error", (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.once("close", (code, signal) => {
        clearTimeout(timer);
        if (code === 0) resolve();
        else
          reject(
            new Error(
              `${file} ended by ${signal ? `${signal}${signal === "SIGKILL" ? ` (time-out ${formatDuration(timeout)})` : ""}` : `exit code ${code}`}${stderr.trim() ? `: ${stderr.trim()}` : ""}`,
            ),
          );
      });
    });
  }
}
