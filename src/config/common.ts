/** Building blocks shared by the config schema files. */
import { z } from "zod";

export const id = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, "must be lowercase letters, digits, '.', '_' or '-' (1–63 characters)");

/** A secret is never inline: it names an environment variable (a wrangler secret in production). */
export const secretRef = z.strictObject({
  env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, "must be an environment variable name such as SLACK_WEBHOOK_URL"),
});
export type SecretRef = z.infer<typeof secretRef>;

export const httpUrl = z.url({ protocol: /^https?$/, error: "Invalid url: expected an http:// or https:// URL" });

