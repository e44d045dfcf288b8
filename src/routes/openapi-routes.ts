/**
 * OpenAPI descriptions of the admin and ingest routes whose files do not document themselves.
 * Bodies use the schemas the handlers parse with (`agentReport` in ingest.ts, `monitorSpec` in
 * probe.ts). A route file that starts calling `documentRoute` itself takes its entry out of
 * here (a route documented twice throws at startup). `test/worker/status/openapi.test.ts`
 * fails when an admin or ingest route of the app is missing from the registry.
 */
import { z } from "zod";
import { monitorSpec } from "../config";
import { agentReport, MAX_REPORT_BYTES } from "../contract/report";
import { ackBody, flagBody, noteBody, resolveBody, silenceBody } from "./admin/incidents";
import { documentRoute } from "./openapi";

const idParam = z.object({ id: z.string().min(1).describe("Id as in the config") });
const keyParam = z.object({ key: z.string().min(1).describe("The job's ping key (a secret)") });

/**
 * `GET /v1/incidents` query. The handler in app.ts validates these two parameters by hand with
 * the same rules; `openapi.test.ts` runs both over the same inputs so they cannot disagree.
 */
export const incidentListQuery = z.strictObject({
  status: z.enum(["open", "resolved"]).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

const signatureHeader = z.object({
  "Vigil-Signature": z.string().regex(/^t=\d+,v1=[0-9a-f]{64}$/).describe('t=<unix seconds>,v1=<hex HMAC-SHA256(agent secret, "<t>.<raw body>")>'),
});

documentRoute({ method: "get", path: "/health", summary: "Liveness, version, config counts and which config is live", tags: ["meta"], auth: "none", responses: { 200: { description: "OK" } } });

// Ingest: signed agent reports.
documentRoute({
  method: "post",
  path: "/v1/agents/:id/reports",
  summary: "Push an agent report (signed)",
  description: `The body is at most ${MAX_REPORT_BYTES} bytes; the signature covers "<t>.<raw body>" and t must be within ±5 minutes.`,
  tags: ["ingest"],
  auth: "signature",
  params: idParam,
  headers: signatureHeader,
  body: { schema: agentReport },
  responses: {
    200: { description: "Duplicate seq: accepted, nothing applied again" },
    202: { description: "Accepted (or late: kept in history only)" },
    400: { description: "Invalid JSON or schema (every issue with its path), or agent.id differs from the URL" },
    401: { description: "Missing, invalid, expired or future signature" },
    403: { description: "Agent disabled in the config" },
    404: { description: "Unknown agent" },
    409: { description: "Refused by the agent's object" },
    413: { description: "Body over the size limit" },
  },
});

// Ingest: job pings (Healthchecks.io style).
const pingResponses = {
  200: { description: "OK", contentType: "text/plain" },
  400: { description: "Invalid exit code" },
  403: { description: "Job disabled" },
  404: { description: "Unknown ping key" },
};
const pingBody = { schema: z.string().describe("First 10 KiB kept as the job's log excerpt"), contentType: "text/plain" };
for (const [suffix, summary] of [
  ["", "Job succeeded"],
  ["/start", "Job started"],
  ["/fail", "Job failed"],
  ["/log", "Keep a log excerpt, change nothing else"],
] as const) {
  documentRoute({ method: "get", path: `/ping/:key${suffix}`, summary, tags: ["ingest"], auth: "ping-key", params: keyParam, responses: pingResponses });
  documentRoute({ method: "post", path: `/ping/:key${suffix}`, summary, tags: ["ingest"], auth: "ping-key", params: keyParam, body: pingBody, responses: pingResponses });
}
const codeParam = keyParam.extend({ code: z.string().regex(/^\d{1,3}$/).describe("Exit code 0–255: 0 is success, anything else failure") });
documentRoute({ method: "get", path: "/ping/:key/:code", summary: "Job finished with an exit code", tags: ["ingest"], auth: "ping-key", params: codeParam, responses: pingResponses });
documentRoute({ method: "post", path: "/ping/:key/:code", summary: "Job finished with an exit code", tags: ["ingest"], auth: "ping-key", params: codeParam, body: pingBody, responses: pingResponses });

// Admin API.
documentRoute({
  method: "get",
  path: "/v1/config",
  summary: "Which config is live (hash, loaded at) and a refused newer one with its problems (npm start)",
  tags: ["admin"],
  auth: "admin",
  responses: { 200: { description: "Config status; null when the config was deployed as is" }, 401: { description: "Missing or invalid admin token" } },
});
documentRoute({ method: "get", path: "/v1/monitors", summary: "Monitors with their current state", tags: ["admin"], auth: "admin", responses: { 200: { description: "Monitors" }, 401: { description: "Missing or invalid admin token" } } });
documentRoute({
  method: "get",
  path: "/v1/incidents",
  summary: "Incidents, newest first",
  tags: ["admin"],
  auth: "admin",
  query: incidentListQuery,
  responses: { 200: { description: "Incidents" }, 400: { description: "Invalid query" }, 401: { description: "Missing or invalid admin token" } },
});
documentRoute({
  method: "get",
  path: "/v1/incidents/:id",
  summary: "One incident with members, timeline and deliveries",
  tags: ["admin"],
  auth: "admin",
  params: idParam,
  responses: { 200: { description: "Incident" }, 401: { description: "Missing or invalid admin token" }, 404: { description: "No such incident" } },
});
documentRoute({ method: "get", path: "/v1/agents", summary: "Agents with heartbeat state", tags: ["admin"], auth: "admin", responses: { 200: { description: "Agents" }, 401: { description: "Missing or invalid admin token" } } });
documentRoute({
  method: "get",
  path: "/v1/agents/:id",
  summary: "One agent: checks, remediations, report history",
  tags: ["admin"],
  auth: "admin",
  params: idParam,
  responses: { 200: { description: "Agent" }, 401: { description: "Missing or invalid admin token" }, 404: { description: "No such agent" } },
});
documentRoute({ method: "get", path: "/v1/jobs", summary: "Ping jobs with their state", tags: ["admin"], auth: "admin", responses: { 200: { description: "Jobs" }, 401: { description: "Missing or invalid admin token" } } });
documentRoute({
  method: "get",
  path: "/v1/jobs/:id",
  summary: "One ping job",
  tags: ["admin"],
  auth: "admin",
  params: idParam,
  responses: { 200: { description: "Job" }, 401: { description: "Missing or invalid admin token" }, 404: { description: "No such job" } },
});
documentRoute({
  method: "post",
  path: "/v1/probe",
  summary: "Run one monitor spec now (test before you save)",
  tags: ["admin"],
  auth: "admin",
  body: { schema: monitorSpec, description: "One monitor spec, as in the config" },
  responses: {
    200: { description: "Probe result" },
    400: { description: "Invalid JSON or spec (every issue with its path), or a named secret is not set" },
    401: { description: "Missing or invalid admin token" },
    413: { description: "Spec over 64 KiB" },
  },
});

/** `GET /v1/deliveries` query; deliveries.ts validates by hand with the same rules (checked by a test). */
export const deliveryListQuery = z.strictObject({
  status: z.enum(["delivered", "retry", "failed", "dead"]).optional(),
  channel: z.string().optional(),
  incident: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  /** The `next` id of the previous page. */
  before: z.coerce.number().int().min(1).optional(),
});
documentRoute({
  method: "get",
  path: "/v1/deliveries",
  summary: "Notification delivery log, newest attempt first",
  tags: ["admin"],
  auth: "admin",
  query: deliveryListQuery,
  responses: { 200: { description: "Deliveries (and `next` when there may be more)" }, 400: { description: "Invalid query" }, 401: { description: "Missing or invalid admin token" } },
});

// Human controls on incidents (incidents.ts parses these bodies).
const incidentAction = (path: string, summary: string, schema: z.ZodType) =>
  documentRoute({
    method: "post",
    path,
    summary,
    tags: ["admin"],
    auth: "admin",
    params: idParam,
    body: { schema },
    responses: {
      200: { description: "The incident after the action" },
      400: { description: "Invalid JSON or body (every issue with its path)" },
      401: { description: "Missing or invalid admin token" },
      404: { description: "No such incident" },
    },
  });
incidentAction("/v1/incidents/:id/ack", "Acknowledge an incident", ackBody);
incidentAction("/v1/incidents/:id/resolve", "Resolve an incident by hand", resolveBody);
incidentAction("/v1/incidents/:id/notes", "Add a note to an incident's timeline", noteBody);
incidentAction("/v1/incidents/:id/flags", "Flag an incident (data-loss risk, security)", flagBody);
documentRoute({ method: "get", path: "/v1/silences", summary: "Active silences", tags: ["admin"], auth: "admin", responses: { 200: { description: "Silences" }, 401: { description: "Missing or invalid admin token" } } });
documentRoute({
  method: "post",
  path: "/v1/silences",
  summary: "Silence a service or checks for a while",
  tags: ["admin"],
  auth: "admin",
  body: { schema: silenceBody },
  responses: { 201: { description: "Silence created" }, 400: { description: "Invalid JSON or body, or unknown service" }, 401: { description: "Missing or invalid admin token" } },
});
documentRoute({
  method: "delete",
  path: "/v1/silences/:id",
  summary: "End a silence now",
  tags: ["admin"],
  auth: "admin",
  params: idParam,
  responses: { 204: { description: "Ended" }, 401: { description: "Missing or invalid admin token" }, 404: { description: "No active silence with this id" } },
});

// Signed links from notifications: GET shows a confirmation page, POST acts.
const linkParams = z.object({ id: z.string().min(1).describe("Incident id"), action: z.enum(["ack", "resolve"]) });
const linkQuery = z.object({ exp: z.string().describe("Expiry, Unix seconds"), sig: z.string().describe("HMAC over id, action and exp") });
for (const method of ["get", "post"] as const) {
  documentRoute({
    method,
    path: "/a/:id/:action",
    summary: method === "get" ? "Signed notification link: confirmation page" : "Signed notification link: act",
    tags: ["ingest"],
    auth: "none",
    params: linkParams,
    query: linkQuery,
    responses: {
      200: { description: "HTML page", contentType: "text/html" },
      403: { description: "Link expired, forged or links not configured", contentType: "text/html" },
      404: { description: "Unknown action or incident", contentType: "text/html" },
    },
  });
}
