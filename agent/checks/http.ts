/**
 * A local health endpoint seen from inside the host (the runbook's `curl -I …/health`):
 * status, optional keyword, latency. Through undici; the body read is capped at 64 KiB.
 */
import { request } from "undici";
import type { SpecOf } from "../config";
import { errorText } from "../log";
import { type CheckContext, type Finding, grade, round, worst } from "./check";

type HttpSpec = SpecOf<"http">;
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
  const t0 = performance.now();
  try {
    const res = await request(spec.url, {
      method: spec.method,
      signal: ctx.signal,
      headersTimeout: spec.timeout,
      bodyTimeout: spec.timeout,
      headers: { "user-agent": "vigil-agent" },
    });
    res.body.on("error", () => undefined); // destroying an unread body emits AbortError: expected here
    let body = "";
    if (spec.keyword && spec.method === "GET") {
      for await (const chunk of res.body) {
        body += (chunk as Buffer).toString("utf8");
        if (body.length >= BODY_CAP || body.includes(spec.keyword)) break;
      }
    }
    res.body.destroy();
    const latencyMs = performance.now() - t0;
    return [judgeHttp(spec, { status: res.statusCode, latencyMs, bodyHasKeyword: spec.keyword ? body.includes(spec.keyword) : null })];
  } catch (err) {
    return [{ status: "critical", summary: `request failed: ${errorText(err)}`, metrics: { up: 0 } }];
  }
}
