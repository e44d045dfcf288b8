/**
 * The config helpers that the running agent needs, without the zod schema (`config.ts`,
 * which re-exports them): `vigil-agent run` validates its config in a short-lived child
 * process (`validate --json`, see cli.ts), so the schema and zod never load into the
 * long-running agent (~4 MiB resident; BENCHMARKS.md, "Agent").
 */
import { readFile } from "node:fs/promises";
import { ConfigError } from "../lib/config-error";
import type { SecretRef } from "./config";

/** Runbook cooldowns, by what the check watches. */
export const DEFAULT_COOLDOWN_MS = {
  database: 5 * 60_000,
  redis: 3 * 60_000,
  app: 2 * 60_000,
  oom: 10 * 60_000,
} as const;

/**
 * A derived id made safe for the worker (CHECK_ID_PATTERN in the report contract, which it
 * refuses otherwise): any other character becomes `_`, and it is cut at 200 characters.
 */
export function safeCheckId(id: string): string {
  return id.replace(/[^A-Za-z0-9._:@/=+~-]/g, "_").slice(0, 200);
}

export { ConfigError };

/**
 * `e` is a {@link ConfigError}, also one thrown by the bundle's packed schema module, which
 * carries its own copy of the class (agent/build.mjs), so `instanceof` would not see it.
 */
export function isConfigError(e: unknown): e is ConfigError {
  return e instanceof Error && e.name === "ConfigError" && Array.isArray((e as Partial<ConfigError>).issues);
}

/** Reads a secret reference. */
export async function readSecret(ref: SecretRef): Promise<string> {
  if ("env" in ref) {
    const v = process.env[ref.env];
    if (!v) throw new Error(`secret: environment variable ${ref.env} is not set`);
    return v;
  }
  try {
    return (await readFile(ref.file, "utf8")).trim();
  } catch (err) {
    throw new Error(`secret: cannot read ${ref.file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}
