/**
 * The building blocks of the agent's check schemas, in one kit: agent/config.ts hands it to each
 * check kind's `schema` (agent/checks/kind.ts), so the check files import zod's types only and
 * zod never loads into the long-running agent (it validates its config in a child process).
 */
import { z } from "zod";
import { parseDuration } from "../../lib/duration";
import { type GradedKind, THRESHOLDS, type ThresholdKey } from "./hysteresis";

/** A duration string (`"30s"`, `"5m"`) parsed to milliseconds. */
export const duration = z.string().transform((s, ctx) => {
  const ms = parseDuration(s);
  if (ms === null) {
    ctx.addIssue({ code: "custom", message: `expected a duration such as "30s" or "5m", got "${s}"` });
    return z.NEVER;
  }
  return ms;
});

export const pct = z.number().min(0).max(100);

/**
 * What the graded checks (postgres, redis, host, logs) take beside their thresholds
 * (agent/checks/hysteresis.ts): `hysteresis` (default true) and `clear`, the value below which
 * a raised status clears, per threshold key, in the threshold's own unit. Unset clear values
 * default to 10 points below a percentage (half the trigger under 20 %) and 80 % of a
 * duration or count; `hysteresis: false` makes them equal to the trigger.
 */
export function graded<K extends GradedKind>(kind: K) {
  const shape: Record<string, z.ZodType> = {};
  for (const [key, unit] of Object.entries(THRESHOLDS[kind])) {
    shape[key] = (unit === "duration" ? duration : unit === "pct" ? pct : z.number().min(0)).optional();
  }
  type Clear = Partial<Record<ThresholdKey<K>, number>>;
  const clear = z.strictObject(shape) as unknown as z.ZodType<Clear, Partial<Record<ThresholdKey<K>, number | string>>>;
  return { hysteresis: z.boolean().default(true), clear: clear.optional() };
}

/** A secret never sits in the config itself: it names an environment variable or a file. */
export const secretRef = z.union([
  z.strictObject({ env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, "must be an environment variable name") }),
  z.strictObject({ file: z.string().min(1) }),
]);
export type SecretRef = z.infer<typeof secretRef>;

export const remediate = z.strictObject({
  /** The only allow-listed action. */
  action: z.literal("restart-container").default("restart-container"),
  /** Container to restart. Default: the docker check's own container; required for other kinds. */
  container: z.string().min(1).optional(),
  /** Default by kind: postgres 5m, redis 3m, everything else 2m (runbook). */
  cooldown: duration.optional(),
  /** Cooldown after the container was OOM-killed. Default 10m (runbook). */
  oomCooldown: duration.prefault("10m"),
  /** Attempts before the agent gives up and leaves it to a human. Default 3. */
  maxAttempts: z.int().min(1).max(20).default(3),
  /** Lowest status that triggers a restart. Default `critical`. */
  on: z.enum(["warn", "critical"]).default("critical"),
  /** Grace given to the container to stop before it is killed. Default 10s. */
  stopTimeout: duration.prefault("10s"),
  /** After a restart, how long the container must stay up (and not unhealthy) to count as recovered. Default 2s. */
  verifyAfter: duration.prefault("2s"),
});
export type RemediateSpec = z.infer<typeof remediate>;

export const common = {
  /** Name in the check id `<kind>:<name>`; defaults per kind. */
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._/=-]{0,120}$/, "letters, digits and . _ / = - only")
    .optional(),
  /** Hard limit for one run of this check. Default 10s, or the interval when shorter. */
  timeout: duration.optional(),
  remediate: remediate.optional(),
};

/** What a check kind's `schema` receives. */
export const kit = { z, duration, pct, secretRef, common, graded };
export type SchemaKit = typeof kit;
