/** JSON errors: `{ "error": { "code", "message", "issues"? } }`. */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { z } from "zod";
import { formatIssues } from "../config";
import { readAtMost } from "../body";
import { jsonSizeIssues } from "../contract/json-size";

export function jsonError(c: Context, status: ContentfulStatusCode, code: string, message: string, issues?: string[]) {
  return c.json({ error: { code, message, ...(issues && { issues }) } }, status);
}

/** The largest JSON request body {@link readJson} reads by default: 64 KiB. */
export const MAX_JSON_BYTES = 64 * 1024;

const lossyUtf8 = new TextDecoder("utf-8");

/**
 * Parses a JSON request body with `schema` (a route's declared body: `bodySchema(route)`).
 * Returns the data, or the error response to send: `413 too_large` past `maxBytes` (default
 * {@link MAX_JSON_BYTES}; the rest is never parsed), `400 invalid_json`, or `400 <code>`
 * listing every issue with its path.
 */
export async function readJson<T extends z.ZodType>(
  c: Context,
  schema: T,
  opts: { code: string; what: string; emptyIs?: unknown; maxBytes?: number },
): Promise<z.infer<T> | Response> {
  const max = opts.maxBytes ?? MAX_JSON_BYTES;
  const body = await readAtMost(c.req.raw, max, undefined, "drain");
  if (body.overflow) return jsonError(c, 413, "too_large", `a ${opts.what} is at most ${max} bytes`);
  const text = lossyUtf8.decode(body.bytes);
  let raw: unknown = opts.emptyIs;
  if (text.trim() !== "" || opts.emptyIs === undefined) {
    try {
      raw = JSON.parse(text);
    } catch {
      return jsonError(c, 400, "invalid_json", `the body is not valid JSON (expected a ${opts.what})`);
    }
  }
  // Lengths before the schema, which would parse every element of an oversize array.
  const oversize = jsonSizeIssues(raw);
  if (oversize.length > 0)
    return jsonError(c, 400, opts.code, `invalid ${opts.what} (${oversize.length} problem${oversize.length === 1 ? "" : "s"})`, oversize);
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issues = formatIssues(parsed.error.issues);
  return jsonError(c, 400, opts.code, `invalid ${opts.what} (${issues.length} problem${issues.length === 1 ? "" : "s"})`, issues);
}
