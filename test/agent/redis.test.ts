/**
 * The Redis check against the machine's real server: maxmemory near full (warn, then critical
 * when writes are refused), rejected clients, hit ratio, an unreachable server. Every server
 * setting changed here is put back in `finally`.
 */
import { connect } from "node:net";
import { Redis } from "ioredis";
import { afterAll, beforeAll, expect, it } from "vitest";
import { parseConfig } from "../../agent/config";
import { parseInfo } from "../../agent/checks/redis";
import { closeMemory, runChecks } from "../../agent/cycle";
import { DockerClient } from "../../agent/docker-api";
import { REDIS_URL, describeWith, tcpReachable } from "./services";

const u = new URL(REDIS_URL);
const reachable = await tcpReachable(u.hostname, Number(u.port || 6379));
const describeRedis = describeWith("Redis", reachable ? "" : `nothing listens on ${u.host}`);

async function check(spec: Record<string, unknown> = {}, memory = new Map()) {
  const config = parseConfig({ agent: { id: "redis-test" }, checks: [{ kind: "redis", url: REDIS_URL, ...spec }] });
  const docker = new DockerClient({ socketPath: "/nonexistent" });
  const [r] = await runChecks(config.checks, docker, memory);
  closeMemory(memory); // closes the kept connection; the counters stay for the next run
  await docker.close();
  return r!.result;
}

const PREFIX = `vigil-agent-test:${process.pid}:`;

describeRedis("redis check on the real server", () => {
  let admin: Redis;
  beforeAll(async () => {
    admin = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    const keys = await admin.keys(`${PREFIX}*`);
    if (keys.length) await admin.del(...keys);
    admin.disconnect();
  });

  const used = async () => Number(parseInfo(await admin.info("memory")).get("used_memory"));

  it("is ok and reports PING latency, memory and clients", async () => {
    const r = await check();
    expect(r.status).toBe("ok");
    expect(r.metrics).toMatchObject({ up: 1 });
    expect(r.metrics!.pingMs).toBeGreaterThan(0);
    expect(r.metrics!.connectedClients).toBeGreaterThanOrEqual(1);
  });

  it("warns as used_memory nears maxmemory and is critical when writes are refused", async () => {
    const [, maxmemory] = (await admin.config("GET", "maxmemory")) as string[];
    const [, policy] = (await admin.config("GET", "maxmemory-policy")) as string[];
    const value = "x".repeat(64 * 1024);
    try {
      await admin.config("SET", "maxmemory-policy", "noeviction");
      await admin.config("SET", "maxmemory", String((await used()) + 4 * 1024 * 1024));
      const max = Number(((await admin.config("GET", "maxmemory")) as string[])[1]);
      // Fill to ~88 %: past the 80 % warning, short of the 95 % critical line.
      let i = 0;
      while ((await used()) < max * 0.88) await admin.set(`${PREFIX}fill:${i++}`, value);
      const warn = await check();
      expect(warn.status).toBe("warn");
      expect(warn.summary).toMatch(/^memory warn: /);
      // Fill until Redis refuses writes (noeviction): the cache is full.
      let refused = "";
      while (!refused) await admin.set(`${PREFIX}fill:${i++}`, value).catch((e: Error) => (refused = e.message));
      expect(refused).toMatch(/OOM/);
      const critical = await check();
      expect(critical.status).toBe("critical");
      expect(critical.metrics!.memoryPct).toBeGreaterThanOrEqual(95);
    } finally {
      const keys = await admin.keys(`${PREFIX}fill:*`);
      for (let k = 0; k < keys.length; k += 500) await admin.del(...keys.slice(k, k + 500));
      await admin.config("SET", "maxmemory", maxmemory!);
      await admin.config("SET", "maxmemory-policy", policy!);
    }
  });

  it("warns about clients rejected since the last run (maxclients reached)", async () => {
    const memory = new Map();
    await check({}, memory); // baseline of rejected_connections
    const [, maxclients] = (await admin.config("GET", "maxclients")) as string[];
    const replies: string[] = [];
    try {
      const connected = Number(parseInfo(await admin.info("clients")).get("connected_clients"));
      await admin.config("SET", "maxclients", String(connected));
      // Three more clients: the server answers each with an error and closes.
      await Promise.all(
        [1, 2, 3].map(
          () =>
            new Promise<void>((resolve) => {
              const s = connect(Number(u.port || 6379), u.hostname);
              s.on("data", (d) => replies.push(d.toString()));
              s.on("connect", () => s.write("PING\r\n"));
              s.on("close", () => resolve());
              s.on("error", () => resolve());
              setTimeout(() => s.destroy(), 2000);
            }),
        ),
      );
    } finally {
      await admin.config("SET", "maxclients", maxclients!);
    }
    expect(replies.join("")).toMatch(/max number of clients reached/);
    const r = await check({}, memory);
    expect(r.status).toBe("warn");
    expect(r.metrics!.rejectedIncrease).toBeGreaterThanOrEqual(3);
    expect(r.summary).toMatch(/rejected warn: .*clients rejected since the last check/);
  });

  it("judges the keyspace hit ratio over the interval", async () => {
    const memory = new Map();
    await check({ hitRatioWarnPct: 90 }, memory);
    await admin.set(`${PREFIX}hit`, "1");
    await admin.get(`${PREFIX}hit`);
    for (let i = 0; i < 20; i++) await admin.get(`${PREFIX}miss:${i}`);
    const r = await check({ hitRatioWarnPct: 90 }, memory);
    expect(r.metrics!.hitRatioPct).toBeLessThan(90);
    expect(r.status).toBe("warn");
  });

  it("an unreachable server is critical", async () => {
    const r = await check({ url: "redis://127.0.0.1:1", timeout: "2s" });
    expect(r.status).toBe("critical");
    expect(r.summary).toMatch(/^cannot query Redis: .*ECONNREFUSED/);
  });
});
