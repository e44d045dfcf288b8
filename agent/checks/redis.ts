/**
 * Redis (the runbook's `redis-cli ping` and `info memory` / `info stats`) through the agent's
 * small RESP client (`agent/resp.ts`): PING latency, `used_memory` vs `maxmemory`, keyspace
 * hit ratio, connected / blocked / rejected clients, evicted keys. Counters are judged by
 * their increase since the last run. PING latency is measured on a kept connection (connect
 * time included when it is made anew).
 */
import { readSecret } from "../config-common";
import { errorText } from "../log";
import { RespClient } from "../resp";
import { type CheckContext, type CheckStatus, type Finding, delta, round, worst } from "./check";
import { Grader, type Grades } from "./hysteresis";
import { monotonicMs } from "../time";
import { checkKind, hostPort, type CheckSpecOf } from "./kind";
import type { SchemaKit } from "./schema-kit";

/** The `redis` check's config: `checks[]` entries with `kind: "redis"`. */
const schema = (k: SchemaKit) =>
  k.z.strictObject({
    kind: k.z.literal("redis"),
    ...k.common,
    url: k.z
      .string()
      .regex(/^rediss?:\/\//, "expected a redis:// URL")
      .default("redis://127.0.0.1:6379"),
    password: k.secretRef.optional(),
    latencyWarn: k.duration.prefault("500ms"),
    memoryWarnPct: k.pct.default(80),
    memoryCriticalPct: k.pct.default(95),
    /** Keyspace hit ratio below this is `warn`. Default: reported only. */
    hitRatioWarnPct: k.pct.optional(),
    /** Clients rejected since the previous check at or above this are `warn`. Default 1. */
    rejectedWarn: k.z.int().min(1).default(1),
    /** Keys evicted since the previous check at or above this are `warn`. Default: reported only. */
    evictedWarn: k.z.int().min(1).optional(),
    ...k.graded("redis"),
  });

type RedisSpec = CheckSpecOf<typeof schema>;

export interface RedisObservation {
  pingMs: number;
  usedMemory: number;
  maxmemory: number;
  maxmemoryPolicy: string;
  hits: number;
  misses: number;
  /** Hits and misses since the last run, when there was one. */
  hitsDelta: number | undefined;
  missesDelta: number | undefined;
  connectedClients: number;
  blockedClients: number;
  maxclients: number | undefined;
  rejectedConnections: number;
  rejectedIncrease: number;
  evictedKeys: number;
  evictedIncrease: number;
  keys: number;
}

/** `INFO` text → map. */
export function parseInfo(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(":");
    if (i > 0 && !line.startsWith("#")) out.set(line.slice(0, i), line.slice(i + 1));
  }
  return out;
}

/** Pure judgement; `previous` and the finding's `grades`: hysteresis (agent/checks/hysteresis.ts). */
export function judgeRedis(spec: RedisSpec, o: RedisObservation, previous: Grades = {}): Finding & { grades: Grades } {
  const memPct = o.maxmemory > 0 ? (o.usedMemory / o.maxmemory) * 100 : undefined;
  const lookups =
    o.hitsDelta !== undefined && o.missesDelta !== undefined && o.hitsDelta + o.missesDelta > 0
      ? { h: o.hitsDelta, m: o.missesDelta }
      : { h: o.hits, m: o.misses };
  const hitRatio = lookups.h + lookups.m > 0 ? (lookups.h / (lookups.h + lookups.m)) * 100 : undefined;
  const g = new Grader("redis", spec, previous);
  const s: Record<string, CheckStatus> = {
    latency: g.grade("latency", o.pingMs, "latencyWarn"),
    memory: g.grade("memory", memPct, "memoryWarnPct", "memoryCriticalPct"),
    hitRatio: hitRatio !== undefined && spec.hitRatioWarnPct !== undefined && hitRatio < spec.hitRatioWarnPct ? "warn" : "ok",
    rejected: g.grade("rejected", o.rejectedIncrease, "rejectedWarn"),
    evicted: g.grade("evicted", o.evictedIncrease, "evictedWarn"),
  };
  const mb = (n: number) => `${round(n / 1048576)} MiB`;
  const notes = [
    `PING ${round(o.pingMs, 2)} ms`,
    memPct === undefined
      ? `${mb(o.usedMemory)} used, no maxmemory`
      : `${mb(o.usedMemory)} of ${mb(o.maxmemory)} (${round(memPct)} %, ${o.maxmemoryPolicy})`,
    `${o.connectedClients} clients${o.blockedClients ? `, ${o.blockedClients} blocked` : ""}`,
  ];
  if (hitRatio !== undefined) notes.push(`hit ratio ${round(hitRatio)} %`);
  if (o.rejectedIncrease) notes.push(`${o.rejectedIncrease} clients rejected since the last check`);
  if (o.evictedIncrease) notes.push(`${o.evictedIncrease} keys evicted since the last check`);
  const flagged = Object.entries(s)
    .filter(([, v]) => v !== "ok")
    .map(([k, v]) => g.label(k, v));
  return {
    grades: g.grades,
    status: worst(...Object.values(s)),
    summary: (flagged.length ? `${flagged.join(", ")}: ` : "") + notes.join("; "),
    metrics: {
      up: 1,
      pingMs: round(o.pingMs, 2),
      usedMemory: o.usedMemory,
      maxmemory: o.maxmemory,
      memoryPct: memPct === undefined ? undefined : round(memPct),
      hitRatioPct: hitRatio === undefined ? undefined : round(hitRatio),
      connectedClients: o.connectedClients,
      blockedClients: o.blockedClients,
      maxclients: o.maxclients,
      rejectedConnections: o.rejectedConnections,
      rejectedIncrease: o.rejectedIncrease,
      evictedKeys: o.evictedKeys,
      evictedIncrease: o.evictedIncrease,
      keys: o.keys,
    },
  };
}

/**
 * One connection kept between runs (made on first use, dropped on any error and made again on
 * the next run): a new connection per run costs more CPU than the whole check.
 */
interface Conn {
  redis: RespClient;
  /** Called by the cycle when the agent stops. */
  close(): void;
  maxclients: number | undefined;
}

async function connection(spec: RedisSpec, ctx: CheckContext): Promise<Conn> {
  const existing = ctx.memory.get("conn") as Conn | undefined;
  if (existing?.redis.open) return existing;
  ctx.memory.delete("conn");
  const redis = await RespClient.connect({
    url: spec.url,
    password: spec.password ? await readSecret(spec.password) : undefined,
    timeoutMs: spec.timeout,
  });
  const conn: Conn = { redis, maxclients: undefined, close: () => redis.close() };
  ctx.memory.set("conn", conn);
  conn.maxclients = await redis.command("CONFIG", "GET", "maxclients").then(
    (r) => (Array.isArray(r) && r[1] != null ? Number(r[1]) : undefined),
    () => undefined,
  );
  return conn;
}

export async function runRedis(spec: RedisSpec, ctx: CheckContext): Promise<Finding[]> {
  let conn: Conn | undefined;
  const abort = () => conn?.redis.close();
  ctx.signal.addEventListener("abort", abort, { once: true });
  try {
    const t0 = monotonicMs();
    conn = await connection(spec, ctx);
    const redis = conn.redis;
    await redis.command("PING");
    const pingMs = monotonicMs() - t0;
    const info = String(await redis.command("INFO"));
    const maxclients = conn.maxclients;
    const m = parseInfo(info);
    const n = (k: string) => Number(m.get(k) ?? 0);
    let keys = 0;
    for (const [k, v] of m) if (/^db\d+$/.test(k)) keys += Number(/keys=(\d+)/.exec(v)?.[1] ?? 0);
    const first = !ctx.memory.has("hits");
    const hitsDelta = delta(ctx.memory, "hits", n("keyspace_hits"));
    const missesDelta = delta(ctx.memory, "misses", n("keyspace_misses"));
    const { grades, ...finding } = judgeRedis(
      spec,
      {
        pingMs,
        usedMemory: n("used_memory"),
        maxmemory: n("maxmemory"),
        maxmemoryPolicy: m.get("maxmemory_policy") ?? "unknown",
        hits: n("keyspace_hits"),
        misses: n("keyspace_misses"),
        hitsDelta: first ? undefined : hitsDelta,
        missesDelta: first ? undefined : missesDelta,
        connectedClients: n("connected_clients"),
        blockedClients: n("blocked_clients"),
        maxclients,
        rejectedConnections: n("rejected_connections"),
        rejectedIncrease: delta(ctx.memory, "rejected", n("rejected_connections")) ?? 0,
        evictedKeys: n("evicted_keys"),
        evictedIncrease: delta(ctx.memory, "evicted", n("evicted_keys")) ?? 0,
        keys,
      },
      ctx.memory.get("grades") as Grades | undefined,
    );
    ctx.memory.set("grades", grades);
    return [finding];
  } catch (err) {
    (ctx.memory.get("conn") as Conn | undefined)?.redis.close();
    ctx.memory.delete("conn");
    return [{ status: "critical", summary: `cannot query Redis: ${errorText(err)}`.slice(0, 1000), metrics: { up: 0 } }];
  } finally {
    ctx.signal.removeEventListener("abort", abort);
  }
}

export const redis = checkKind({
  kind: "redis",
  schema,
  run: runRedis,
  defaultName: (spec) => hostPort(spec.url),
});
