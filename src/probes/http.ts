/**
 * HTTP(S) probe: one request with a hard timeout that covers headers and body, a body cap,
 * and the expectations from the monitor spec. It reports what it saw in words.
 */
import type { ProbeResult } from "../contract/probe";
import { formatDuration, reveal, type ConfigEnv, type HttpMonitor } from "../config";

/** Does `status` satisfy one of the expectations (`200`, `"2xx"`, `"200-299"`)? */
export function statusMatches(status: number, expected: readonly (number | string)[]): boolean {
  return expected.some((e) => {
    if (typeof e === "number") return status === e;
    if (/^[1-5]xx$/.test(e)) return Math.floor(status / 100) === Number(e[0]);
    const [lo, hi] = e.split("-").map(Number);
    return status >= lo! && status <= hi!;
  });
}

/** Reads at most `cap` bytes of a body; the rest is cancelled, never downloaded. */
async function readCapped(body: ReadableStream<Uint8Array> | null, cap: number): Promise<{ text: string; truncated: boolean }> {
  if (!body) return { text: "", truncated: false };
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const room = cap - size;
    chunks.push(value.byteLength > room ? value.subarray(0, room) : value);
    size += Math.min(value.byteLength, room);
    if (size >= cap) {
      truncated = true;
      await reader.cancel().catch(() => {});
      break;
    }
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.byteLength;
  }
  return { text: new TextDecoder().decode(all), truncated };
}

export async function probeHttp(spec: HttpMonitor, env: ConfigEnv): Promise<ProbeResult> {
  const started = Date.now();
  const checkedAt = new Date(started).toISOString();
  const controller = new AbortController();
  let phase: "connecting" | "reading the body" = "connecting";
  const timer = setTimeout(() => controller.abort(), spec.timeout);
  const down = (reason: string, statusCode?: number): ProbeResult => ({
    status: "down",
    latencyMs: Date.now() - started,
    reason,
    checkedAt,
    ...(statusCode !== undefined && { statusCode }),
  });
  try {
    const headers = new Headers({ "user-agent": "Vigil/0.1 (+synthetic check)" });
    for (const [k, v] of Object.entries(spec.headers)) headers.set(k, reveal(v, env));
    const res = await fetch(spec.url, {
      method: spec.method,
      headers,
      body: spec.body,
      redirect: "follow",
      signal: controller.signal,
    });
    const latencyMs = Date.now() - started;
    phase = "reading the body";
    const { text } = await readCapped(res.body, spec.maxBodyBytes);
    if (!statusMatches(res.status, spec.expectedStatus)) {
      return down(`expected status ${spec.expectedStatus.join(" or ")}, got ${res.status}`, res.status);
    }
    if (spec.keyword !== undefined && !text.includes(spec.keyword)) {
      return down(`body lacks '${spec.keyword}'`, res.status);
    }
    return { status: "up", latencyMs, checkedAt, statusCode: res.status };
  } catch (err) {
    if (controller.signal.aborted) return down(`timed out after ${formatDuration(spec.timeout)} while ${phase}`);
    return down(`request failed: ${(err as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
}
