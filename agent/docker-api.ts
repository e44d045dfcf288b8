/**
 * A small Docker Engine API client over its unix socket (agent/http-client.ts). Works with Docker and
 * with podman's compatible service (`podman system service`). Only what the agent needs:
 * list, inspect, logs (multiplexed stream decoded) and restart.
 */
import { Client, requestBuffer } from "./http-client";

/** The subset of `GET /containers/{id}/json` the agent reads. */
export interface ContainerInspect {
  Id: string;
  Name: string;
  RestartCount: number;
  Config?: { Tty?: boolean; Labels?: Record<string, string> | null };
  State: {
    Status: string;
    Running: boolean;
    Restarting?: boolean;
    OOMKilled: boolean;
    ExitCode: number;
    Error?: string;
    StartedAt: string;
    FinishedAt?: string;
    Health?: { Status: string; FailingStreak?: number; Log?: { ExitCode: number; Output: string }[] | null } | null;
  };
}

export class DockerApiError extends Error {
  override readonly name = "DockerApiError";
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Socket path from an explicit setting, `DOCKER_HOST=unix://…`, or the default. */
export function dockerSocketPath(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit) return explicit;
  const host = env.DOCKER_HOST;
  if (host?.startsWith("unix://")) return host.slice("unix://".length);
  return "/var/run/docker.sock";
}

export interface DockerClientOptions {
  socketPath: string;
  /** Limit for the answer's headers, and for any pause in its body, of one API call. Default 10 s. */
  timeoutMs?: number;
}

export class DockerClient {
  readonly socketPath: string;
  readonly #client: Client;
  readonly #timeoutMs: number;

  constructor(options: DockerClientOptions) {
    this.socketPath = options.socketPath;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    // Keep-alive on one connection: a check cycle makes a handful of calls.
    this.#client = new Client("http://docker", {
      socketPath: options.socketPath,
      keepAliveTimeout: 60_000,
      connectTimeout: this.#timeoutMs,
    });
  }

  async #call(method: "GET" | "POST", path: string, signal?: AbortSignal, timeoutMs = this.#timeoutMs): Promise<Buffer | null> {
    // The client's own time-outs, not AbortSignal.timeout(): that one stays armed after the answer
    // and, firing later, builds a DOMException and an abort event for nothing (per call).
    const res = await requestBuffer(this.#client, { method, path, signal, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
    const body = res.body;
    if (res.statusCode === 404) return null;
    if (res.statusCode >= 300) {
      let message = body.toString("utf8").slice(0, 300);
      try {
        message = (JSON.parse(message) as { message?: string }).message ?? message;
      } catch {
        /* not JSON */
      }
      throw new DockerApiError(res.statusCode, `${method} ${path.split("?")[0]}: ${res.statusCode} ${message}`);
    }
    return body;
  }

  /** `null` when no such container. */
  async inspect(nameOrId: string, signal?: AbortSignal): Promise<ContainerInspect | null> {
    const body = await this.#call("GET", `/containers/${encodeURIComponent(nameOrId)}/json`, signal);
    return body ? (JSON.parse(body.toString("utf8")) as ContainerInspect) : null;
  }

  /** Names (without the leading slash) of all containers, running or not, carrying `label` (`key` or `key=value`). */
  async namesByLabel(label: string, signal?: AbortSignal): Promise<string[]> {
    const filters = encodeURIComponent(JSON.stringify({ label: [label] }));
    const body = await this.#call("GET", `/containers/json?all=1&filters=${filters}`, signal);
    const list = body ? (JSON.parse(body.toString("utf8")) as { Names?: string[]; Id: string }[]) : [];
    return list.map((c) => (c.Names?.[0] ?? c.Id).replace(/^\//, "")).sort();
  }

  /** Names (without the leading slash) of the running containers. */
  async runningNames(signal?: AbortSignal): Promise<string[]> {
    const body = await this.#call("GET", "/containers/json", signal);
    const list = body ? (JSON.parse(body.toString("utf8")) as { Names?: string[]; Id: string }[]) : [];
    return list.map((c) => (c.Names?.[0] ?? c.Id).replace(/^\//, "")).sort();
  }

  /**
   * Log text since `sinceSeconds` (unix), stdout and stderr, at most `maxBytes` (the newest
   * bytes are kept). `tty` containers send a raw stream; others the multiplexed one.
   */
  async logs(
    nameOrId: string,
    sinceSeconds: number,
    opts: { tty: boolean; maxBytes: number; signal?: AbortSignal },
  ): Promise<string | null> {
    const q = `stdout=1&stderr=1&since=${Math.floor(sinceSeconds)}`;
    const body = await this.#call("GET", `/containers/${encodeURIComponent(nameOrId)}/logs?${q}`, opts.signal);
    if (!body) return null;
    const text = opts.tty ? body.toString("utf8") : demultiplex(body);
    return text.length > opts.maxBytes ? text.slice(text.length - opts.maxBytes) : text;
  }

  /** `POST /containers/{id}/restart?t=<stop timeout s>`; false when no such container. */
  async restart(nameOrId: string, stopTimeoutSeconds: number): Promise<boolean> {
    const t = Math.max(0, Math.round(stopTimeoutSeconds));
    const body = await this.#call("POST", `/containers/${encodeURIComponent(nameOrId)}/restart?t=${t}`, undefined, (t + 30) * 1000);
    return body !== null;
  }

  async ping(signal?: AbortSignal): Promise<boolean> {
    return (await this.#call("GET", "/_ping", signal)) !== null;
  }

  async close(): Promise<void> {
    await this.#client.close();
  }
}

/**
 * Decodes the Engine API's multiplexed log stream: frames of an 8-byte header
 * `[stream, 0, 0, 0, size (uint32 BE)]` followed by `size` bytes (Engine API, "Attach to a
 * container", stream format). Bytes that do not start with a valid header are returned as is.
 */
export function demultiplex(buf: Buffer): string {
  const parts: Buffer[] = [];
  let off = 0;
  while (off + 8 <= buf.length) {
    const type = buf[off]!;
    if (type > 2 || buf[off + 1] !== 0 || buf[off + 2] !== 0 || buf[off + 3] !== 0) {
      return Buffer.concat([...parts, buf.subarray(off)]).toString("utf8");
    }
    const size = buf.readUInt32BE(off + 4);
    parts.push(buf.subarray(off + 8, Math.min(buf.length, off + 8 + size)));
    off += 8 + size;
  }
  if (off < buf.length && parts.length === 0) return buf.toString("utf8");
  return Buffer.concat(parts).toString("utf8");
}
