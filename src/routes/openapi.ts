/**
 * `/openapi.json`, generated from the zod schemas the routes validate with.
 *
 * Routes describe themselves with `documentRoute({...})` at module level, passing the very
 * schema objects their handlers parse with (`agentReport`, `monitorSpec`, a query schema…), so
 * the document cannot drift from the validation. `openapi-routes.ts` documents the routes whose
 * files do not (yet) do it themselves; a test compares the app's route table with this
 * registry, so an admin or ingest route without a description fails CI.
 */
import { Hono, type Context } from "hono";
import { z } from "zod";
import { formatIssues, type VigilConfig } from "../config";
import type { Env } from "../env";
import { jsonError } from "./errors";

type App = { Bindings: Env; Variables: { config: VigilConfig } };

/** How a route authenticates. */
export type RouteAuth = "admin" | "metrics" | "status" | "signature" | "ping-key" | "none";

export interface ResponseDoc {
  description: string;
  /** Body schema (JSON unless `contentType` says otherwise). */
  schema?: z.ZodType;
  contentType?: string;
}

export interface RouteDoc {
  method: "get" | "post" | "put" | "patch" | "delete";
  /** Hono-style path: `/v1/agents/:id/reports`. */
  path: string;
  summary: string;
  description?: string;
  tags: string[];
  auth: RouteAuth;
  params?: z.ZodObject;
  query?: z.ZodObject;
  /** Request headers the route reads (e.g. `Vigil-Signature`). */
  headers?: z.ZodObject;
  body?: { schema: z.ZodType; contentType?: string; description?: string };
  responses: Record<number, ResponseDoc>;
}

const registry = new Map<string, RouteDoc>();

const key = (method: string, path: string) => `${method.toUpperCase()} ${path}`;

/**
 * Registers a route's description; returns it so a handler can keep its schemas together.
 * Registering the same method and path twice throws: one route, one description.
 */
export function documentRoute<T extends RouteDoc>(doc: T): T {
  const k = key(doc.method, doc.path);
  if (registry.has(k)) throw new Error(`openapi: ${k} is documented twice`);
  registry.set(k, doc);
  return doc;
}

/** Every documented route, as `"GET /v1/monitors"` keys. */
export function documentedRoutes(): string[] {
  return [...registry.keys()].sort();
}

/** Parses a query with a route's schema; a refusal lists every problem with its parameter name. */
export function parseQuery<S extends z.ZodObject>(c: Context, schema: S): { ok: true; value: z.infer<S> } | { ok: false; response: Response } {
  const parsed = schema.safeParse(c.req.query());
  if (parsed.success) return { ok: true, value: parsed.data };
  const issues = formatIssues(parsed.error.issues);
  return { ok: false, response: jsonError(c, 400, "invalid_query", `invalid query parameters (${issues.length} problem${issues.length === 1 ? "" : "s"})`, issues) };
}

const errorSchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), issues: z.array(z.string()).optional() }),
});

const SECURITY: Record<RouteAuth, Record<string, string[]>[] | undefined> = {
  admin: [{ adminToken: [] }],
  metrics: [{ metricsToken: [] }],
  status: [{}, { statusToken: [] }, { statusTokenQuery: [] }, { statusCookie: [] }],
  signature: [{ agentSignature: [] }],
  "ping-key": [],
  none: [],
};

/** Routes whose failed attempts are throttled per client. */
const THROTTLED: readonly RouteAuth[] = ["admin", "status", "ping-key"];

function jsonSchema(schema: z.ZodType, io: "input" | "output") {
  const out = z.toJSONSchema(schema, { io, unrepresentable: "any", reused: "inline" }) as Record<string, unknown>;
  delete out.$schema;
  return out;
}

function parameters(where: "path" | "query" | "header", schema: z.ZodObject | undefined) {
  if (!schema) return [];
  const json = jsonSchema(schema, "input") as { properties?: Record<string, Record<string, unknown>>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, s]) => {
    const { description, ...rest } = s;
    return {
      name,
      in: where,
      required: where === "path" || (json.required ?? []).includes(name),
      ...(typeof description === "string" && { description }),
      schema: rest,
    };
  });
}

export interface OpenApiOptions {
  title: string;
  version: string;
  serverUrl?: string;
}

/** The OpenAPI 3.1 document of every registered route. */
export function buildOpenApi(options: OpenApiOptions) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const doc of [...registry.values()].sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method))) {
    const path = doc.path.replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?/g, "{$1}");
    const responses: Record<string, unknown> = {};
    for (const [status, r] of Object.entries(doc.responses)) {
      responses[status] = {
        description: r.description,
        ...(r.schema && { content: { [r.contentType ?? "application/json"]: { schema: jsonSchema(r.schema, "output") } } }),
        ...(!r.schema && r.contentType && { content: { [r.contentType]: {} } }),
      };
    }
    const hasErrors = Object.keys(doc.responses).some((s) => Number(s) >= 400);
    if (!hasErrors) responses.default = { description: "Error", content: { "application/json": { schema: jsonSchema(errorSchema, "output") } } };
    // Failed-auth throttling (src/routes/throttle.ts) answers these routes too.
    if (THROTTLED.includes(doc.auth) && !responses["429"]) {
      responses["429"] = {
        description: "Too many failed attempts from this client; Retry-After says when to try again",
        headers: { "Retry-After": { schema: { type: "integer", minimum: 1 }, description: "Seconds" } },
        content: { "application/json": { schema: jsonSchema(errorSchema, "output") } },
      };
    }
    (paths[path] ??= {})[doc.method] = {
      operationId: `${doc.method}${doc.path.replace(/[^A-Za-z0-9]+(.)?/g, (_, ch: string | undefined) => (ch ? ch.toUpperCase() : ""))}`,
      summary: doc.summary,
      ...(doc.description && { description: doc.description }),
      tags: doc.tags,
      ...(SECURITY[doc.auth] && { security: SECURITY[doc.auth] }),
      parameters: [...parameters("path", doc.params), ...parameters("query", doc.query), ...parameters("header", doc.headers)],
      ...(doc.body && {
        requestBody: {
          required: true,
          ...(doc.body.description && { description: doc.body.description }),
          content: { [doc.body.contentType ?? "application/json"]: { schema: jsonSchema(doc.body.schema, "input") } },
        },
      }),
      responses,
    };
  }
  return {
    openapi: "3.1.0",
    info: { title: options.title, version: options.version, description: "Vigil: edge synthetic checks, host-agent reports, escalating alerts." },
    ...(options.serverUrl && { servers: [{ url: options.serverUrl }] }),
    paths,
    components: {
      securitySchemes: {
        adminToken: { type: "http", scheme: "bearer", description: "VIGIL_ADMIN_TOKEN" },
        metricsToken: { type: "http", scheme: "bearer", description: "VIGIL_METRICS_TOKEN" },
        statusToken: { type: "http", scheme: "bearer", description: "statusPage.token (private pages), or VIGIL_ADMIN_TOKEN: the reader then sees probe reasons and check targets" },
        statusTokenQuery: { type: "apiKey", in: "query", name: "token", description: "statusPage.token (private pages), or VIGIL_ADMIN_TOKEN: the reader then sees probe reasons and check targets" },
        statusCookie: { type: "apiKey", in: "cookie", name: "vigil_status", description: "set by the page after a ?token= sign-in" },
        agentSignature: {
          type: "apiKey",
          in: "header",
          name: "Vigil-Signature",
          description: 't=<unix seconds>,v1=<hex HMAC-SHA256(agent secret, "<t>.<raw body>")>',
        },
      },
    },
  };
}

documentRoute({
  method: "get",
  path: "/openapi.json",
  summary: "This OpenAPI document",
  tags: ["meta"],
  auth: "none",
  responses: { 200: { description: "OpenAPI 3.1 document" } },
});

export function openApiRoutes() {
  const app = new Hono<App>();
  let cached: { key: string; body: string } | null = null;
  app.get("/openapi.json", (c) => {
    const config = c.get("config");
    const serverUrl = config.publicUrl ?? new URL(c.req.url).origin;
    const version = c.env.VIGIL_VERSION ?? "dev";
    const k = `${serverUrl}|${version}|${registry.size}`;
    if (cached?.key !== k) cached = { key: k, body: JSON.stringify(buildOpenApi({ title: "Vigil API", version, serverUrl })) };
    return c.body(cached.body, 200, { "content-type": "application/json; charset=utf-8" });
  });
  return app;
}
