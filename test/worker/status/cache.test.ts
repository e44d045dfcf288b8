/**
 * The public status page and /status.json from the edge cache (src/routes/status-cache.ts):
 * a repeat read is a hit, a change of the read model is visible on the very next request,
 * and nothing rendered for one audience (credentials, a private page) is served to another.
 */
import { env } from "cloudflare:workers";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { Hono } from "hono";
import { beforeAll, describe, expect, it } from "vitest";
import { parseConfig, type VigilConfig } from "../../../src/config";
import type { Env } from "../../../src/env";
import type { App } from "../../../src/routes/openapi";
import { statusRoutes } from "../../../src/routes/status/index";
import { statusEdgeCache } from "../../../src/routes/status/cache";
import { saveState } from "../../../src/store/check-state";
import { addEvent } from "../../../src/store/incidents";
import { STATUS_TOKEN, statusConfig, statusSecrets, statusSeedSql } from "./seed";

const now = Date.now();
const bindings = { ...env, ...statusSecrets } as unknown as Env;

function withConfig(config: VigilConfig, routes: Hono<App>) {
  const app = new Hono<App>();
  app.use("*", async (c, next) => {
    c.set("config", config);
    await next();
  });
  app.route("/", routes);
  return app;
}
const publicConfig = parseConfig(statusConfig(now), statusSecrets);
const publicApp = withConfig(publicConfig, statusRoutes());
const privateApp = withConfig(parseConfig(statusConfig(now, { private: true }), statusSecrets), statusRoutes());

async function get(app: Hono<any>, path: string, headers: Record<string, string> = {}) {
  const ctx = createExecutionContext();
  const res = await app.request(path, { headers }, bindings, ctx);
  const body = await res.text();
  await waitOnExecutionContext(ctx);
  return { status: res.status, cache: res.headers.get("x-vigil-cache"), cacheControl: res.headers.get("cache-control"), body };
}

beforeAll(async () => {
  for (const sql of statusSeedSql(now)) await env.DB.prepare(sql).run();
});

describe("public status page from the edge cache", () => {
  it("serves a repeat read from the cache, byte for byte, with the route's own headers", async () => {
    for (const path of ["/", "/status.json", "/status.json?days=true", "/check/api-health"]) {
      const first = await get(publicApp, path);
      const second = await get(publicApp, path);
      expect(first.status, path).toBe(200);
      expect([first.cache, second.cache], path).toEqual(["miss", "hit"]);
      expect(second.body, path).toBe(first.body);
      expect(second.cacheControl, path).toBe(first.cacheControl);
    }
  });

  it("gives readers that accept gzip the body compressed once, unchanged when inflated", async () => {
    const plain = await get(publicApp, "/status.json");
    const ctx = createExecutionContext();
    const res = await publicApp.request("/status.json", { headers: { "accept-encoding": "gzip, br" } }, bindings, ctx);
    await waitOnExecutionContext(ctx);
    expect(res.headers.get("x-vigil-cache")).toBe("hit");
    expect(res.headers.get("content-encoding")).toBe("gzip");
    const inflated = await new Response(res.body!.pipeThrough(new DecompressionStream("gzip"))).text();
    expect(inflated).toBe(plain.body);
  });

  it("shows a state change on the very next request: no stale page", async () => {
    await get(publicApp, "/");
    const cached = await get(publicApp, "/");
    expect(cached.cache).toBe("hit");
    // The probe path's own write: api-health recovers.
    await saveState(
      env.DB,
      "api-health",
      { status: "up", since: Date.now(), consecutiveFailures: 0, consecutiveSuccesses: 2, reason: null },
      Date.now(),
    ).run();
    const after = await get(publicApp, "/");
    expect(after.cache).toBe("miss");
    expect(after.body).not.toBe(cached.body);
    expect(after.body).toMatch(
      /id="check-api-health"><div class="ch"><h3><a href="check\/api-health">api-health<\/a><\/h3><span class="pill s-up">Operational/,
    );
    expect(cached.body).toMatch(
      /id="check-api-health"><div class="ch"><h3><a href="check\/api-health">api-health<\/a><\/h3><span class="pill s-down">/,
    );
    const json = JSON.parse((await get(publicApp, "/status.json")).body);
    const api = json.services.find((s: any) => s.id === "api").components.find((c: any) => c.id === "api-health");
    expect(api).toMatchObject({ status: "up", reason: null });

    // A timeline entry (an incident update) is a change too.
    const before = JSON.parse((await get(publicApp, "/status.json")).body).incidents.open[0];
    await addEvent(env.DB, before.id, Date.now(), "incident.update", { message: "Fix deployed, watching" }).run();
    const updated = await get(publicApp, "/status.json");
    expect(updated.cache).toBe("miss");
    expect(JSON.parse(updated.body).incidents.open[0].timeline.length).toBeGreaterThan(before.timeline.length);
  });

  it("readers who arrive together share one read of the version, and all get the page", async () => {
    const first = await get(publicApp, "/status.json");
    let versionReads = 0;
    const db = new Proxy(env.DB, {
      get(target, key) {
        if (key !== "prepare") return Reflect.get(target, key, target);
        return (sql: string) => {
          if (sql.includes("status_version")) versionReads++;
          return target.prepare(sql);
        };
      },
    });
    const counted = { ...bindings, DB: db } as Env;
    const answers = await Promise.all(
      Array.from({ length: 50 }, async () => {
        const ctx = createExecutionContext();
        const res = await publicApp.request("/status.json", {}, counted, ctx);
        const body = await res.text();
        await waitOnExecutionContext(ctx);
        return { cache: res.headers.get("x-vigil-cache"), body };
      }),
    );
    expect(answers.every((a) => a.cache === "hit" && a.body === first.body)).toBe(true);
    expect(versionReads).toBe(1);
    // Once that read is over, the next request reads anew: a change after it shows at once.
    await get(publicApp, "/status.json");
    await env.DB.prepare("UPDATE check_state SET reason = 'HTTP 502', updated_at = ? WHERE check_id = 'api-health'").bind(Date.now()).run();
    const ctx = createExecutionContext();
    const res = await publicApp.request("/status.json", {}, counted, ctx);
    await res.text();
    await waitOnExecutionContext(ctx);
    expect(res.headers.get("x-vigil-cache")).toBe("miss");
    expect(versionReads).toBe(2);
  });

  it("counters that every probe rewrites do not empty the cache", async () => {
    await get(publicApp, "/status.json");
    await env.DB.prepare(
      "UPDATE check_state SET consecutive_successes = consecutive_successes + 1, updated_at = ? WHERE check_id = 'web-home'",
    )
      .bind(Date.now())
      .run();
    expect((await get(publicApp, "/status.json")).cache).toBe("hit");
  });
});

describe("one audience's page never reaches another", () => {
  // A route whose answer depends on who asks, behind the same middleware: what an operator's
  // view (or any signed-in view) would look like.
  const who = new Hono<App>();
  who.use("/who", statusEdgeCache());
  who.get("/who", (c) => c.text(`view for ${c.req.header("authorization") ?? c.req.header("cookie") ?? "the public"}`));
  const app = withConfig(publicConfig, who);

  it("requests with credentials bypass the cache both ways", async () => {
    const operator = { authorization: "Bearer operator-token-0123456789" };
    const cookie = { cookie: "vigil_session=abc" };
    expect(await get(app, "/who", operator)).toMatchObject({ cache: "bypass", body: "view for Bearer operator-token-0123456789" });
    // The operator's answer was not stored: the public reader gets the public view.
    expect(await get(app, "/who")).toMatchObject({ cache: "miss", body: "view for the public" });
    expect(await get(app, "/who")).toMatchObject({ cache: "hit", body: "view for the public" });
    // And the stored public view is not handed to a signed-in reader.
    expect(await get(app, "/who", operator)).toMatchObject({ cache: "bypass", body: "view for Bearer operator-token-0123456789" });
    expect(await get(app, "/who", cookie)).toMatchObject({ cache: "bypass", body: "view for vigil_session=abc" });
    // Unknown query strings (?token=, ?preview=…) are not shared either.
    expect((await get(app, "/who?token=x")).cache).toBe("bypass");
  });

  it("a private page is never cached, signed in or not", async () => {
    const signedIn = { authorization: `Bearer ${STATUS_TOKEN}` };
    for (let i = 0; i < 2; i++) {
      const page = await get(privateApp, "/", signedIn);
      expect(page).toMatchObject({ status: 200, cache: "bypass", cacheControl: "private, no-store" });
      const json = await get(privateApp, "/status.json", signedIn);
      expect(json).toMatchObject({ status: 200, cache: "bypass" });
      expect((await get(privateApp, "/")).status).toBe(401);
    }
  });
});
