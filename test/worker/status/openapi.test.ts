import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../../src/index";
import { createApp } from "../../../src/routes/app";
import { buildOpenApi, documentedRoutes, documentRoute } from "../../../src/routes/openapi";
import { deliveryListQuery, incidentListQuery } from "../../../src/routes/openapi-routes";

const ADMIN = "test-admin-token-0123456789abcdef";

/** Every handler route of the app (middleware-only entries are method ALL). */
function appRoutes(): string[] {
  const seen = new Set<string>();
  for (const r of createApp().routes) {
    if (r.method === "ALL" || r.path.endsWith("*")) continue;
    seen.add(`${r.method} ${r.path}`);
  }
  return [...seen].sort();
}

describe("/openapi.json", () => {
  it("documents every admin and ingest route of the app", () => {
    const documented = new Set(documentedRoutes());
    const apiRoutes = appRoutes().filter((r) => /^(GET|POST|PUT|PATCH|DELETE) \/(v1|ping)\//.test(r));
    expect(apiRoutes.length).toBeGreaterThan(10);
    expect(apiRoutes.filter((r) => !documented.has(r))).toEqual([]);
  });

  it("documents every other route too, and nothing the app does not serve", () => {
    const routes = new Set(appRoutes());
    expect(appRoutes().filter((r) => !documentedRoutes().includes(r))).toEqual([]);
    expect(documentedRoutes().filter((r) => !routes.has(r))).toEqual([]);
  });

  it("describes bodies with the schemas the routes parse", () => {
    const doc = buildOpenApi({ title: "t", version: "v" }) as any;
    const report = doc.paths["/v1/agents/{id}/reports"].post;
    const body = report.requestBody.content["application/json"].schema;
    expect(body.required).toEqual(expect.arrayContaining(["agent", "seq", "sentAt", "intervalSeconds", "checks"]));
    expect(body.properties.checks.items.properties.status.enum).toEqual(["ok", "warn", "critical", "unknown"]);
    expect(report.security).toEqual([{ agentSignature: [] }]);
    expect(report.parameters.map((p: any) => [p.in, p.name])).toEqual([
      ["path", "id"],
      ["header", "Vigil-Signature"],
    ]);
    const probe = doc.paths["/v1/probe"].post;
    const spec = probe.requestBody.content["application/json"].schema;
    const variants = spec.oneOf ?? spec.anyOf;
    expect(variants.map((v: any) => v.properties.type.const).sort()).toContain("http");
    expect(probe.security).toEqual([{ adminToken: [] }]);
    const incidents = doc.paths["/v1/incidents"].get.parameters;
    expect(incidents.map((p: any) => p.name)).toEqual(["status", "limit"]);
    expect(doc.paths["/metrics"].get.security).toEqual([{ metricsToken: [] }]);
  });

  it("is served as JSON by the worker", async () => {
    const res = await worker.fetch(new Request("http://vigil.test/openapi.json"), env, createExecutionContext());
    expect(res.status).toBe(200);
    const doc = await res.json<any>();
    expect(doc.servers).toEqual([{ url: "https://vigil.test" }]);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(["/status.json", "/badge/{id}", "/feed.atom", "/v1/monitors", "/ping/{key}/{code}"]));
  });

  it("refuses a route documented twice", () => {
    expect(() => documentRoute({ method: "get", path: "/metrics", summary: "x", tags: [], auth: "none", responses: {} })).toThrow("GET /metrics is documented twice");
  });

  it("agrees with the hand-written validation of GET /v1/incidents", async () => {
    for (const query of ["", "status=open", "status=resolved&limit=500", "status=closed", "limit=0", "limit=501", "limit=2.5", "limit=abc", "limit=10"]) {
      const res = await worker.fetch(new Request(`http://vigil.test/v1/incidents?${query}`, { headers: { authorization: `Bearer ${ADMIN}` } }), env, createExecutionContext());
      const parsed = incidentListQuery.safeParse(Object.fromEntries(new URLSearchParams(query)));
      expect([query, res.status === 200], query).toEqual([query, parsed.success]);
    }
  });

  it("agrees with the hand-written validation of GET /v1/deliveries", async () => {
    for (const query of ["", "status=dead", "status=lost", "limit=0", "limit=500", "limit=x", "before=0", "before=12", "before=1.5", "channel=ops&incident=i1"]) {
      const res = await worker.fetch(new Request(`http://vigil.test/v1/deliveries?${query}`, { headers: { authorization: `Bearer ${ADMIN}` } }), env, createExecutionContext());
      const parsed = deliveryListQuery.safeParse(Object.fromEntries(new URLSearchParams(query)));
      expect([query, res.status === 200], query).toEqual([query, parsed.success]);
    }
  });
});
