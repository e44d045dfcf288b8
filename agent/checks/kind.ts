/**
 * What a check kind is: one module (`./docker.ts`, `./postgres.ts`, …) exporting one
 * `checkKind({ kind, schema, run, defaultName, problems? })`. `./kinds.ts` lists them; the config's
 * `checks[]` union (agent/config.ts), the runner registry and the check ids are built from that
 * list, so a check is one file plus one line there, and a kind missing a piece does not compile.
 * CONTRIBUTING.md, "Adding a kind".
 *
 * Zod's types only are imported here and by the kinds: the schema is a function of the kit that
 * agent/config.ts hands in (./schema-kit.ts), so the long-running agent never loads zod.
 */
import type { z } from "zod";
import type { CheckContext, Finding } from "./check";
import type { SchemaKit } from "./schema-kit";

/** What every check's schema has (`kind` and the kit's `common` fields). */
export type CheckSchema = z.ZodType<{ kind: string; name?: string; timeout?: number }>;
export type SchemaOf = (kit: SchemaKit) => CheckSchema;
/** A check as its runner gets it: validated, `timeout` filled in. */
export type CheckSpecOf<F extends SchemaOf> = z.output<ReturnType<F>> & { timeout: number };

/** A problem that spans fields, its path relative to the check (`[]` is the check itself). */
export interface CheckProblem {
  path: (string | number)[];
  message: string;
}

export interface CheckKindModule<F extends SchemaOf> {
  /** The check's `kind`, equal to the schema's `kind` literal. */
  readonly kind: z.output<ReturnType<F>>["kind"];
  /** `(kit) => kit.z.strictObject({ kind: kit.z.literal("…"), ...kit.common, … })`. */
  readonly schema: F;
  /** One run: what it found, one finding per thing watched. Timing, time-out and ids are the cycle's. */
  run(spec: CheckSpecOf<F>, ctx: CheckContext): Promise<Finding[]>;
  /** The `<name>` of the check id `<kind>:<name>` when the config gives none: what the check watches. */
  defaultName(spec: z.output<ReturnType<F>>): string;
  /** Problems across fields (`needs exactly one of container and label`). Default: none. */
  problems?(spec: z.output<ReturnType<F>>): CheckProblem[];
}

/** Identity with inference: `export const tcp = checkKind({ kind: "tcp", schema, run: runTcp, … })`. */
export function checkKind<F extends SchemaOf>(kind: CheckKindModule<F>): CheckKindModule<F> {
  return kind;
}

/** `host:port` of a URL (`default` for the port when it has none), for default names. */
export function hostPort(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || "default"}`;
  } catch {
    return "default";
  }
}
