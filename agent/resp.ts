/**
 * A minimal Redis client (RESP2) over one `node:net` socket (`node:tls` for `rediss://`):
 * what the redis check sends — AUTH, SELECT, CONFIG GET, PING, INFO — and the five reply
 * types. Commands are answered in the order sent; every command has a time-out, after which
 * the connection is closed (its replies could no longer be matched to their commands).
 *
 * Why not ioredis: it is a cluster/sentinel/pub-sub client of ~100 KB that costs the agent
 * ~6 MiB resident and ~2 ms of CPU per check for two commands (BENCHMARKS.md, "Agent").
 */
import { type Socket, connect as netConnect } from "node:net";

/** An error reply from the server (`-ERR …`, `-NOAUTH …`, `-WRONGPASS …`). */
export class RedisReplyError extends Error {
  override readonly name = "RedisReplyError";
}

export type Reply = string | number | null | Reply[];

export interface RespOptions {
  /** `redis://[user[:password]@]host[:port][/db]` or `rediss://…` (TLS). */
  url: string;
  /** Overrides the URL's password. */
  password?: string;
  /** Connect time-out and per-command time-out, ms. */
  timeoutMs: number;
}

interface Pending {
  resolve(r: Reply): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

/** Reads one reply at `buf[off]`; `null` when the buffer does not hold all of it yet. */
export function parseReply(buf: Buffer, off: number): { value: Reply | RedisReplyError; next: number } | null {
  const eol = buf.indexOf("\r\n", off, "latin1");
  if (eol < 0) return null;
  const type = buf[off];
  const head = buf.toString("latin1", off + 1, eol);
  switch (type) {
    case 0x2b: // + simple string
      return { value: buf.toString("utf8", off + 1, eol), next: eol + 2 };
    case 0x2d: // - error
      return { value: new RedisReplyError(buf.toString("utf8", off + 1, eol)), next: eol + 2 };
    case 0x3a: // : integer
      return { value: Number(head), next: eol + 2 };
    case 0x24: {
      // $ bulk string
      const len = Number(head);
      if (len < 0) return { value: null, next: eol + 2 };
      if (buf.length < eol + 2 + len + 2) return null;
      return { value: buf.toString("utf8", eol + 2, eol + 2 + len), next: eol + 2 + len + 2 };
    }
    case 0x2a: {
      // * array
      const n = Number(head);
      if (n < 0) return { value: null, next: eol + 2 };
      const items: Reply[] = [];
      let error: RedisReplyError | null = null;
      let next = eol + 2;
      for (let i = 0; i < n; i++) {
        const item = parseReply(buf, next);
        if (!item) return null;
        // An error inside an array (EXEC's replies) fails the command; the whole array is consumed.
        if (item.value instanceof RedisReplyError) error ??= item.value;
        else items.push(item.value);
        next = item.next;
      }
      return { value: error ?? items, next };
    }
    default:
      throw new Error(`not a RESP reply (byte 0x${(type ?? 0).toString(16)})`);
  }
}

/** `*<n>\r\n$<len>\r\n<arg>\r\n…` */
export function encodeCommand(args: string[]): string {
  let out = `*${args.length}\r\n`;
  for (const a of args) out += `$${Buffer.byteLength(a)}\r\n${a}\r\n`;
  return out;
}

export class RespClient {
  readonly #socket: Socket;
  readonly #timeoutMs: number;
  readonly #pending: Pending[] = [];
  #buf: Buffer = Buffer.alloc(0);
  #closed = false;
  /** The socket's own error, when it failed (beats "connection closed" in messages). */
  #error: Error | null = null;

  private constructor(socket: Socket, timeoutMs: number) {
    this.#socket = socket;
    this.#timeoutMs = timeoutMs;
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.#onData(chunk));
    socket.on("error", (e) => this.#fail(e));
    socket.on("close", () => this.#fail(null));
  }

  /** Connects, authenticates and selects the URL's database. */
  static async connect(o: RespOptions): Promise<RespClient> {
    const u = new URL(o.url);
    const host = u.hostname.replace(/^\[|\]$/g, "") || "127.0.0.1";
    const port = Number(u.port || 6379);
    const socket =
      u.protocol === "rediss:"
        ? (await import("node:tls")).connect({ host, port, servername: /^[\d.:]+$/.test(host) ? undefined : host })
        : netConnect({ host, port });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect ETIMEDOUT ${host}:${port}`));
      }, o.timeoutMs);
      socket.once(u.protocol === "rediss:" ? "secureConnect" : "connect", () => {
        clearTimeout(timer);
        socket.removeListener("error", onError);
        resolve();
      });
      const onError = (e: Error) => {
        clearTimeout(timer);
        reject(e);
      };
      socket.once("error", onError);
    });
    const client = new RespClient(socket, o.timeoutMs);
    try {
      const user = decodeURIComponent(u.username);
      const password = o.password ?? decodeURIComponent(u.password);
      if (password) await client.command(...(user ? ["AUTH", user, password] : ["AUTH", password]));
      const db = Number(u.pathname.slice(1) || 0);
      if (db) await client.command("SELECT", String(db));
    } catch (e) {
      client.close();
      throw e;
    }
    return client;
  }

  get open(): boolean {
    return !this.#closed;
  }

  /** Sends one command; resolves with its reply, rejects with a {@link RedisReplyError} on an error reply. */
  command(...args: string[]): Promise<Reply> {
    if (this.#closed) return Promise.reject(this.#error ?? new Error("connection closed"));
    return new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => this.#fail(new Error(`${args[0]} timed out after ${this.#timeoutMs} ms`)), this.#timeoutMs);
      this.#pending.push({ resolve, reject, timer });
      this.#socket.write(encodeCommand(args));
    });
  }

  close(): void {
    this.#fail(null);
  }

  #onData(chunk: Buffer): void {
    this.#buf = this.#buf.length ? Buffer.concat([this.#buf, chunk]) : chunk;
    let off = 0;
    try {
      for (;;) {
        const r = off < this.#buf.length ? parseReply(this.#buf, off) : null;
        if (!r) break;
        off = r.next;
        const p = this.#pending.shift();
        if (!p) throw new Error("reply without a command");
        clearTimeout(p.timer);
        if (r.value instanceof RedisReplyError) p.reject(r.value);
        else p.resolve(r.value);
      }
    } catch (e) {
      this.#fail(e as Error);
      return;
    }
    this.#buf = off >= this.#buf.length ? Buffer.alloc(0) : this.#buf.subarray(off);
  }

  /** Closes the connection and fails every command waiting (with `err`, the socket's error, or "connection closed"). */
  #fail(err: Error | null): void {
    if (err && !this.#error) this.#error = err;
    if (!this.#closed) {
      this.#closed = true;
      this.#socket.destroy();
    }
    const e = this.#error ?? new Error("connection closed");
    for (const p of this.#pending.splice(0)) {
      clearTimeout(p.timer);
      p.reject(e);
    }
  }
}
