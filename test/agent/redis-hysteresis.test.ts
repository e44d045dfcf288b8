/**
 * Redis memory and evictions with hysteresis on a throw-away `redis-server` (its own free
 * port, `maxmemory 2mb`, `allkeys-lru`, no persistence; stopped after; the machine's shared
 * Redis is never touched): filled past 90 % of maxmemory until it evicts, then emptied step by
 * step back across the critical (95 %, clears below 85 %) and warn (80 %, clears below 70 %)
 * lines and filled again, the agent's check run on each step with its memory kept.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { Redis } from "ioredis";
import { afterAll, beforeAll, expect, it } from "vitest";
import { parseInfo } from "../../agent/checks/redis";
import { parseConfig } from "../../agent/config";
import { type CycleMemory, closeMemory, runChecks } from "../../agent/cycle";
import { DockerClient } from "../../agent/docker-api";
import { freePort } from "./pg-cluster";
import { describeWith, tcpReachable } from "./services";

function redisServerMissing(): string {
  try {
    execFileSync("redis-server", ["--version"], { stdio: "ignore", timeout: 10_000 });
    return "";
  } catch {
    return "no redis-server binary on PATH";
  }
}

const describeRedis = describeWith("redis-server (throw-away instance)", redisServerMissing());
const MAXMEMORY = 2 * 1024 * 1024;

describeRedis("redis memory past 90 % with evictions, back and forth across the lines", () => {
  let server: ChildProcess;
  let admin: Redis;
  let url = "";
  const docker = new DockerClient({ socketPath: "/nonexistent" });
  const memory: CycleMemory = new Map();

  beforeAll(async () => {
    const port = await freePort();
    server = spawn(
      "redis-server",
      [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--maxmemory",
        "2mb",
        "--maxmemory-policy",
        "allkeys-lru",
        "--save",
        "",
        "--appendonly",
        "no",
      ],
      { stdio: "ignore" },
    );
    const until = Date.now() + 10_000;
    while (!(await tcpReachable("127.0.0.1", port, 200))) {
      if (Date.now() > until || server.exitCode !== null) throw new Error(`redis-server did not start on port ${port}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    url = `redis://127.0.0.1:${port}`;
    admin = new Redis(url, { maxRetriesPerRequest: 1 });
  });
  afterAll(async () => {
    closeMemory(memory);
    admin?.disconnect();
    await docker.close();
    if (server && server.exitCode === null) {
      const exited = new Promise((r) => server.once("exit", r));
      server.kill("SIGTERM");
      await exited;
    }
  });

  const used = async () => Number(parseInfo(await admin.info("memory")).get("used_memory"));
  const value = "v".repeat(16 * 1024);
  let next = 0;

  async function check() {
    const config = parseConfig({ agent: { id: "redis-hysteresis" }, checks: [{ kind: "redis", url, evictedWarn: 1 }] });
    const [r] = await runChecks(config.checks, docker, memory);
    return r!.result;
  }

  /** Deletes the oldest keys until used_memory is at most `pct` % of maxmemory. */
  async function drainTo(pct: number): Promise<void> {
    const keys = (await admin.keys("fill:*")).sort((a, b) => Number(a.slice(5)) - Number(b.slice(5)));
    while ((await used()) > (MAXMEMORY * pct) / 100) {
      const k = keys.shift();
      if (!k) throw new Error(`cannot drain to ${pct} %`);
      await admin.del(k);
    }
  }

  /** Writes keys until used_memory is at least `pct` % of maxmemory. */
  async function fillTo(pct: number): Promise<void> {
    while ((await used()) < (MAXMEMORY * pct) / 100) await admin.set(`fill:${next++}`, value);
  }

  it("critical with evictions when full; held above each clear value on the way down; not raised again below the trigger", async () => {
    const first = await check();
    expect(first.status).toBe("ok");
    expect(first.metrics!.memoryPct).toBeLessThan(60);

    // 1. Past 90 %, on until Redis evicts (allkeys-lru): memory critical, evictions warn.
    await fillTo(92);
    for (let i = 0; i < 40; i++) await admin.set(`fill:${next++}`, value);
    const full = await check();
    expect(full.metrics!.evictedIncrease).toBeGreaterThan(0);
    expect(full.metrics!.memoryPct).toBeGreaterThanOrEqual(95);
    expect(full.status).toBe("critical");
    expect(full.summary).toMatch(/^memory critical, evicted warn: .*\(\d+(\.\d)? %, allkeys-lru\).*keys evicted since the last check/);

    // 2. Down to ~90 %: under the 95 % trigger, above its 85 % clear value: still critical. (The
    // draining's own KEYS reply, taken while full, may cost one more eviction.)
    await drainTo(90);
    const r90 = await check();
    expect(r90.metrics!.memoryPct).toBeGreaterThan(85);
    expect(r90.metrics!.memoryPct).toBeLessThan(95);
    expect(r90.status).toBe("critical");
    expect(r90.summary).toMatch(/^memory critical \(held, clears below 85 %\)(, evicted warn)?: /);

    // 3. ~77 %: below the critical clear value, above the warn one: warn (held under its 80 % trigger).
    await drainTo(77);
    const r77 = await check();
    expect(r77.metrics!.memoryPct).toBeGreaterThan(70);
    expect(r77.metrics!.memoryPct).toBeLessThan(80);
    expect(r77.metrics!.evictedIncrease).toBe(0); // far from full: no evictions, and the evictions line has cleared
    expect(r77.status).toBe("warn");
    expect(r77.summary).toMatch(/^memory warn \(held, clears below 70 %\): /);

    // 4. ~66 %: below 70 %: ok.
    await drainTo(66);
    const r66 = await check();
    expect(r66.metrics!.memoryPct).toBeLessThan(70);
    expect(r66.status).toBe("ok");

    // 5. Back up to ~76 %: under the trigger, not raised again.
    await fillTo(76);
    const up76 = await check();
    expect(up76.metrics!.memoryPct).toBeLessThan(80);
    expect(up76.status).toBe("ok");

    // 6. Past 80 %: warn.
    await fillTo(81);
    const up81 = await check();
    expect(up81.metrics!.memoryPct).toBeGreaterThanOrEqual(80);
    expect(up81.status).toBe("warn");
  }, 60_000);
});
