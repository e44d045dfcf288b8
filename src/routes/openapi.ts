/**
 * Routes declared once. Each route is a `createRoute({...})` object (from `@hono/zod-openapi`)
 * naming the zod schemas of its path, query and body, registered with {@link on}: the same
 * object installs the validators the handler runs behind and describes the route in
 * `/openapi.json`, so the document cannot drift from the validation.
 *
 * Request bodies are the exception to automatic validation: the library's validator would read
 * a body whole, whatever its size. A route still declares its body schema (for the document),
 * and its handler reads the body bounded (`src/body.ts`, through `readJson` in `./errors.ts`)
 * and validates it with that very schema ({@link bodySchema}).
 */
import { OpenAPIHono, type RouteConfig, type RouteHandler } from "@hono/zod-openapi";
import type { Context, Handler, MiddlewareHandler } from "hono";
import { z } from "zod";
import { formatIssues, type VigilConfig } from "../config";
import type { Env } from "../env";
import { jsonError } from "./errors";
import type { Audience } from "./status/audience";

/** The one Hono env of every route: the bindings, the loaded config, and who reads the status page. */
export type App = {
  Bindings: Env;
  Variables: {
    config: VigilConfig;
    /** Set by `statusAccess` (./status-access.ts) on the status routes only. */
    audience: Audience;
  };
};

/** How a route authenticates. */
export type RouteAuth = "admin" | "metrics" | "status" | "signature" | "ping-key" | "link" | "none";

/** `security` of an operation, per kind of credential (the schemes are in {@link SECURITY_SCHEMES}). */
const SECURITY: Record<RouteAuth, Record<string, string[]>[]> = {
  admin: [{ adminToken: [] }],
  metrics: [{ metricsToken: [] }],
  status: [{}, { statusToken: [] }, { statusTokenQuery: [] }, { statusCookie: [] }],
  signature: [{ agentSignature: [] }],
  "ping-key": [],
  link: [],
  none: [],
};

const tokenReader = "statusPage.token (private pages), or VIGIL_ADMIN_TOKEN: the reader then sees probe reasons and check targets";

const SECURITY_SCHEMES = {
  adminToken: { type: "http", scheme: "bearer", description: "VIGIL_ADMIN_TOKEN" },
  metricsToken: { type: "http", scheme: "bearer", description: "VIGIL_METRICS_TOKEN" },
  statusToken: { type: "http", scheme: "bearer", description: tokenReader },
  statusTokenQuery: { type: "apiKey", in: "query", name: "token", description: tokenReader },
  statusCookie: { type: "apiKey", in: "cookie", name: "vigil_status", description: "set by the page after a ?token= sign-in" },
  agentSignature: {
    type: "apiKey",
    in: "header",
    name: "Vigil-Signature",
    description: 't=<unix seconds>,v1=<hex HMAC-SHA256(agent secret, "<t>.<raw body>")>',
  },
} as const;

/** Routes whose failed attempts are throttled per client (./throttle.ts). */
const THROTTLED: readonly RouteAuth[] = ["admin", "status", "ping-key"];

/** `{ "error": { "code", "message", "issues"? } }`, a component of the document (`#/components/schemas/Error`). */
export const errorSchema = z
  .object({ error: z.object({ code: z.string(), message: z.string(), issues: z.array(z.string()).optional() }) })
  .openapi("Error");

type ResponseDoc = { description: string; content?: Record<string, { schema?: z.ZodType }> };

/** A response described by its content type and, for JSON, its schema. */
export function answer(description: string, contentType?: string, schema?: z.ZodType): ResponseDoc {
  if (!contentType) return { description };
  return { description, content: { [contentType]: schema ? { schema } : {} } };
}

/** An error response: the JSON error body. */
export const refusal = (description: string): ResponseDoc => answer(description, "application/json", errorSchema);

function withRefusals(auth: RouteAuth, responses: Record<string | number, ResponseDoc>) {
  const out: Record<string | number, ResponseDoc & { headers?: unknown }> = { ...responses };
  if (auth === "admin" && !out[401]) out[401] = refusal("Missing or invalid admin token");
  if (!Object.keys(out).some((s) => Number(s) >= 400)) out.default = refusal("Error");
  if (THROTTLED.includes(auth) && !out[429]) {
    out[429] = {
      ...refusal("Too many failed attempts from this client; Retry-After says when to try again"),
      headers: { "Retry-After": { schema: { type: "integer", minimum: 1 }, description: "Seconds" } },
    };
  }
  return out;
}

/** A route as its file declares it; {@link declarer} adds what its kind of credential shares. */
export type RouteSpec = Omit<RouteConfig, "tags" | "security">;

/**
 * Declares the routes of one kind of credential: each gets `tag`, the credential's `security`,
 * the admin 401, the 429 of throttled routes, and a default error when it declares none.
 */
export function declarer(auth: RouteAuth, tag: string) {
  return <const R extends RouteSpec>(route: R): R & { tags: string[]; security: Record<string, string[]>[] } => ({
    ...route,
    tags: [tag],
    security: SECURITY[auth],
    responses: withRefusals(auth, route.responses as Record<string, ResponseDoc>) as R["responses"],
  });
}

/** Refuses a request whose path or query fails its route's schema: every issue, each with its parameter. */
function refuseInput(result: { success: boolean; target: string; error?: z.ZodError }, c: Context) {
  if (result.success || !result.error) return;
  const issues = formatIssues(result.error.issues);
  const where = result.target === "param" ? "path" : "query";
  // One problem is the message itself (as the admin API always answered); several are listed.
  if (issues.length === 1) return jsonError(c, 400, `invalid_${where}`, issues[0]!);
  return jsonError(c, 400, `invalid_${where}`, `invalid ${where} parameters (${issues.length} problems)`, issues);
}

/** A group of routes. Path and query refusals answer with {@link refuseInput} unless a route says otherwise. */
export function routes(): OpenAPIHono<App> {
  return new OpenAPIHono<App>({ defaultHook: refuseInput as never });
}

type WithoutBody<R extends RouteConfig> = Omit<R, "request"> & { request: Omit<NonNullable<R["request"]>, "body"> };
type Parts<R extends RouteConfig> =
  RouteHandler<WithoutBody<R>, App> extends Handler<App, infer P, infer I, infer _> ? { path: P; input: I } : never;

/** A route's handler: its path and query typed from the route (`c.req.valid("query")`), any response. */
export type RouteHandlerOf<R extends RouteConfig> = Handler<App, Parts<R>["path"], Parts<R>["input"], Response | Promise<Response>>;

/** What answers a path or query that fails the route's schema (else {@link refuseInput}). */
export type InputHook = (
  result: { success: boolean; target: string; error?: z.ZodError },
  c: Context<App>,
) => Response | Promise<Response> | undefined;

/**
 * Registers `route` on `app`: validators for its path and query, then `handler`, and its
 * description (body included) for `/openapi.json`.
 */
export function on<R extends RouteConfig>(app: OpenAPIHono<App>, route: R, handler: RouteHandlerOf<R>, hook?: InputHook): void {
  const { middleware, hide: _hide, ...described } = route;
  const { body: _body, ...request } = route.request ?? {};
  app.openapi(
    { ...described, middleware: middleware as MiddlewareHandler | MiddlewareHandler[] | undefined, request, hide: true },
    handler as never,
    hook as never,
  );
  app.openAPIRegistry.registerPath(described as never);
}

/** The JSON body schema a route declares: the one its handler validates with. */
export function bodySchema<S extends z.ZodType>(route: { request: { body: { content: { "application/json": { schema: S } } } } }): S {
  return route.request.body.content["application/json"].schema;
}

export interface OpenApiOptions {
  title: string;
  version: string;
  serverUrl?: string;
}

/** The OpenAPI 3.1 document of every route declared on `app` (and the groups mounted on it). */
export function buildOpenApi(app: OpenAPIHono<App>, options: OpenApiOptions) {
  for (const [name, scheme] of Object.entries(SECURITY_SCHEMES)) {
    if (!app.openAPIRegistry.definitions.some((d) => d.type === "component" && d.name === name)) {
      app.openAPIRegistry.registerComponent("securitySchemes", name, scheme);
    }
  }
  const doc = app.getOpenAPI31Document({
    openapi: "3.1.0",
    info: {
      title: options.title,
      version: options.version,
      description: "Vigil: edge synthetic checks, host-agent reports, escalating alerts.",
    },
    ...(options.serverUrl && { servers: [{ url: options.serverUrl }] }),
  });
  // Stable operation ids from method and full path, for client generators: `getV1IncidentsId`.
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const [method, op] of Object.entries(item as Record<string, { operationId?: string }>)) {
      op.operationId ??= `${method}${path.replace(/[^A-Za-z0-9]+(.)?/g, (_, ch: string | undefined) => (ch ? ch.toUpperCase() : ""))}`;
    }
  }
  return doc;
}

/** `GET /openapi.json`, served by the root app itself (it describes everything mounted on it). */
export function serveOpenApi(app: OpenAPIHono<App>) {
  let cached: { key: string; body: string } | null = null;
  on(
    app,
    declarer(
      "none",
      "meta",
    )({
      method: "get",
      path: "/openapi.json",
      summary: "This OpenAPI document",
      responses: { 200: answer("OpenAPI 3.1 document", "application/json") },
    }),
    (c) => {
      const serverUrl = c.get("config").publicUrl ?? new URL(c.req.url).origin;
      const version = c.env.VIGIL_VERSION ?? "dev";
      const key = `${serverUrl}|${version}`;
      if (cached?.key !== key) cached = { key, body: JSON.stringify(buildOpenApi(app, { title: "Vigil API", version, serverUrl })) };
      return c.body(cached.body, 200, { "content-type": "application/json; charset=utf-8" });
    },
  );
}

/**
 * A whole-number query parameter (`?limit=50`), refused as `expected <expected>, got "<text>"`:
 * the text as given, since a number that does not parse has no other name.
 */
export function wholeNumber(options: { min: number; max?: number; expected?: string }) {
  const { min, max } = options;
  const expected = options.expected ?? (max === undefined ? `a whole number of at least ${min}` : `a whole number from ${min} to ${max}`);
  const error = (iss: { input?: unknown }) => `expected ${expected}, got "${String(iss.input)}"`;
  const int = z.int({ error }).min(min, { error });
  return z.preprocess(
    (v) => (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v)) ? Number(v) : v),
    max === undefined ? int : int.max(max, { error }),
  );
}
