/**
 * undici for the agent: its HTTP/1.1 `Client`, loaded from undici's own file instead of the
 * package's index, and one way to make a request, {@link requestBuffer}.
 *
 * - The index loads every dispatcher, fetch, WebSocket, the caches and the mocks (~520 KB of
 *   the bundle, ~4 MiB resident); the agent needs one client per origin. undici has no
 *   `exports` map, so Node and esbuild resolve the file as it is; the version is pinned in
 *   package-lock.json, a move of the file fails `npm run agent:build`, and
 *   test/agent/undici.test.ts checks it is the class the index exports.
 * - Requests go through `client.dispatch()` with a handler that keeps the answer in memory:
 *   `client.request()` wraps every answer in a stream (and an async resource) that the agent
 *   only reads to the end; without it a request costs ~30 % less CPU (BENCHMARKS.md, "Agent").
 */
import type { Client as UndiciClient, Dispatcher } from "undici";
import ClientImpl from "undici/lib/dispatcher/client.js";

export const Client = ClientImpl as typeof UndiciClient;
export type Client = UndiciClient;

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
  /** Lower-case names. */
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** The body was cut at `maxBytes` (the connection was closed there). */
  truncated: boolean;
}

/** One request on `client`, the whole answer (up to `maxBytes`) in memory. */
export function requestBuffer(client: Client, o: BufferedRequest): Promise<BufferedResponse> {
  const maxBytes = o.maxBytes ?? 16 * 1024 * 1024;
  return new Promise<BufferedResponse>((resolve, reject) => {
    const signal = o.signal;
    if (signal?.aborted) return reject(signal.reason);
    let controller: Dispatcher.DispatchController | null = null;
    let settled = false;
    let statusCode = 0;
    let headers: BufferedResponse["headers"] = {};
    const chunks: Buffer[] = [];
    let size = 0;
    const onAbort = () => controller?.abort(signal!.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    const settle = (err: Error | null, truncated = false) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener("abort", onAbort);
      if (err) reject(err);
      else resolve({ statusCode, headers, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size), truncated });
    };
    client.dispatch(
      { method: o.method, path: o.path, headers: o.headers, body: o.body, headersTimeout: o.headersTimeout, bodyTimeout: o.bodyTimeout },
      {
        onRequestStart(c) {
          controller = c;
          if (signal?.aborted) c.abort(signal.reason);
        },
        onResponseStart(_c, status, h) {
          statusCode = status;
          headers = h as BufferedResponse["headers"];
        },
        onResponseData(c, chunk) {
          if (size + chunk.length > maxBytes) {
            if (maxBytes > size) chunks.push(chunk.subarray(0, maxBytes - size));
            size = Math.max(size, maxBytes);
            settle(null, true);
            c.abort(new Error(`answer larger than ${maxBytes} bytes`));
            return;
          }
          chunks.push(chunk);
          size += chunk.length;
        },
        onResponseEnd() {
          settle(null);
        },
        onResponseError(_c, err) {
          settle(err);
        },
      },
    );
  });
}
