/**
 * A local health endpoint seen from inside the host (the runbook's `curl -I …/health`):
 * status, optional keyword, latency. Through agent/http-client.ts (one client per check, kept between runs);
 * the body is read only for the keyword, at most 64 KiB of it.
 */
import { errorText } from "../log";
import type { Client } from "../http-client";
import { type CheckContext, type Finding, grade, round, worst } from "./check";
import { monotonicMs } from "../time";
import { checkKind, type CheckSpecOf } from "./kind";
import type { SchemaKit } from "./schema-kit";

/** The `http` check's config: `checks[]` entries with `kind: "http"`. */
const schema = (k: SchemaKit) =>
  k.z.strictObject({
    kind: k.z.literal("http"),
    ...k.common,
    url: k.z.url({ protocol: /^https?$/, error: "Invalid url" }),
    method: k.z.enum(["GET", "HEAD"]).default("GET"),
    /** Accepted status codes. Default 200–399. */
    expectStatus: k.z.array(k.z.int().min(100).max(599)).min(1).optional(),
    /** Text the body must contain. */
    keyword: k.z.string().min(1).optional(),
    /** Slower than this is `warn`. Default 5s (the runbook's "level 3 performance"). */
    latencyWarn: k.duration.prefault("5s"),
  });

type HttpSpec = CheckSpecOf<typeof schema>;
const BODY_CAP = 64 * 1024;

export interface HttpObservation {
  status: number;
  latencyMs: number;
  bodyHasKeyword: boolean | null;
}

export function judgeHttp(spec: HttpSpec, o: HttpObservation): Finding {
  const statusOk = spec.expectStatus ? spec.expectStatus.includes(o.status) : o.status >= 200 && o.status < 400;
  const notes = [`HTTP ${o.status} in ${round(o.latencyMs)} ms`];
  if (!statusOk) notes.unshift(`unexpected status ${o.status}`);
  if (o.bodyHasKeyword === false) notes.unshift(`body lacks "${spec.keyword}"`);
  const latency = grade(o.latencyMs, spec.latencyWarn, undefined);
  if (latency !== "ok") notes.unshift("slow");
  return {
    status: worst(statusOk && o.bodyHasKeyword !== false ? "ok" : "critical", latency),
    summary: notes.join("; "),
    metrics: { up: statusOk ? 1 : 0, statusCode: o.status, latencyMs: round(o.latencyMs, 2) },
  };
}

export async function runHttp(spec: HttpSpec, ctx: CheckContext): Promise<Finding[]> {
  const t0 = monotonicMs();
  try {
    const url = new URL(spec.url);
    // Closed by the cycle when the agent stops (closeMemory).
    // On use, as postgres.ts loads pg: the config schema bundle lists this kind but never runs it,
    // and undici (CommonJS) cannot load inside it (agent/build.mjs).
    const { Client, requestBuffer } = await import("../http-client");
    let client = ctx.memory.get("client") as Client | undefined;
    if (!client) ctx.memory.set("client", (client = new Client(url.origin, { connectTimeout: spec.timeout })));
    // The body is read only to look for the keyword (at most BODY_CAP bytes); otherwise the
    // request ends at the first body bytes.
    const res = await requestBuffer(client, {
      path: url.pathname + url.search,
      method: spec.method,
      signal: ctx.signal,
      headersTimeout: spec.timeout,
      bodyTimeout: spec.timeout,
      headers: { "user-agent": "vigil-agent" },
      maxBytes: spec.keyword && spec.method === "GET" ? BODY_CAP : 0,
    });
    const body = res.body.toString("utf8");
    const latencyMs = monotonicMs() - t0;
    return [judgeHttp(spec, { status: res.statusCode, latencyMs, bodyHasKeyword: spec.keyword ? body.includes(spec.keyword) : null })];
  } catch (err) {
    return [{ status: "critical", summary: `request failed: ${errorText(err)}`, metrics: { up: 0 } }];
  }
}

export const http = checkKind({
  kind: "http",
  schema,
  run: runHttp,
  defaultName: (spec) => {
    try {
      const u = new URL(spec.url);
      return `${u.host}${u.pathname}`;
    } catch {
      return spec.url; // only reached while the url itself is being reported as invalid
    }
  },
});
