/** Helpers for talking to the Node-side fixture server from inside workerd. */
import { env } from "cloudflare:workers";
import type { SinkRecord } from "../servers/sink-record";

export type { SinkRecord };

async function control(path: string, method = "GET", body?: unknown): Promise<any> {
  const res = await fetch(`${env.FIXTURES_URL}/control/${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`fixture control ${method} ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

export const setTarget = (
  name: string,
  behaviour: { status?: number; body?: string; delayMs?: number; headers?: Record<string, string> },
) => control(`target/${name}`, "POST", behaviour);

export const targetInfo = (name: string): Promise<{ hits: number; times: number[] }> => control(`target/${name}`);

export const configureSink = (
  name: string,
  options: { status?: number; secret?: string; script?: { status: number; headers?: Record<string, string> }[] },
) => control(`sink/${name}`, "POST", options);

export const clearSink = (name: string) => control(`sink/${name}`, "DELETE");

export const sinkRecords = async (name: string): Promise<SinkRecord[]> => (await control(`sink/${name}`)).records;

/** Polls the sink until it holds `count` records (the queue consumer runs asynchronously). */
export async function waitForSink(name: string, count: number, timeoutMs = 15_000): Promise<SinkRecord[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const records = await sinkRecords(name);
    if (records.length >= count) return records;
    if (Date.now() > deadline) throw new Error(`sink "${name}" got ${records.length} of ${count} deliveries within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const spawn = (kind: string, options: unknown = {}): Promise<{ port: number } & Record<string, unknown>> =>
  control("spawn", "POST", { kind, options });

/** Changes a spawned server's behaviour (kinds with a `control`, e.g. "flaky-http"). */
export const controlSpawned = (port: number, body: unknown): Promise<Record<string, unknown>> => control(`spawned/${port}`, "POST", body);

/**
 * Waits until `done(read())` holds, reading every 50 ms; fails naming `what` and the last value.
 * Real time (performance.now()), so it works while a test has faked `Date`.
 */
export async function waitFor<T>(what: string, read: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
