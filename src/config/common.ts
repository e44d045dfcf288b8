/** Building blocks shared by the config schema files. */
import { z } from "zod";
import { ID_PATTERN } from "../../lib/agent-id";

export const id = z.string().regex(ID_PATTERN, "must be lowercase letters, digits, '.', '_' or '-' (1–63 characters)");

/** A secret is never inline: it names an environment variable (a wrangler secret in production). */
export const secretRef = z.strictObject({
  env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, "must be an environment variable name such as SLACK_WEBHOOK_URL"),
});
export type SecretRef = z.infer<typeof secretRef>;

export const httpUrl = z.url({ protocol: /^https?$/, error: "Invalid url: expected an http:// or https:// URL" });

/** Bindings and secrets, as the worker (or `npm run validate`) sees them. */
export type ConfigEnv = Record<string, unknown>;

/**
 * The values a secret accepts: `NAME` and, while a rotation is under way, `NAME_NEXT` (set the
 * new value as `NAME_NEXT`, move the clients over, then make it `NAME` and delete `NAME_NEXT`:
 * docs/deploy.md). Unset and empty values are left out.
 */
export function secretValues(env: ConfigEnv, name: string): string[] {
  return [env[name], env[`${name}_NEXT`]].filter((v): v is string => typeof v === "string" && v !== "");
}

/** Every value a secret or plain value accepts (`secretValues` for a reference). */
export function revealAll(value: string | SecretRef, env: ConfigEnv): string[] {
  return typeof value === "string" ? [value] : secretValues(env, value.env);
}

/** Reads a secret or plain value. Only call after `parseConfig` checked the references. */
export function reveal(value: string | SecretRef, env: ConfigEnv): string {
  return typeof value === "string" ? value : String(env[value.env]);
}

/** Replaces every revealed secret in `text`: reasons must never carry one. */
export function redact(text: string, secrets: readonly string[]): string {
  return secrets.filter((s) => s.length > 0).reduce((t, s) => t.split(s).join("[redacted]"), text);
}

/** The revealed values of the header secrets (`{ env }`), to keep them out of reasons. */
export function headerSecrets(headers: Readonly<Record<string, string | SecretRef>>, env: ConfigEnv): string[] {
  return Object.values(headers).flatMap((v) => (typeof v === "string" ? [] : [reveal(v, env)]));
}

/**
 * Calls `fn` for every `{ env: "NAME" }` in a parsed config or any part of it (a monitor spec),
 * with its path: the one enumeration of secrets, whatever the kind that holds them.
 */
export function visitSecrets(config: unknown, fn: (ref: SecretRef, path: (string | number)[]) => void) {
  const visit = (value: unknown, path: (string | number)[]) => {
    if (Array.isArray(value)) value.forEach((v, i) => visit(v, [...path, i]));
    else if (value && typeof value === "object") {
      const ref = value as Partial<SecretRef>;
      if (typeof ref.env === "string" && Object.keys(value).length === 1) return fn(ref as SecretRef, path);
      for (const [k, v] of Object.entries(value)) visit(v, [...path, k]);
    }
  };
  visit(config, []);
}
