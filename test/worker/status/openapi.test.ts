import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../../src/index";
import { createApp } from "../../../src/routes/app";
import { buildOpenApi } from "../../../src/routes/openapi";

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/** Every handler route the app serves, as `"GET /badge/{id}"` (middleware-only entries are method ALL). */
function servedRoutes(app: ReturnType<typeof createApp>): string[] {
  const seen = new Set<string>();
  for (const r of app.routes) {
    if (!METHODS.includes(r.method) || r.path.endsWith("*")) continue;
    seen.add(`${r.method} ${r.path.replace(/:([A-Za-z0-9_]+)/g, "{$1}")}`);
  }
  return [...seen].sort();
}

/** Every operation of the document, in the same form. */
function documentedRoutes(doc: any): string[] {
  return Object.entries(doc.paths as Record<string, Record<string, unknown>>)
    .flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`))
    .sort();
}

describe("/openapi.json", () => {
  const app = createApp();
  const doc = buildOpenApi(app, { title: "t", version: "v" }) as any;

  it("is OpenAPI 3.1 and documents every route the app serves, and nothing else", () => {
    expect(doc.openapi).toBe("3.1.0");
    const served = servedRoutes(app);
    expect(served.length).toBeGreaterThan(30);
    expect(documentedRoutes(doc)).toEqual(served);
  });

  it("tags every operation, names it once and describes its answers", () => {
    const ids = new Set<string>();
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
      for (const [method, op] of Object.entries(ops)) {
        expect(op.tags, `${method} ${path}`).toHaveLength(1);
        expect(ids.has(op.operationId), `${method} ${path}: operationId ${op.operationId} twice`).toBe(false);
        ids.add(op.operationId);
        expect(Object.keys(op.responses).length, `${method} ${path}`).toBeGreaterThan(1);
      }
    }
    // Throttled credentials document the 429; the admin API its 401.
    expect(doc.paths["/v1/monitors"].get.responses).toHaveProperty("401");
    expect(doc.paths["/v1/monitors"].get.responses).toHaveProperty("429");
    expect(doc.paths["/ping/{key}"].get.responses).toHaveProperty("429");
    expect(doc.paths["/metrics"].get.responses).not.toHaveProperty("429");
    expect(doc.paths["/v1/incidents/{id}"].get.operationId).toBe("getV1IncidentsId");
  });

  it("describes bodies and parameters with the schemas the routes validate with", () => {
    const report = doc.paths["/v1/agents/{id}/reports"].post;
    const body = report.requestBody.content["application/json"].schema;
    expect(body.required).toEqual(expect.arrayContaining(["agent", "seq", "sentAt", "intervalSeconds", "checks"]));
    expect(body.properties.checks.items.properties.status.enum).toEqual(["ok", "warn", "critical", "unknown"]);
    expect(report.security).toEqual([{ agentSignature: [] }]);
    expect(report.parameters.map((p: any) => [p.in, p.name])).toEqual([["path", "id"]]);
    const probe = doc.paths["/v1/probe"].post;
    const spec = probe.requestBody.content["application/json"].schema;
    const variants = spec.oneOf ?? spec.anyOf;
    expect(variants.map((v: any) => v.properties.type.const ?? v.properties.type.enum?.[0]).sort()).toContain("http");
    expect(probe.security).toEqual([{ adminToken: [] }]);
    const incidents = doc.paths["/v1/incidents"].get.parameters;
    expect(incidents.map((p: any) => [p.in, p.name])).toEqual([
      ["query", "status"],
      ["query", "limit"],
    ]);
    expect(doc.paths["/v1/incidents/{id}/ack"].post.requestBody.content["application/json"].schema.properties).toHaveProperty(
      "reescalateAfter",
    );
    expect(doc.paths["/metrics"].get.security).toEqual([{ metricsToken: [] }]);
    expect(doc.components.securitySchemes.adminToken).toEqual({ type: "http", scheme: "bearer", description: "VIGIL_ADMIN_TOKEN" });
  });

  it("is served as JSON by the worker", async () => {
    const res = await worker.fetch(new Request("http://vigil.test/openapi.json"), env, createExecutionContext());
    expect(res.status).toBe(200);
    const served = await res.json<any>();
    expect(served.servers).toEqual([{ url: "https://vigil.test" }]);
    expect(Object.keys(served.paths)).toEqual(
      expect.arrayContaining(["/status.json", "/badge/{id}", "/feed.atom", "/v1/monitors", "/ping/{key}/{code}", "/openapi.json"]),
    );
  });
});
