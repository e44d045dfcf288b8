/**
 * Delivers reports to the worker, oldest first, one at a time (so the worker sees `seq` in
 * order), each signed at send time with HMAC-SHA256 (`Vigil-Signature`).
 *
 * While the worker answers, a new report goes out from memory (no disk I/O: on these hosts a
 * spool round trip costs more CPU than a check). From the first failure on, reports go to the
 * disk spool — the one in memory too — and are replayed from there, oldest first, until it is
 * empty again. A crash loses at most the report in flight; a clean stop spools it.
 *
 * Runs beside the check loop and never blocks it: the loop only puts reports in the spool.
 * Failures back off exponentially with jitter; `Retry-After` is honoured; every request has
 * a time-out.
 *
 * | answer                    | what happens                                         |
 * |---------------------------|------------------------------------------------------|
 * | 2xx, 409                  | delivered (409: the worker already has that `seq`)   |
 * | 400, 413, 422             | the worker will never take it: moved to `rejected/`  |
 * | 401, 403, 429, 5xx, error | kept; retried after a backoff                        |
 */
import { mkdir, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Client, requestBuffer } from "./http-client";
import { createHmac } from "node:crypto";
import { SIGNATURE_HEADER, signatureHeader, signedText } from "../src/contract/signature";
import { backoff, retryAfterMs } from "../lib/backoff";
import type { Logger } from "./log";
import { errorText } from "./log";
import type { Spool, SpooledReport } from "./spool";
import { isoTime } from "./time";

export interface PusherOptions {
  /** Worker base URL, e.g. `https://vigil.example.com`. */
  url: string;
  agentId: string;
  secret: string;
  spool: Spool;
  log: Logger;
  /** Per request. Default 10 s. */
  timeoutMs?: number;
  /** First backoff. Default 1 s. */
  backoffBaseMs?: number;
  /** Longest backoff. Default 60 s. */
  backoffMaxMs?: number;
  /** Called after each report the worker accepted (the dead-man's heartbeat, agent/deadman.ts). */
  onDelivered?: () => void;
  /** Called with the worker's whole answer to each report it took (its `monitors`: agent/locations.ts). */
  onAnswer?: (body: string) => void;
}

export type PushResult = "delivered" | "rejected" | "retry";

/** Backoff with "equal jitter": half fixed, half random, so retries spread but never hammer. */
export const backoffMs = (failures: number, baseMs: number, maxMs: number, random = Math.random) =>
  Math.round(backoff(failures, baseMs, maxMs, random));

/** Seconds or an HTTP date → ms; null when absent or unreadable. */
export { retryAfterMs };

const SENT_AT = /"sentAt":"[^"\\]*"/;

/** The longest answer to a report that is read whole. */
const ANSWER_BYTES = 256 * 1024;

/**
 * The report `body` with its `sentAt` set to `iso`. A string edit, not a JSON round trip: in
 * JSON text `"sentAt":"` is always a key with a string value (a quote inside a string is
 * escaped), and only the report's top level has a string-valued `sentAt`.
 */
export function withSentAt(body: string, iso: string): string {
  if (SENT_AT.test(body)) return body.replace(SENT_AT, `"sentAt":${JSON.stringify(iso)}`);
  const report = JSON.parse(body) as Record<string, unknown>;
  report.sentAt = iso;
  return JSON.stringify(report);
}

/**
 * The contract's signature ({@link signatureHeader} over {@link signedText}) made with
 * node:crypto: WebCrypto's `subtle` would load another ~0.3 MiB of Node's modules into the
 * agent for the same HMAC-SHA256 (test/agent/push.test.ts checks the two agree).
 */
export function signReport(secret: string, body: string, unixSeconds: number): string {
  return signatureHeader(createHmac("sha256", secret).update(signedText(body, unixSeconds)).digest("hex"), unixSeconds);
}

export class Pusher {
  readonly endpoint: string;
  readonly #o: Required<PusherOptions>;
  /** One client for the worker's origin, kept for the agent's life (a new pool per push costs more than the push). */
  readonly #client: Client;
  readonly #path: string;
  #failures = 0;
  #running = false;
  #wake: (() => void) | null = null;
  #loop: Promise<void> | null = null;
  #inflight: AbortController | null = null;
  /** Reports newer than everything in the spool, not yet delivered, kept in memory. */
  #fresh: SpooledReport[] = [];
  /** Unix ms of the last delivery. */
  lastDeliveredAt: number | null = null;
  /** The last failed push, short (`401 (check the agent secret and the clock)`, `connect ECONNREFUSED …`); null after a delivery. */
  lastError: string | null = null;
  delivered = 0;

  constructor(options: PusherOptions) {
    this.#o = {
      timeoutMs: 10_000,
      backoffBaseMs: 1000,
      backoffMaxMs: 60_000,
      ...options,
      onDelivered: options.onDelivered ?? (() => undefined),
      onAnswer: options.onAnswer ?? (() => undefined),
    };
    this.endpoint = `${options.url.replace(/\/+$/, "")}/v1/agents/${encodeURIComponent(options.agentId)}/reports`;
    const url = new URL(this.endpoint);
    this.#path = url.pathname;
    this.#client = new Client(url.origin, { keepAliveTimeout: 60_000, connectTimeout: this.#o.timeoutMs });
  }

  get failures(): number {
    return this.#failures;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  /** Reports waiting, on disk and in memory. */
  get pending(): number {
    return this.#o.spool.size + this.#fresh.length;
  }

  /** Hands over a new report: kept in memory while the worker answers, spooled otherwise. */
  async submit(seq: number, body: string): Promise<void> {
    if (this.#running && this.#failures === 0 && this.#o.spool.size === 0) {
      this.#fresh.push({ seq, body });
      this.#wake?.();
      return;
    }
    await this.#o.spool.put(seq, body);
    if (this.#failures === 0) this.#wake?.();
  }

  /** Moves the in-memory reports to the spool (on a failed push, and on stop). */
  async #spoolFresh(): Promise<void> {
    const fresh = this.#fresh;
    this.#fresh = [];
    for (const r of fresh) await this.#o.spool.put(r.seq, r.body);
  }

  /** Stops after the request in flight (or aborts it after `graceMs`). */
  async stop(graceMs = 0): Promise<void> {
    this.#running = false;
    this.#wake?.();
    const timer = setTimeout(() => this.#inflight?.abort(), graceMs);
    await this.#loop;
    clearTimeout(timer);
    await this.#spoolFresh();
    await this.#client.close().catch(() => undefined);
  }

  async #run(): Promise<void> {
    while (this.#running) {
      const fromDisk = this.#o.spool.size > 0;
      const item = fromDisk ? await this.#o.spool.oldest() : (this.#fresh[0] ?? null);
      if (!item) {
        await this.#sleep(null);
        continue;
      }
      const { result, waitMs } = await this.send(item.seq, item.body);
      if (result === "delivered" || result === "rejected") {
        if (result === "rejected") await this.#reject(item, fromDisk);
        if (fromDisk) await this.#o.spool.remove(item.seq);
        else this.#fresh.shift();
      } else {
        await this.#spoolFresh();
        await this.#sleep(waitMs);
      }
    }
  }

  /** One delivery attempt of one report. */
  async send(seq: number, body: string): Promise<{ result: PushResult; waitMs: number }> {
    // sentAt is the moment of sending, also on replay; the rest of the body is as spooled.
    const payload = withSentAt(body, isoTime());
    const signature = signReport(this.#o.secret, payload, Math.floor(Date.now() / 1000));
    const ctrl = new AbortController();
    this.#inflight = ctrl;
    // Time-outs: the client's connectTimeout, and headersTimeout / bodyTimeout below (an
    // AbortSignal.timeout() would stay armed after the answer and fire for nothing).
    const signal = ctrl.signal;
    let status = 0;
    let retryAfter: number | null = null;
    let detail = "";
    let answer: string | null = null;
    try {
      const res = await requestBuffer(this.#client, {
        path: this.#path,
        method: "POST",
        body: payload,
        signal,
        headersTimeout: this.#o.timeoutMs,
        bodyTimeout: this.#o.timeoutMs,
        headers: { "content-type": "application/json", [SIGNATURE_HEADER]: signature, "user-agent": "vigil-agent" },
        // A small JSON object, with the monitors this agent runs (agent/locations.ts); only its start is logged.
        maxBytes: ANSWER_BYTES,
      });
      status = res.statusCode;
      retryAfter = retryAfterMs(res.headers["retry-after"]);
      detail = res.body.toString("utf8", 0, 1200).slice(0, 300);
      if (res.truncated) this.#o.log.warn("the worker's answer is over its limit; monitors not updated", { seq, limit: ANSWER_BYTES });
      else answer = res.body.toString("utf8");
    } catch (err) {
      detail = errorText(err);
    } finally {
      this.#inflight = null;
    }
    if ((status >= 200 && status < 300) || status === 409) {
      if (this.#failures > 0) this.#o.log.info("worker reachable again", { seq, afterFailures: this.#failures });
      this.#failures = 0;
      this.lastDeliveredAt = Date.now();
      this.lastError = null;
      this.delivered++;
      this.#o.onDelivered();
      if (answer !== null && status !== 409) this.#o.onAnswer(answer);
      return { result: "delivered", waitMs: 0 };
    }
    if (status === 400 || status === 413 || status === 422) {
      this.#o.log.error("worker rejected a report; set aside", { seq, status, detail });
      return { result: "rejected", waitMs: 0 };
    }
    this.#failures++;
    const wait = Math.max(
      backoffMs(this.#failures, this.#o.backoffBaseMs, this.#o.backoffMaxMs),
      Math.min(retryAfter ?? 0, 10 * this.#o.backoffMaxMs),
    );
    const hint = status === 401 || status === 403 ? " (check the agent secret and the clock)" : "";
    this.lastError = status ? `${status}${hint}` : (detail || "no answer").slice(0, 200);
    this.#o.log.warn(`push failed${hint}`, {
      seq,
      status: status || undefined,
      error: status ? detail : detail || "no answer",
      retryInMs: wait,
      spooled: this.#o.spool.size,
    });
    return { result: "retry", waitMs: wait };
  }

  /** Keeps a report the worker refuses in `<stateDir>/rejected/` for a human to look at. */
  async #reject(item: SpooledReport, fromDisk: boolean): Promise<void> {
    const dir = join(this.#o.spool.dir, "..", "rejected");
    const name = `${String(item.seq).padStart(20, "0")}.json`;
    try {
      await mkdir(dir, { recursive: true });
      if (fromDisk) await rename(join(this.#o.spool.dir, name), join(dir, name));
      else await writeFile(join(dir, name), item.body);
    } catch (err) {
      this.#o.log.warn("cannot keep the rejected report", { seq: item.seq, error: errorText(err) });
    }
  }

  #sleep(ms: number | null): Promise<void> {
    if (!this.#running) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wake = null;
        resolve();
      };
      const timer = ms === null ? undefined : setTimeout(done, ms);
      // While backing off, only stop() wakes us; when idle, a new report does.
      this.#wake = ms === null ? done : () => (this.#running ? undefined : done());
    });
  }
}
