/**
 * The agent's HTTP client: one kept-alive connection per origin (or unix socket) on Node's own
 * `node:http`, and one way to make a request, {@link requestBuffer}, that keeps the whole
 * answer in memory.
 *
 * Why `node:http` and not undici: Node parses HTTP/1.1 in C++ (llhttp, native), where undici
 * compiles the same parser as WebAssembly in every process, and undici's public entry loads
 * all its dispatchers, fetch, WebSocket and caches with it. Measured with `npm run bench:agent`
 * (BENCHMARKS.md, "Agent", 2026-12-06): on `node:http` the agent stays at 52.9 MiB resident,
 * on undici's public `Client` at 55.0 MiB, at the same CPU per cycle.
 *
 * Time-outs are undici's three, kept per phase on one timer: `connectTimeout` (a new
 * connection), `headersTimeout` (from the request to the answer's headers), `bodyTimeout` (any
 * pause in the body). No `AbortSignal.timeout()`: it stays armed after the answer and, firing
 * later, builds a DOMException and an abort event for nothing.
 */
import http from "node:http";
import type { Agent as HttpsAgent } from "node:https";

export interface ClientOptions {
  /** Connect to this unix socket instead of the origin's host and port (the Docker API). */
  socketPath?: string;
  /** How long an idle connection is kept, ms. Default 4 s. */
  keepAliveTimeout?: number;
  /** Limit for opening a connection, ms. Default 10 s. */
  connectTimeout?: number;
}

/** One origin (`http://host:port` or `https://…`), at most one connection to it, kept alive between requests. */
export class Client {
  readonly origin: URL;
  readonly #options: ClientOptions;
  #agent: http.Agent | HttpsAgent | null = null;
  #https: typeof import("node:https") | null = null;

  constructor(origin: string, options: ClientOptions = {}) {
    this.origin = new URL(origin);
    if (this.origin.protocol !== "http:" && this.origin.protocol !== "https:") throw new Error(`origin: expected http:// or https://, got "${origin}"`);
    this.#options = options;
  }

  get connectTimeout(): number {
    return this.#options.connectTimeout ?? 10_000;
  }

  /** The `request` function and agent for this origin; node:https is loaded only for an https origin. */
  async transport(): Promise<{ request: typeof http.request; agent: http.Agent }> {
    const secure = this.origin.protocol === "https:";
    if (secure && !this.#https) this.#https = await import("node:https");
    const mod = secure ? this.#https! : http;
    // maxSockets 1: requests to one origin queue on one connection, as on undici's Client.
    this.#agent ??= new mod.Agent({ keepAlive: true, maxSockets: 1, timeout: this.#options.keepAliveTimeout ?? 4000 });
    return { request: mod.request as typeof http.request, agent: this.#agent as http.Agent };
  }

  /** Closes the connection (and ends a request in flight). */
  async close(): Promise<void> {
    this.#agent?.destroy();
    this.#agent = null;
  }

  /** Options for `request()` that say where to connect. */
  target(): http.RequestOptions {
    if (this.#options.socketPath) return { socketPath: this.#options.socketPath, host: this.origin.hostname };
    return { host: this.origin.hostname.replace(/^\[|\]$/g, ""), port: this.origin.port || undefined };
  }
}

export interface BufferedRequest {
  method: "GET" | "HEAD" | "POST" | "PUT" | "DELETE" | "PATCH" | "OPTIONS";
  /** Path and query, e.g. `/containers/x/json?all=1`. */
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  signal?: AbortSignal;
  /** Limit for the answer's headers, ms. */
  headersTimeout: number;
  /** Limit for any pause in the answer's body, ms. */
  bodyTimeout: number;
  /** Keep at most this many body bytes; beyond, the request is ended and `truncated` set. Default 16 MiB. */
  maxBytes?: number;
}

export interface BufferedResponse {
  statusCode: number;
  /** Lower-case names; a header sent more than once is an array. */
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** The body was cut at `maxBytes` (the connection was closed there). */
  truncated: boolean;
}

/** A time-out of {@link requestBuffer}: `phase` says which limit was reached. */
export class HttpTimeoutError extends Error {
  constructor(
    readonly phase: "connect" | "headers" | "body",
    ms: number,
  ) {
    super(phase === "connect" ? `connect timed out after ${ms} ms` : phase === "headers" ? `no answer headers within ${ms} ms` : `answer body paused for ${ms} ms`);
    this.name = "HttpTimeoutError";
  }
}

/**
 * One request on `client`, the whole answer (up to `maxBytes`) in memory.
 *
 * A request that went out on a kept-alive connection the server had just closed (`ECONNRESET`
 * before any answer, `request.reusedSocket`) is sent once more on a new connection, as Node's
 * documentation advises. The agent's requests bear that: a report sent twice is answered 409
 * (the worker has its `seq`), a dead-man alert carries its `webhook-id`, Docker calls are reads.
 */
export async function requestBuffer(client: Client, o: BufferedRequest): Promise<BufferedResponse> {
  const signal = o.signal;
  if (signal?.aborted) throw signal.reason;
  const { request, agent } = await client.transport();
  if (signal?.aborted) throw signal.reason;
  const maxBytes = o.maxBytes ?? 16 * 1024 * 1024;
  return new Promise<BufferedResponse>((resolve, reject) => {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const chunks: Buffer[] = [];
    let size = 0;
    let req: http.ClientRequest;
    const arm = (phase: HttpTimeoutError["phase"], ms: number) => {
      clearTimeout(timer);
      timer = setTimeout(() => req.destroy(new HttpTimeoutError(phase, ms)), ms);
    };
    const onAbort = () => req.destroy(signal!.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    const settle = (err: unknown, res?: BufferedResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      if (res) resolve(res);
      else reject(err);
    };
    const send = (first: boolean) => {
      const r = (req = request({ ...client.target(), agent, method: o.method, path: o.path, headers: o.headers }));
      let answered = false;
      // `on`, not `once`: an error after the answer (there should be none) must not go unhandled.
      r.on("error", (err: NodeJS.ErrnoException) => {
        if (r !== req) return; // the attempt given up for a new connection
        if (first && !answered && r.reusedSocket && err.code === "ECONNRESET" && !signal?.aborted) return send(false);
        settle(err);
      });
      r.once("socket", (socket) => {
        if (!socket.connecting) return arm("headers", o.headersTimeout);
        arm("connect", client.connectTimeout);
        socket.once("connect", () => settled || r !== req || arm("headers", o.headersTimeout));
      });
      r.once("response", (res) => {
        answered = true;
        arm("body", o.bodyTimeout);
        const headers: BufferedResponse["headers"] = {};
        const raw = res.rawHeaders;
        for (let i = 0; i < raw.length; i += 2) {
          const name = raw[i]!.toLowerCase();
          const seen = headers[name];
          headers[name] = seen === undefined ? raw[i + 1]! : Array.isArray(seen) ? [...seen, raw[i + 1]!] : [seen, raw[i + 1]!];
        }
        const done = (truncated: boolean) =>
          settle(null, { statusCode: res.statusCode ?? 0, headers, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size), truncated });
        res.on("data", (chunk: Buffer) => {
          if (settled) return;
          timer?.refresh();
          if (size + chunk.length > maxBytes) {
            if (maxBytes > size) chunks.push(chunk.subarray(0, maxBytes - size));
            size = Math.max(size, maxBytes);
            done(true);
            r.destroy();
            return;
          }
          chunks.push(chunk);
          size += chunk.length;
        });
        res.once("end", () => done(false));
        res.on("error", settle);
        res.once("close", () => settle(new Error("the connection closed before the answer ended")));
      });
      r.end(o.body);
    };
    send(true);
  });
}
