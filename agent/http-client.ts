/**
 * The agent's HTTP client: undici's `Client` (one kept-alive connection per origin or unix
 * socket), and one way to make a request, {@link requestBuffer}, that keeps the whole answer
 * in memory.
 *
 * Why undici: it is the product's named HTTP client for the agent (DESIGN.md), and its public
 * entry meets the agent's goals without importing its private files or patching it (issue 20,
 * goals: peak RSS ≤ 64 MiB, CPU ≤ 15 ms per cycle). Measured with `npm run bench:agent`
 * (BENCHMARKS.md, "Agent", 2026-12-06): a peak of 57.4 MiB (VmHWM) and ~6 ms of CPU per
 * cycle, ~2.4 MiB more than on Node's own `node:http` (55.0 MiB) for undici's parser (llhttp,
 * WebAssembly) and the rest of its index (fetch, WebSocket, caches). The unit's
 * `--liftoff-only` keeps the parser on V8's baseline compiler: without it the peak is 92.9 MiB.
 *
 * Everything is undici's, through its public API: the three time-outs (`connect.timeout`,
 * `headersTimeout`, `bodyTimeout`), abort by `signal`, TLS verification for an https origin,
 * the unix socket, and noticing that the server closed an idle kept-alive connection (it is not
 * reused). This file only names the time-outs ({@link HttpTimeoutError}) and cuts the body.
 * undici checks the headers and body time-outs on a coarse clock (every ~0.5 s): they fire up
 * to ~1 s late, which the agent's limits (seconds) bear.
 */
import { Client as UndiciClient, errors } from "undici";

export interface ClientOptions {
  /** Connect to this unix socket instead of the origin's host and port (the Docker API). */
  socketPath?: string;
  /** How long an idle connection is kept at most, ms (a server's `Keep-Alive: timeout` hint may shorten it). Default 4 s. */
  keepAliveTimeout?: number;
  /** Limit for opening a connection, ms. Default 10 s. */
  connectTimeout?: number;
}

/** One origin (`http://host:port` or `https://…`), at most one connection to it, kept alive between requests. */
export class Client extends UndiciClient {
  readonly origin: URL;
  readonly connectTimeout: number;

  constructor(origin: string, options: ClientOptions = {}) {
    const url = new URL(origin);
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error(`origin: expected http:// or https://, got "${origin}"`);
    const connectTimeout = options.connectTimeout ?? 10_000;
    const keepAliveTimeout = options.keepAliveTimeout ?? 4000;
    super(url, {
      socketPath: options.socketPath,
      connect: { timeout: connectTimeout },
      keepAliveTimeout,
      keepAliveMaxTimeout: keepAliveTimeout,
    });
    this.origin = url;
    this.connectTimeout = connectTimeout;
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
    super(
      phase === "connect"
        ? `connect timed out after ${ms} ms`
        : phase === "headers"
          ? `no answer headers within ${ms} ms`
          : `answer body paused for ${ms} ms`,
    );
    this.name = "HttpTimeoutError";
  }
}

/** One request on `client`, the whole answer (up to `maxBytes`) in memory. */
export async function requestBuffer(client: Client, o: BufferedRequest): Promise<BufferedResponse> {
  const maxBytes = o.maxBytes ?? 16 * 1024 * 1024;
  const { method, path, headers, body, signal, headersTimeout, bodyTimeout } = o;
  try {
    const res = await client.request({ method, path, headers, body, signal, headersTimeout, bodyTimeout });
    const chunks: Buffer[] = [];
    let size = 0;
    let truncated = false;
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      if (size + chunk.length > maxBytes) {
        chunks.push(chunk.subarray(0, maxBytes - size));
        size = maxBytes;
        truncated = true;
        break; // ends the body stream: undici aborts the request and closes the connection
      }
      chunks.push(chunk);
      size += chunk.length;
    }
    return {
      statusCode: res.statusCode,
      headers: res.headers,
      body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size),
      truncated,
    };
  } catch (err) {
    if (err instanceof errors.ConnectTimeoutError) throw new HttpTimeoutError("connect", client.connectTimeout);
    if (err instanceof errors.HeadersTimeoutError) throw new HttpTimeoutError("headers", headersTimeout);
    if (err instanceof errors.BodyTimeoutError) throw new HttpTimeoutError("body", bodyTimeout);
    throw err;
  }
}
