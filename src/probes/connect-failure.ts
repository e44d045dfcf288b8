/**
 * Why a connection failed, in the words an operator uses:
 *
 * - `connection refused by 127.0.0.1:8080`
 * - `no such host: api.example.invalid (DNS lookup failed)`
 * - `127.0.0.1:8080 closed the connection before answering`
 * - `timed out after 10 s while connecting to 10.0.0.7:443`
 *
 * The runtime does not say which. workerd's fetch() reports a refused or reset connection as
 * "Network connection lost." and a failed DNS lookup as "internal error; reference = …";
 * its connect() reports both as "proxy request failed, cannot connect to the specified
 * address". So the words come from what Vigil observes itself, with a second, bounded look
 * only after a failure: a raw TCP connect tells a port that refuses from a server that
 * accepts and hangs up, and the kind of fetch() error tells a name that does not resolve from
 * a port that refuses. The runtime's own messages never reach a reason.
 */
import { Deadline, TimeoutError, formatMs } from "./deadline";
import { openTcp } from "./socket";

/** `127.0.0.1`, `::1` or `[::1]`: a host that needs no DNS lookup. */
export function isIpLiteral(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(":");
}

/** The phrases, in one place so that every probe says the same thing the same way. */
export const reasons = {
  refused: (hostPort: string) => `connection refused by ${hostPort}`,
  noSuchHost: (host: string) => `no such host: ${host} (DNS lookup failed)`,
  closed: (hostPort: string) => `${hostPort} closed the connection before answering`,
  connectTimeout: (ms: number, hostPort: string) => `timed out after ${formatMs(ms)} while connecting to ${hostPort}`,
  unreachable: (hostPort: string) => `cannot connect to ${hostPort}`,
};

/** What kind of error the runtime's fetch() threw, read from its message (the only thing it gives). */
export type FetchErrorKind = "connection-lost" | "internal" | "other";

export function fetchErrorKind(err: unknown): FetchErrorKind {
  // Node's fetch (the host agent runs these probes too) says "fetch failed" and puts the
  // system error in `cause`: the same two kinds, read from its code.
  const code = (err as { cause?: { code?: unknown } } | null)?.cause?.code;
  if (code === "ECONNREFUSED" || code === "ECONNRESET" || code === "EPIPE") return "connection-lost";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return "internal";
  const message = err instanceof Error ? err.message : String(err);
  if (/^Network connection lost\.?$/i.test(message)) return "connection-lost";
  if (/^internal error(; reference = \w+)?$/i.test(message)) return "internal";
  return "other";
}

/**
 * A Cloudflare error answer (`530` with `error code: 1016`): what the edge returns, instead of
 * throwing, when a Worker fetches a name that does not resolve or an origin it cannot reach.
 * Null when `body` is not one.
 */
export function cloudflareErrorReason(status: number, body: string, host: string): string | null {
  const code = /^\s*error code: (\d{3,4})\s*$/.exec(body)?.[1];
  if (!code || status < 520 || status > 530) return null;
  const words: Record<string, string> = {
    "1016": reasons.noSuchHost(host),
    "521": `connection refused by ${host} (Cloudflare error 521)`,
    "522": `timed out connecting to ${host} (Cloudflare error 522)`,
    "523": `${host} is unreachable (Cloudflare error 523)`,
    "525": `TLS handshake with ${host} failed (Cloudflare error 525)`,
    "526": `${host} has an invalid certificate (Cloudflare error 526)`,
  };
  return words[code] ?? null;
}

const hostOf = (host: string) => host.replace(/^\[|\]$/g, "");
const join = (host: string, port: number) => (hostOf(host).includes(":") ? `[${hostOf(host)}]:${port}` : `${host}:${port}`);

/** The host and port a URL connects to (the scheme's default port when none is written). */
export function endpointOf(url: URL): { host: string; port: number; hostPort: string } {
  const secure = url.protocol === "https:" || url.protocol === "wss:";
  const port = Number(url.port || (secure ? 443 : 80));
  return { host: url.hostname, port, hostPort: join(url.hostname, port) };
}

/**
 * After `connect()` failed (`ConnectError`): refused, or no such host. An IP address needs no
 * lookup, so it was refused. For a name, one fetch() of the same host and port tells the two
 * apart, since fetch's errors differ where connect's do not (and the deployed edge answers a
 * failed lookup with error 1016). The fetch is aborted after `ms`.
 */
export async function explainConnectFailure(host: string, port: number, ms: number): Promise<string> {
  const hostPort = join(host, port);
  if (isIpLiteral(hostOf(host))) return reasons.refused(hostPort);
  if (ms < 20) return reasons.unreachable(hostPort);
  try {
    const res = await fetch(`http://${hostPort}/`, { method: "HEAD", redirect: "manual", signal: AbortSignal.timeout(ms) });
    const body = res.status >= 520 ? await res.text().catch(() => "") : (res.body?.cancel().catch(() => {}), "");
    return cloudflareErrorReason(res.status, body, host) ?? reasons.unreachable(hostPort);
  } catch (err) {
    const kind = fetchErrorKind(err);
    if (kind === "internal") return reasons.noSuchHost(host);
    if (kind === "connection-lost") return reasons.refused(hostPort);
    return reasons.unreachable(hostPort);
  }
}

/** What a connection attempt of Vigil's own to the same host and port saw. */
export type ConnectOutcome = "connected" | "failed" | "timeout";

async function tryConnect(host: string, port: number, ms: number): Promise<ConnectOutcome> {
  const deadline = new Deadline(ms);
  try {
    (await openTcp(host, port, deadline)).close();
    return "connected";
  } catch (err) {
    return err instanceof TimeoutError ? "timeout" : "failed";
  } finally {
    deadline.clear();
  }
}

/**
 * After fetch() failed before any response: connects to the same host and port once, within
 * `ms`, unless the caller already did (`known`: the TLS check's own connection).
 * - It connects: the server accepted and hung up ("closed the connection before answering").
 * - It cannot: refused, or, when fetch's error was the one it gives a failed lookup, no such host.
 */
export async function explainFetchFailure(url: URL, err: unknown, ms: number, known?: ConnectOutcome): Promise<string> {
  const { host, port, hostPort } = endpointOf(url);
  const kind = fetchErrorKind(err);
  if (known === undefined && ms < 20)
    return kind === "connection-lost" ? `connection to ${hostPort} failed before any response` : reasons.unreachable(hostPort);
  const outcome = known ?? (await tryConnect(host, port, ms));
  if (outcome === "connected") {
    if (kind === "connection-lost") return reasons.closed(hostPort);
    return `request to ${hostPort} failed before any response (the server accepts connections)`;
  }
  if (outcome === "timeout") return reasons.connectTimeout(ms, hostPort);
  if (kind === "internal" && !isIpLiteral(hostOf(host))) return reasons.noSuchHost(host);
  return reasons.refused(hostPort);
}

/**
 * Tells a connect timeout from a read timeout for probes that go through fetch(), which does
 * not say whether it ever connected. Near the end of the probe's deadline (the last quarter,
 * at most a second), if the probe is still waiting for its first answer, it opens one TCP
 * connection of its own to the same host and port. When the deadline passes and that
 * connection has not opened either, the probe's timeout was a connect timeout.
 *
 * Only a probe that is about to time out pays for the extra connection. While every socket of
 * the invocation is busy, the extra one may wait for a free one and read as "no answer"; the
 * reason then says "while connecting" of a server that did accept, which is the lesser error.
 */
export class ConnectWatch {
  private state: "idle" | "connecting" | "connected" | "done" = "idle";
  private readonly timer: ReturnType<typeof setTimeout>;
  private close = () => {};
  private own: Deadline | null = null;

  /**
   * `target()` names the URL being waited on (the current hop of a redirect chain), or null
   * when the probe has moved past waiting for a first answer.
   */
  constructor(
    deadline: Deadline,
    private readonly target: () => URL | null,
  ) {
    const budget = Math.min(1_000, Math.max(50, Math.floor(deadline.ms / 4)));
    this.timer = setTimeout(() => void this.start(budget), Math.max(0, deadline.remaining - budget));
  }

  private async start(budget: number): Promise<void> {
    const url = this.target();
    if (!url || this.state !== "idle") return;
    this.state = "connecting";
    const { host, port } = endpointOf(url);
    // Bounds the watch's own socket (a little past the probe's deadline); cleared in stop().
    this.own = new Deadline(budget * 2);
    try {
      const socket = await openTcp(host, port, this.own);
      this.close = socket.close;
      if (this.state === "connecting") this.state = "connected";
      else socket.close();
    } catch {
      if (this.state === "connecting") this.state = "idle";
    }
  }

  /**
   * The reason for a timeout of the probe: "while connecting to host:port" when the watch was
   * still trying to connect when time ran out, else the timeout's own words.
   */
  explain(err: TimeoutError): string {
    const url = this.target();
    if (this.state === "connecting" && url) return reasons.connectTimeout(err.ms, endpointOf(url).hostPort);
    return err.message;
  }

  /** Stops the timer and closes the watch's socket; call in `finally`. */
  stop(): void {
    clearTimeout(this.timer);
    this.state = "done";
    this.close();
    this.own?.clear();
  }
}
