/**
 * The public status page and `/status.json` from the edge cache. Under an incident's traffic
 * every reader used to render the page from scratch (a D1 batch, 90 days of history, the
 * HTML); now a reader costs one single-row D1 read when the page has not changed.
 *
 * Per request:
 * 1. Only the public variant is shared: a private page (`statusPage.token`), and any request
 *    carrying credentials of any kind (an `Authorization` header, a cookie, `?token=`), goes
 *    straight to the route and its answer is never stored — an operator's or a signed-in
 *    reader's view cannot reach anyone else.
 * 2. Read the read model's version (`status_version`, moved by D1 triggers on every change of
 *    check states, incidents, members and timelines: migrations/0010_status_version.sql). The
 *    cache key holds it, with the config's fingerprint: after a change the next request
 *    misses, so a change is visible at once, never after an expiry. Requests that arrive while
 *    a read runs share it (`sharedVersion`): a burst of readers costs one D1 read, not one each.
 * 3. Look in this isolate's memory, then in `caches.default` (shared by the location's
 *    isolates); an entry serves for at most `STATUS_CACHE_TTL_S` (the page's times and the
 *    uptime numbers move with the clock).
 * 4. On a miss the route renders once: requests for the same key that arrive meanwhile wait
 *    for that render (up to `WAIT_MS`) instead of starting their own (the first request after
 *    a change during an incident is when everyone reloads). Only a 200 is stored.
 * Answers carry `x-vigil-cache: hit | miss | bypass`.
 */
import type { Context, MiddlewareHandler } from "hono";
import type { App } from "../openapi";
import type { VigilConfig } from "../../config";

/** Longest time one stored page is served, in seconds. */
export const STATUS_CACHE_TTL_S = 10;
/** Pages kept in an isolate's memory (the rest come from `caches.default`). */
const MEMORY_ENTRIES = 16;
/** Origin of the synthetic cache keys: never a URL a reader can ask for. */
const KEY_ORIGIN = "https://status-cache.vigil.invalid";

interface Stored {
  key: string;
  status: number;
  headers: [string, string][];
  body: string;
  /** The body gzipped once, served as is to readers that accept gzip (no compression per request). */
  gzip: ArrayBuffer | null;
  storedAt: number;
}

const memory = new Map<string, Stored>();
/**
 * Keys being fetched from the edge or rendered now: what they will give, and since when. The
 * promise is settled by the request that leads; a request can be cancelled (its reader went
 * away) before it settles it, so waiting is bounded (`WAIT_MS`) and an entry older than
 * `STALE_MS` is ignored: a lost leader costs the readers behind it one wait, never a hang.
 */
const inFlight = new Map<string, { since: number; result: Promise<Stored | null> }>();
/** How long a reader waits for another's render before rendering itself. */
const WAIT_MS = 2_000;
/** An in-flight entry older than this is taken for a cancelled leader's. */
const STALE_MS = 5_000;
const fingerprints = new WeakMap<VigilConfig, string>();

/** FNV-1a over the config's JSON, once per config object: a new deploy or config is a new key. */
function fingerprint(config: VigilConfig): string {
  let f = fingerprints.get(config);
  if (!f) {
    const text = JSON.stringify(config);
    let h = 0x811c9dc5;
    for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
    f = (h >>> 0).toString(36);
    fingerprints.set(config, f);
  }
  return f;
}

/** The read model's version (`<epoch>.<counter>`); moves on every change the page shows. */
export async function statusVersion(db: D1Database): Promise<string> {
  const row = await db.prepare("SELECT version, epoch FROM status_version WHERE id = 1").first<{ version: number; epoch: string }>();
  if (!row) throw new Error("status_version is missing: apply the D1 migrations (0010_status_version.sql)");
  return `${row.epoch}.${row.version}`;
}

/** The version read running now, shared by the requests that arrive meanwhile. */
let versionRead: { db: D1Database; since: number; result: Promise<string> } | null = null;
/** A request joins a read at most this old; an older one is taken for a cancelled leader's. */
const VERSION_JOIN_MS = 1_000;

/**
 * `statusVersion`, one D1 read for all the requests that arrive while it runs: under a burst
 * the read was most of a hit's cost (≈1 ms of the isolate's time each, locally; a round trip
 * to the database, deployed). A joined read started before this request did, so a change
 * committed during it shows from the next read on: a few milliseconds later, never an expiry.
 * The leader's request can be cancelled before its read settles, so a wait is bounded
 * (`WAIT_MS`) and then the request reads on its own.
 */
async function sharedVersion(db: D1Database, now: number): Promise<string> {
  const running = versionRead;
  if (running && running.db === db && now - running.since < VERSION_JOIN_MS) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const version = await Promise.race([
      running.result.catch(() => null),
      new Promise<null>((r) => (timer = setTimeout(() => r(null), WAIT_MS))),
    ]);
    if (timer !== undefined) clearTimeout(timer);
    if (version !== null) return version;
  }
  const mine = { db, since: now, result: statusVersion(db) };
  versionRead = mine;
  try {
    return await mine.result;
  } finally {
    if (versionRead === mine) versionRead = null;
  }
}

/**
 * The public variant this request asks for (`/`, `/status.json?days=1`, …), or null when it
 * must not be shared: a private page, credentials of any kind, or a query the cache does not
 * know (the route answers it: a 400, the sign-in redirect, …).
 */
export function publicVariant(c: Context<App>): string | null {
  if (c.req.method !== "GET") return null;
  if (c.get("config").statusPage.token) return null;
  if (c.req.header("authorization") !== undefined || c.req.header("cookie") !== undefined) return null;
  const url = new URL(c.req.url);
  const params = [...url.searchParams.keys()];
  if (url.pathname === "/status.json") {
    if (params.some((k) => k !== "days")) return null;
    const days = url.searchParams.get("days");
    if (days === null || days === "false" || days === "0") return "/status.json";
    if (days === "true" || days === "1") return "/status.json?days=1";
    return null;
  }
  return params.length === 0 ? url.pathname : null;
}

function answer(s: Stored, how: "hit" | "miss", now: number, acceptsGzip: boolean): Response {
  const headers = new Headers(s.headers);
  headers.set("x-vigil-cache", how);
  headers.set("age", String(Math.max(0, Math.floor((now - s.storedAt) / 1000))));
  headers.append("vary", "accept-encoding");
  if (acceptsGzip && s.gzip) {
    headers.set("content-encoding", "gzip");
    return new Response(s.gzip, { status: s.status, headers, encodeBody: "manual" });
  }
  return new Response(s.body, { status: s.status, headers });
}

async function gzip(text: string): Promise<ArrayBuffer | null> {
  if (typeof CompressionStream === "undefined") return null;
  return new Response(new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer();
}

function remember(s: Stored) {
  memory.delete(s.key);
  memory.set(s.key, s);
  while (memory.size > MEMORY_ENTRIES) memory.delete(memory.keys().next().value!);
}

/** A stored answer as `caches.default` gives it back, or null when it is missing or too old. */
async function fromEdge(cache: Cache, key: string, now: number): Promise<Stored | null> {
  const res = await cache.match(key).catch(() => undefined);
  if (!res) return null;
  const storedAt = Number(res.headers.get("x-vigil-stored-at"));
  if (!(now - storedAt < STATUS_CACHE_TTL_S * 1000 && now >= storedAt)) return null;
  const headers: [string, string][] = [];
  for (const [k, v] of res.headers) {
    if (k === "x-vigil-stored-at" || k === "x-vigil-cache-control" || k === "cache-control") continue;
    headers.push([k, v]);
  }
  headers.push(["cache-control", res.headers.get("x-vigil-cache-control") ?? "no-cache"]);
  const body = await res.text();
  return { key, status: res.status, headers, body, gzip: await gzip(body), storedAt };
}

/** Puts an answer into `caches.default` with the shared max-age; the reader's own headers ride along. */
function toEdge(cache: Cache, s: Stored): Promise<void> {
  const res = new Response(s.body, { status: s.status, headers: s.headers });
  res.headers.set("x-vigil-cache-control", res.headers.get("cache-control") ?? "no-cache");
  res.headers.set("cache-control", `public, max-age=${STATUS_CACHE_TTL_S}, s-maxage=${STATUS_CACHE_TTL_S}`);
  res.headers.set("x-vigil-stored-at", String(s.storedAt));
  return cache.put(s.key, res).catch(() => undefined);
}

/** Middleware for the public status routes (mounted by `statusRoutes`). */
export function statusEdgeCache(): MiddlewareHandler<App> {
  return async function statusEdgeCacheMiddleware(c, next) {
    // 1.
    const variant = publicVariant(c);
    if (variant === null) {
      await next();
      c.res.headers.set("x-vigil-cache", "bypass");
      return;
    }
    const acceptsGzip = /\bgzip\b/i.test(c.req.header("accept-encoding") ?? "");
    // 2.
    const cacheKey = `${KEY_ORIGIN}${variant}${variant.includes("?") ? "&" : "?"}v=${await sharedVersion(c.env.DB, Date.now())}&c=${fingerprint(c.get("config"))}`;
    const now = Date.now();
    // 3.
    const inMemory = memory.get(cacheKey);
    if (inMemory && now - inMemory.storedAt < STATUS_CACHE_TTL_S * 1000 && now >= inMemory.storedAt)
      return answer(inMemory, "hit", now, acceptsGzip);
    // 4. Someone is already fetching or rendering this key: wait for it, for a while.
    const pending = inFlight.get(cacheKey);
    if (pending && now - pending.since < STALE_MS) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const s = await Promise.race([
        pending.result.catch(() => null),
        new Promise<null>((r) => (timer = setTimeout(() => r(null), WAIT_MS))),
      ]);
      if (timer !== undefined) clearTimeout(timer);
      if (s) return answer(s, "hit", Date.now(), acceptsGzip);
    }
    const edge = typeof caches === "undefined" ? null : caches.default;
    let settle!: (s: Stored | null) => void;
    const mine = { since: now, result: new Promise<Stored | null>((r) => (settle = r)) };
    inFlight.set(cacheKey, mine);
    try {
      const fromCache = edge ? await fromEdge(edge, cacheKey, now) : null;
      if (fromCache) {
        remember(fromCache);
        settle(fromCache);
        return answer(fromCache, "hit", Date.now(), acceptsGzip);
      }
      await next();
      if (c.res.status !== 200) return;
      const headers = [...c.res.headers].filter(([k]) => k !== "set-cookie" && k !== "x-vigil-cache");
      const body = await c.res.clone().text();
      const s: Stored = { key: cacheKey, status: 200, headers, body, gzip: await gzip(body), storedAt: Date.now() };
      remember(s);
      settle(s);
      c.res.headers.set("x-vigil-cache", "miss");
      if (edge) {
        const put = toEdge(edge, s);
        try {
          c.executionCtx.waitUntil(put);
        } catch {
          await put; // no execution context (app.request in a test)
        }
      }
    } finally {
      settle(null);
      if (inFlight.get(cacheKey) === mine) inFlight.delete(cacheKey);
    }
  };
}
