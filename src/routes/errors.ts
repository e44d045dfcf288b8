/** JSON errors: `{ "error": { "code", "message", "issues"? } }`. */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

export function jsonError(c: Context, status: ContentfulStatusCode, code: string, message: string, issues?: string[]) {
  return c.json({ error: { code, message, ...(issues && { issues }) } }, status);
}
