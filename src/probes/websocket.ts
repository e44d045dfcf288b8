/**
 * WebSocket probe: open `ws://` / `wss://` (an HTTP upgrade through `fetch`), optionally send
 * one text message and wait for a reply that contains `expectReply` and/or matches
 * `expectReplyMatches`, all within the timeout. The runbook's "is the sync heartbeat alive".
 */
import type { ProbeResult, ProbeTrace } from "../contract/probe";
import { z } from "zod";
import { headerSecrets, reveal, type ConfigEnv } from "../config/common";
import { headers, monitorBase, regexSource, timing } from "../config/monitors";
import { probeKind } from "./kind";
import { compileRegex } from "./assertions";
import { ConnectWatch } from "./connect-failure";
import { Deadline, TimeoutError } from "./deadline";
import { failure } from "./http";
import { explainRequestFailure } from "./tls";
import { applyTraceparent, probeTrace, traceparent } from "./trace";

export const websocketMonitor = z
  .strictObject({
    ...monitorBase,
    type: z.literal("websocket"),
    url: z.url({ protocol: /^wss?$/, error: "Invalid url: expected a ws:// or wss:// URL" }),
    /** Headers on the upgrade request; a value may name a secret. */
    headers,
    traceparent,
    /** A text message sent once the socket is open (a heartbeat, say). */
    send: z.string().max(65_536).optional(),
    /** A reply must arrive within the timeout and contain this text. */
    expectReply: z.string().min(1).optional(),
    /** A reply must arrive within the timeout and match this regular expression. */
    expectReplyMatches: regexSource.optional(),
  })
  .transform(timing);
export type WebsocketMonitor = z.infer<typeof websocketMonitor>;

const UPGRADING = "waiting for the WebSocket upgrade";

/**
 * The Workers additions used here (`Response.webSocket`, `WebSocket.accept`), spelled out: this
 * file is also type-checked for Node, through the config, whose DOM typings lack them.
 */
type EdgeWebSocket = WebSocket & { accept(): void };
type UpgradeResponse = Response & { webSocket: EdgeWebSocket | null };
const preview = (text: string) => `'${text.length > 60 ? `${text.slice(0, 57)}…` : text}'`;

/** Checks one reply; null when it is the expected one. */
export function judgeReply(spec: Pick<WebsocketMonitor, "expectReply" | "expectReplyMatches">, reply: string): string | null {
  if (spec.expectReply !== undefined && !reply.includes(spec.expectReply))
    return `reply lacks '${spec.expectReply}': got ${preview(reply)}`;
  if (spec.expectReplyMatches !== undefined && !compileRegex(spec.expectReplyMatches).test(reply)) {
    return `reply does not match /${spec.expectReplyMatches}/: got ${preview(reply)}`;
  }
  return null;
}

export async function probeWebsocket(spec: WebsocketMonitor, env: ConfigEnv): Promise<ProbeResult> {
  const trace = probeTrace(spec);
  const result = await openOnce(spec, env, trace);
  return trace ? { ...result, trace } : result;
}

async function openOnce(spec: WebsocketMonitor, env: ConfigEnv, trace: ProbeTrace | undefined): Promise<ProbeResult> {
  const started = Date.now();
  const checkedAt = new Date(started).toISOString();
  const deadline = new Deadline(spec.timeout);
  const secrets = headerSecrets(spec.headers, env);
  const down = failure(started, secrets);
  let socket: EdgeWebSocket | null = null;
  const upgradeUrl = new URL(spec.url);
  const watch = new ConnectWatch(deadline, () => (deadline.phase === UPGRADING ? upgradeUrl : null));
  const timedOut = (err: TimeoutError) => down(err.phase === UPGRADING ? watch.explain(err) : err.message);
  try {
    // 1. Upgrade. Workers open client WebSockets with fetch over http(s).
    const url = new URL(spec.url);
    url.protocol = url.protocol === "wss:" ? "https:" : "http:";
    const headers = new Headers({ "user-agent": "Vigil/0.1 (+synthetic check)", upgrade: "websocket" });
    for (const [k, v] of Object.entries(spec.headers)) headers.set(k, reveal(v, env));
    applyTraceparent(headers, trace);
    // The deadline aborts the upgrade only while it is in flight. Once the WebSocket is open,
    // aborting the fetch's signal would drop the connection (the server sees 1006) and the
    // runtime logs the TimeoutError as an error; a timeout waiting for the reply is settled by
    // `deadline.race`, and `finally` closes the socket with 1000.
    const upgrade = new AbortController();
    const abortUpgrade = () => upgrade.abort(deadline.signal.reason);
    deadline.signal.addEventListener("abort", abortUpgrade);
    let res: UpgradeResponse;
    try {
      res = (await deadline.race(fetch(url, { headers, signal: upgrade.signal }), UPGRADING)) as UpgradeResponse;
    } finally {
      deadline.signal.removeEventListener("abort", abortUpgrade);
    }
    if (res.status !== 101 || !res.webSocket) {
      res.body?.cancel().catch(() => {});
      return down(`expected a WebSocket upgrade (101), got ${res.status}`, res.status);
    }
    socket = res.webSocket;
    const ws = socket;
    // 2. Listen before accepting, so that no message or close is missed.
    const waitForEvent = new Promise<{ reply: string } | { closed: string }>((resolve) => {
      ws.addEventListener("message", (e) =>
        resolve({ reply: typeof e.data === "string" ? e.data : new TextDecoder().decode(e.data as ArrayBuffer) }),
      );
      ws.addEventListener("close", (e) => resolve({ closed: `server closed the WebSocket (${e.code}${e.reason ? ` ${e.reason}` : ""})` }));
      ws.addEventListener("error", () => resolve({ closed: "WebSocket error" }));
    });
    ws.accept();
    const openedMs = Date.now() - started;
    const expectsReply = spec.expectReply !== undefined || spec.expectReplyMatches !== undefined;
    if (spec.send !== undefined) ws.send(spec.send);
    if (!expectsReply) return { status: "up", latencyMs: openedMs, checkedAt, statusCode: 101 };
    // 3. The reply.
    const event = await deadline.race(
      waitForEvent,
      spec.send !== undefined ? "waiting for a reply to the message" : "waiting for a message",
    );
    if ("closed" in event) return down(`${event.closed} before replying`, 101);
    const failed = judgeReply(spec, event.reply);
    if (failed) return down(failed, 101);
    return { status: "up", latencyMs: Date.now() - started, checkedAt, statusCode: 101 };
  } catch (err) {
    if (err instanceof TimeoutError) return timedOut(err);
    if (deadline.signal.aborted) return timedOut(new TimeoutError(spec.timeout, deadline.phase));
    if (socket) return down("WebSocket connection failed after it opened");
    return down(await explainRequestFailure(upgradeUrl, err, Math.min(deadline.remaining, 5_000)));
  } finally {
    watch.stop();
    deadline.clear();
    try {
      socket?.close(1000, "vigil probe done");
    } catch {
      // already closed
    }
  }
}

export const websocket = probeKind({
  type: "websocket",
  schema: websocketMonitor,
  run: probeWebsocket,
  target: (spec) => ({ path: "url", url: spec.url }),
});
