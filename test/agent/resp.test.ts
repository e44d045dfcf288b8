/**
 * The agent's RESP client (agent/resp.ts): the parser on whole and cut-up replies, and the
 * client against the machine's real Redis (AUTH with an ACL user, SELECT from the URL,
 * pipelined commands) and against loopback servers that answer byte by byte or not at all.
 */
import { type Server, type Socket, createServer } from "node:net";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisReplyError, RespClient, encodeCommand, parseReply } from "../../agent/resp";
import { REDIS_URL, describeWith, tcpReachable } from "./services";

describe("parseReply", () => {
  const whole = (text: string) => parseReply(Buffer.from(text), 0);

  it("reads the five reply types, nested arrays and nulls", () => {
    expect(whole("+PONG\r\n")).toEqual({ value: "PONG", next: 7 });
    expect(whole(":-42\r\n")?.value).toBe(-42);
    expect(whole("$5\r\nhé\r\n\r\n")?.value).toBe("hé\r\n"); // length in bytes, CRLF inside a bulk string
    expect(whole("$-1\r\n")?.value).toBeNull();
    expect(whole("*-1\r\n")?.value).toBeNull();
    expect(whole("*3\r\n$3\r\nmax\r\n*2\r\n:1\r\n+x\r\n$-1\r\n")?.value).toEqual(["max", [1, "x"], null]);
    const err = whole("-WRONGPASS invalid username-password pair\r\n")?.value;
    expect(err).toBeInstanceOf(RedisReplyError);
    expect((err as Error).message).toBe("WRONGPASS invalid username-password pair");
  });

  it("an error inside an array fails the reply and consumes the whole array", () => {
    const text = "*3\r\n+OK\r\n-ERR one\r\n:3\r\n+NEXT\r\n";
    const r = whole(text);
    expect(r?.value).toBeInstanceOf(RedisReplyError);
    expect(text.slice(r!.next)).toBe("+NEXT\r\n");
  });

  it("says 'not yet' (null) for every cut of a reply, and reads it once whole", () => {
    const text = "*2\r\n$11\r\nhello world\r\n*1\r\n:7\r\n";
    for (let cut = 0; cut < text.length; cut++) expect(whole(text.slice(0, cut))).toBeNull();
    expect(whole(text)).toEqual({ value: ["hello world", [7]], next: text.length });
  });

  it("rejects what is not RESP", () => {
    expect(() => whole("HTTP/1.1 400 Bad Request\r\n")).toThrow(/not a RESP reply \(byte 0x48\)/);
  });

  it("encodes commands with byte lengths", () => {
    expect(encodeCommand(["SET", "k", "é"])).toBe("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\né\r\n");
  });
});

/** A loopback server that hands each connection to `onConnection`. */
async function fakeServer(onConnection: (s: Socket) => void): Promise<{ url: string; server: Server }> {
  const server = createServer(onConnection);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  return { url: `redis://127.0.0.1:${port}`, server };
}

describe("RespClient against loopback servers", () => {
  it("reads replies that arrive one byte at a time, in the order the commands were sent", async () => {
    const { url, server } = await fakeServer((s) => {
      let seen = "";
      s.on("data", async (d) => {
        seen += d.toString();
        if ((seen.match(/\*1\r\n/g) ?? []).length < 2) return;
        for (const ch of "+first\r\n$6\r\nsecond\r\n") {
          s.write(ch);
          await new Promise((r) => setTimeout(r, 1));
        }
      });
    });
    const c = await RespClient.connect({ url, timeoutMs: 2000 });
    try {
      expect(await Promise.all([c.command("A"), c.command("B")])).toEqual(["first", "second"]);
    } finally {
      c.close();
      server.close();
    }
  });

  it("a server that never answers: the command fails after its time-out and the connection is closed", async () => {
    const sockets: Socket[] = [];
    const { url, server } = await fakeServer((s) => sockets.push(s));
    const c = await RespClient.connect({ url, timeoutMs: 200 });
    const t0 = Date.now();
    await expect(c.command("PING")).rejects.toThrow("PING timed out after 200 ms");
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
    expect(c.open).toBe(false);
    await expect(c.command("PING")).rejects.toThrow("PING timed out after 200 ms");
    for (const s of sockets) s.destroy();
    server.close();
  });

  it("a connection refused is an error naming the address", async () => {
    const { server } = await fakeServer(() => undefined);
    const { port } = server.address() as { port: number };
    await new Promise<void>((r) => server.close(() => r()));
    await expect(RespClient.connect({ url: `redis://127.0.0.1:${port}`, timeoutMs: 1000 })).rejects.toThrow(
      `ECONNREFUSED 127.0.0.1:${port}`,
    );
  });

  it("garbage from the server fails the command and closes the connection", async () => {
    const { url, server } = await fakeServer((s) => s.on("data", () => s.write("HTTP/1.1 400 Bad Request\r\n\r\n")));
    const c = await RespClient.connect({ url, timeoutMs: 1000 });
    await expect(c.command("PING")).rejects.toThrow(/not a RESP reply/);
    expect(c.open).toBe(false);
    server.close();
  });
});

const u = new URL(REDIS_URL);
const reachable = await tcpReachable(u.hostname, Number(u.port || 6379));
const describeRedis = describeWith("Redis", reachable ? "" : `nothing listens on ${u.host}`);

describeRedis("RespClient against the real Redis", () => {
  const user = `vigil-resp-test-${process.pid}`;
  let admin: Redis;
  beforeAll(async () => {
    admin = new Redis(REDIS_URL);
    await admin.call("ACL", "SETUSER", user, "on", ">s3cret pass", "~*", "+@all");
  });
  afterAll(async () => {
    await admin.call("ACL", "DELUSER", user);
    admin.disconnect();
  });
  const withAuth = (password: string, db = "") => {
    const url = new URL(REDIS_URL);
    url.username = user;
    url.password = encodeURIComponent(password);
    url.pathname = db;
    return url.href;
  };

  it("authenticates as an ACL user from the URL and selects its database", async () => {
    const c = await RespClient.connect({ url: withAuth("s3cret pass", "/3"), timeoutMs: 2000 });
    try {
      expect(await c.command("PING")).toBe("PONG");
      expect(await c.command("ACL", "WHOAMI")).toBe(user);
      expect(await c.command("CLIENT", "INFO")).toMatch(/ db=3 /);
      const [name, value] = (await c.command("CONFIG", "GET", "maxmemory-policy")) as string[];
      expect(name).toBe("maxmemory-policy");
      expect(typeof value).toBe("string");
    } finally {
      c.close();
    }
  });

  it("a wrong password is the server's error, and nothing stays open", async () => {
    await expect(RespClient.connect({ url: withAuth("wrong"), timeoutMs: 2000 })).rejects.toThrow(/^WRONGPASS/);
    // The password option overrides the URL's.
    const c = await RespClient.connect({ url: withAuth("wrong"), password: "s3cret pass", timeoutMs: 2000 });
    expect(await c.command("ACL", "WHOAMI")).toBe(user);
    c.close();
  });

  it("an unknown command is a RedisReplyError, and the connection stays usable", async () => {
    const c = await RespClient.connect({ url: REDIS_URL, timeoutMs: 2000 });
    try {
      await expect(c.command("NOSUCHCOMMAND")).rejects.toBeInstanceOf(RedisReplyError);
      expect(await c.command("PING")).toBe("PONG");
    } finally {
      c.close();
    }
  });
});
