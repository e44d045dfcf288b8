/**
 * The agent's config file (`agent.config.json` or `agent.config.ts`): one zod schema, defaults
 * in one place, every error reported with its path (`checks[2].url: Invalid url`).
 *
 * Defaults come from the runbooks (`shared/runbooks/`): CPU > 80 % warn, memory > 85 %
 * critical, disk > 80 % warn and > 90 % critical, log error ratio 5 %, restart cooldowns
 * database 5 min / Redis 3 min / app 2 min / OOM 10 min, at most 3 attempts.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { extname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { z } from "zod";
import { ID_PATTERN, ID_RULE } from "../lib/agent-id";
import { formatIssues } from "../lib/config-error";
import { ConfigError, DEFAULT_COOLDOWN_MS, readSecret } from "./config-common";
import { checkId, checkKinds, kindOf } from "./checks/kinds";
import { duration, kit, secretRef } from "./checks/schema-kit";
import { DEFAULT_ERROR_PATTERNS } from "./checks/logs";
import { formatDurationApprox as formatDuration } from "../lib/duration";
import { type GradedKind, THRESHOLDS, resolveClear } from "./checks/hysteresis";

// Kept here too: what tests and the schema's users import from the config module.
export { ConfigError, DEFAULT_COOLDOWN_MS, DEFAULT_ERROR_PATTERNS, checkId, readSecret };
export type { RemediateSpec, SecretRef } from "./checks/schema-kit";

type Schemas<T extends readonly unknown[]> = { -readonly [I in keyof T]: T[I] extends { schema: (k: typeof kit) => infer S } ? S : never };
/** `checks[]`: one entry per kind (agent/checks/kinds.ts), told apart by `kind`. */
export const checkSpec = z.discriminatedUnion("kind", checkKinds.map((k) => k.schema(kit)) as unknown as Schemas<typeof checkKinds>);
/** A check after validation: `timeout` is always filled in. */
export type CheckSpec = z.infer<typeof checkSpec> & { timeout: number };
export type CheckKind = CheckSpec["kind"];
export type SpecOf<K extends CheckKind> = Extract<CheckSpec, { kind: K }>;

/**
 * The agent's half of a mutual dead-man (agent/deadman.ts): when the worker has accepted no
 * report for `after`, alert through a channel on the host — exactly one of `webhook` and
 * `command` — once, and send a recovery message when reports flow again.
 */
const deadMan = z.strictObject({
  /** Silence (no report accepted) after which the alert goes out, counted from the agent's start at the latest. Default 5m. */
  after: duration.prefault("5m"),
  /** A JSON POST; signed per Standard Webhooks when `secret` (a `whsec_…` value) is set. */
  webhook: z
    .strictObject({
      url: z.url({ protocol: /^https?$/, error: "Invalid url" }),
      secret: secretRef.optional(),
    })
    .optional(),
  /** A program and its arguments, run without a shell; the JSON event on its standard input. */
  command: z.array(z.string().min(1)).min(1).optional(),
  /** Limit for one delivery (the request, or the command's run). Default 10s. */
  timeout: duration.prefault("10s"),
});
export type DeadManSpec = z.infer<typeof deadMan>;

export const agentConfig = z
  .strictObject({
    agent: z.strictObject({
      id: z.string().regex(ID_PATTERN, ID_RULE),
      /** Default: the machine's hostname. */
      hostname: z.string().min(1).max(255).optional(),
    }),
    /** Where reports go. Needed by `run`; `once` and `validate` work without it. */
    worker: z
      .strictObject({
        url: z.url({ protocol: /^https?$/, error: "Invalid url" }),
        secret: secretRef,
        /** Limit for one push. Default 10s. */
        timeout: duration.prefault("10s"),
        /** Backoff after a failed push: from `retryMin`, doubling (with jitter) up to `retryMax`. Defaults 1s and 60s. */
        retryMin: duration.prefault("1s"),
        retryMax: duration.prefault("60s"),
      })
      .optional(),
    /** How often checks run and a report is pushed. Default 30s; 5s to 1d. */
    interval: duration.pipe(z.number().min(5000, "must be at least 5s").max(86_400_000, "must be at most 1d")).prefault("30s"),
    /** seq, spool and remediation state. Default /var/lib/vigil-agent. */
    stateDir: z.string().min(1).default("/var/lib/vigil-agent"),
    docker: z
      .strictObject({
        /** Engine API socket. Default: `DOCKER_HOST` (unix://…) or /var/run/docker.sock. */
        socket: z.string().startsWith("/").optional(),
      })
      .default({}),
    spool: z
      .strictObject({
        /** Reports kept while the worker is unreachable; the oldest are dropped beyond. Default 2880 (a day at 30 s). */
        maxReports: z.int().min(1).default(2880),
        /** Bytes kept on disk. Default 64 MiB. */
        maxBytes: z
          .int()
          .min(4096)
          .default(64 * 1024 * 1024),
      })
      .default({ maxReports: 2880, maxBytes: 64 * 1024 * 1024 }),
    /** Log what remediation would do without doing it. Default false. */
    dryRun: z.boolean().default(false),
    logLevel: z.enum(["debug", "info", "warn", "error"]).default("info"),
    /** Alert on the host when the worker stops accepting reports. Default: off. */
    deadMan: deadMan.optional(),
    /**
     * Run the worker's monitors that list this agent in `locations` (`agent:<id>`), from this
     * host's network, with the worker's own probes. Default: off (the agent then reports them
     * unknown, saying so). README, "Private locations".
     */
    monitors: z
      .strictObject({
        /**
         * Environment variables a monitor's `{ env: "NAME" }` may read on this host (the worker
         * sends the name, never a value). A monitor needing any other is reported unknown.
         */
        secrets: z.array(z.string().regex(/^[A-Z_][A-Z0-9_]*$/, "must be an environment variable name such as API_TOKEN")).default([]),
      })
      .optional(),
    checks: z.array(checkSpec).min(1),
  })
  .superRefine((cfg, ctx) => {
    if (cfg.deadMan) {
      if ((cfg.deadMan.webhook === undefined) === (cfg.deadMan.command === undefined)) {
        ctx.addIssue({ code: "custom", path: ["deadMan"], message: "needs exactly one of webhook and command" });
      }
      if (cfg.deadMan.after <= cfg.interval) {
        ctx.addIssue({
          code: "custom",
          path: ["deadMan", "after"],
          message: `must be longer than the interval (${formatDuration(cfg.interval)}), got ${formatDuration(cfg.deadMan.after)}`,
        });
      }
      if (!cfg.worker) ctx.addIssue({ code: "custom", path: ["deadMan"], message: "watches the worker: set worker too" });
    }
    const seen = new Map<string, number>();
    cfg.checks.forEach((c, i) => {
      for (const p of kindOf(c).problems?.(c) ?? []) ctx.addIssue({ code: "custom", path: ["checks", i, ...p.path], message: p.message });
      if (c.remediate && !c.remediate.container && !(c.kind === "docker" && c.container)) {
        ctx.addIssue({ code: "custom", path: ["checks", i, "remediate", "container"], message: "required: name the container to restart" });
      }
      if (c.timeout !== undefined && c.timeout > cfg.interval) {
        ctx.addIssue({ code: "custom", path: ["checks", i, "timeout"], message: `must not exceed the interval (${cfg.interval} ms)` });
      }
      if (c.kind in THRESHOLDS && "clear" in c && c.clear) {
        const units = THRESHOLDS[c.kind as GradedKind] as Record<string, string>;
        for (const [key, value] of Object.entries(c.clear as Record<string, number | undefined>)) {
          if (value === undefined) continue;
          const trigger = (c as unknown as Record<string, unknown>)[key];
          const show = (v: number) => (units[key] === "duration" ? formatDuration(v) : String(v));
          if (typeof trigger !== "number") {
            ctx.addIssue({
              code: "custom",
              path: ["checks", i, "clear", key],
              message: `${key} is not set: set it too, or remove this clear value`,
            });
          } else if (value > trigger) {
            ctx.addIssue({
              code: "custom",
              path: ["checks", i, "clear", key],
              message: `must be at or below its trigger ${key} (${show(trigger)}), got ${show(value)}`,
            });
          }
        }
      }
      const id = checkId(c as CheckSpec);
      const prev = seen.get(id);
      if (prev !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["checks", i, "name"],
          message: `duplicate check id "${id}" (also checks[${prev}]); set a distinct name`,
        });
      } else seen.set(id, i);
    });
  })
  .transform((cfg) => ({
    ...cfg,
    checks: cfg.checks.map((c): CheckSpec => {
      const timeout = c.timeout ?? Math.min(10_000, cfg.interval);
      // The effective clear value of every set trigger (what `validate --json` shows and `run` reads).
      if (c.kind in THRESHOLDS) return { ...c, timeout, clear: resolveClear(c.kind as GradedKind, c as never) } as CheckSpec;
      return { ...c, timeout };
    }),
  }));
export type AgentConfig = z.infer<typeof agentConfig>;
/** What a config file holds before defaults: type your `agent.config.ts` with it. */
export type AgentConfigInput = z.input<typeof agentConfig>;

/** Validates already-loaded config data. */
export function parseConfig(data: unknown, file = "config"): AgentConfig {
  const r = agentConfig.safeParse(data);
  if (!r.success) throw new ConfigError(formatIssues(r.error.issues), { file });
  return r.data;
}

/**
 * Loads and validates a config file. `.json` is parsed; `.ts`/`.mts`/`.js`/`.mjs` is imported
 * and its default export used. A `.ts` file on a Node without type stripping is compiled with
 * esbuild when it can be found next to the config or the agent.
 */
export async function loadConfig(file: string): Promise<AgentConfig> {
  const path = resolve(file);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new ConfigError([`cannot read the file: ${(err as Error).message}`], { file });
  }
  const ext = extname(path);
  let data: unknown;
  if (ext === ".json") {
    try {
      data = JSON.parse(text);
    } catch (err) {
      throw new ConfigError([`not valid JSON: ${(err as Error).message}`], { file });
    }
  } else if ([".ts", ".mts", ".js", ".mjs"].includes(ext)) {
    data = await importModule(path, text);
  } else {
    throw new ConfigError([`unsupported extension "${ext}"; use .json or .ts`], { file });
  }
  return parseConfig(data, file);
}

async function importModule(path: string, text: string): Promise<unknown> {
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(path).href)) as { default?: unknown };
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (!/\.m?ts$/.test(path) || (code !== "ERR_UNKNOWN_FILE_EXTENSION" && !(err instanceof SyntaxError))) {
      throw new ConfigError([`cannot load: ${(err as Error).message}`], { file: path });
    }
    mod = await importWithEsbuild(path, text);
  }
  return mod.default ?? mod;
}

/** Node 20 cannot import TypeScript: compile the one file (type-only imports vanish) and import it. */
async function importWithEsbuild(path: string, text: string): Promise<{ default?: unknown }> {
  type Esbuild = { transform(code: string, o: object): Promise<{ code: string }> };
  let esbuild: Esbuild | undefined;
  for (const from of [path, process.argv[1] ?? path, `${process.cwd()}/`]) {
    try {
      esbuild = createRequire(from)("esbuild") as Esbuild;
      break;
    } catch {
      /* try the next place */
    }
  }
  if (!esbuild) {
    throw new ConfigError(["a .ts config needs Node ≥ 22.18 or esbuild installed; or use agent.config.json"], { file: path });
  }
  const { code } = await esbuild.transform(text, { loader: "ts", format: "esm", sourcefile: path });
  return (await import(`data:text/javascript;base64,${Buffer.from(code).toString("base64")}`)) as { default?: unknown };
}
