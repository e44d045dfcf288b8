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
import { ConfigError, DEFAULT_COOLDOWN_MS, checkId, readSecret } from "./config-common";
import { formatDuration, parseDuration } from "./duration";
import { type GradedKind, THRESHOLDS, type ThresholdKey, resolveClear } from "./checks/hysteresis";

// Kept here too: what tests and the schema's users import from the config module.
export { ConfigError, DEFAULT_COOLDOWN_MS, checkId, readSecret };

/** A duration string (`"30s"`, `"5m"`) parsed to milliseconds. */
const duration = z.string().transform((s, ctx) => {
  const ms = parseDuration(s);
  if (ms === null) {
    ctx.addIssue({ code: "custom", message: `expected a duration such as "30s" or "5m", got "${s}"` });
    return z.NEVER;
  }
  return ms;
});

const pct = z.number().min(0).max(100);

/**
 * What the graded checks (postgres, redis, host, logs) take beside their thresholds
 * (agent/checks/hysteresis.ts): `hysteresis` (default true) and `clear`, the value below which
 * a raised status clears, per threshold key, in the threshold's own unit. Unset clear values
 * default to 10 points below a percentage (half the trigger under 20 %) and 80 % of a
 * duration or count; `hysteresis: false` makes them equal to the trigger.
 */
function graded<K extends GradedKind>(kind: K) {
  const shape: Record<string, z.ZodType> = {};
  for (const [key, unit] of Object.entries(THRESHOLDS[kind])) {
    shape[key] = (unit === "duration" ? duration : unit === "pct" ? pct : z.number().min(0)).optional();
  }
  type Clear = Partial<Record<ThresholdKey<K>, number>>;
  const clear = z.strictObject(shape) as unknown as z.ZodType<Clear, Partial<Record<ThresholdKey<K>, number | string>>>;
  return { hysteresis: z.boolean().default(true), clear: clear.optional() };
}

/** A secret never sits in the config itself: it names an environment variable or a file. */
const secretRef = z.union([
  z.strictObject({ env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, "must be an environment variable name") }),
  z.strictObject({ file: z.string().min(1) }),
]);
export type SecretRef = z.infer<typeof secretRef>;

const remediate = z.strictObject({
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

const common = {
  /** Name in the check id `<kind>:<name>`; defaults per kind. */
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._\/=-]{0,120}$/, "letters, digits and . _ / = - only").optional(),
  /** Hard limit for one run of this check. Default 10s, or the interval when shorter. */
  timeout: duration.optional(),
  remediate: remediate.optional(),
};

const dockerCheck = z.strictObject({
  kind: z.literal("docker"),
  ...common,
  /** A container name; exactly one of `container` and `label`. */
  container: z.string().min(1).optional(),
  /** `key` or `key=value`: every container carrying it is checked. */
  label: z.string().min(1).optional(),
  /** Restarts since the previous check at or above this are `warn`. Default 1. */
  restartsWarn: z.int().min(1).default(1),
  /** Restarts since the previous check at or above this are `critical`. Default 3. */
  restartsCritical: z.int().min(1).default(3),
});

const postgresCheck = z.strictObject({
  kind: z.literal("postgres"),
  ...common,
  /** `postgres://user@host:port/db`. A password belongs in `password`, not here. */
  url: z.string().regex(/^postgres(ql)?:\/\//, "expected a postgres:// URL"),
  password: secretRef.optional(),
  latencyWarn: duration.prefault("1s"),
  connectionsWarnPct: pct.default(80),
  connectionsCriticalPct: pct.default(95),
  longQueryWarn: duration.prefault("30s"),
  longQueryCritical: duration.prefault("5m"),
  transactionWarn: duration.prefault("5m"),
  transactionCritical: duration.prefault("30m"),
  replicationLagWarn: duration.prefault("30s"),
  replicationLagCritical: duration.prefault("5m"),
  /** How many of the slowest statements (by mean time) to name when pg_stat_statements is installed. Default 3. */
  slowStatements: z.int().min(0).max(20).default(3),
  ...graded("postgres"),
});

const redisCheck = z.strictObject({
  kind: z.literal("redis"),
  ...common,
  url: z.string().regex(/^rediss?:\/\//, "expected a redis:// URL").default("redis://127.0.0.1:6379"),
  password: secretRef.optional(),
  latencyWarn: duration.prefault("500ms"),
  memoryWarnPct: pct.default(80),
  memoryCriticalPct: pct.default(95),
  /** Keyspace hit ratio below this is `warn`. Default: reported only. */
  hitRatioWarnPct: pct.optional(),
  /** Clients rejected since the previous check at or above this are `warn`. Default 1. */
  rejectedWarn: z.int().min(1).default(1),
  /** Keys evicted since the previous check at or above this are `warn`. Default: reported only. */
  evictedWarn: z.int().min(1).optional(),
  ...graded("redis"),
});

const hostCheck = z.strictObject({
  kind: z.literal("host"),
  ...common,
  cpuWarnPct: pct.default(80),
  cpuCriticalPct: pct.optional(),
  memoryWarnPct: pct.optional(),
  memoryCriticalPct: pct.default(85),
  diskWarnPct: pct.default(80),
  diskCriticalPct: pct.default(90),
  /** Mount points to watch. Default: every mounted local file system. */
  mounts: z.array(z.string().startsWith("/")).min(1).optional(),
  /** 1-minute load per core above this is `warn`. Default: reported only. */
  loadWarnPerCore: z.number().positive().optional(),
  ...graded("host"),
});

export const DEFAULT_ERROR_PATTERNS = ["\\b(error|err|fatal|panic|critical|exception)\\b", "traceback \\(most recent call last\\)"];

const logsCheck = z.strictObject({
  kind: z.literal("logs"),
  ...common,
  container: z.string().min(1).optional(),
  file: z.string().startsWith("/").optional(),
  /** Sliding window the ratio is computed over. Default 5m. */
  window: duration.prefault("5m"),
  /** Case-insensitive regular expressions; a line matching any is an error line. */
  patterns: z.array(z.string().min(1)).min(1).default(DEFAULT_ERROR_PATTERNS),
  /** Lines matching any of these are never error lines. */
  ignore: z.array(z.string().min(1)).default([]),
  /** Error ratio above this is `warn`. Default 5 (runbook daily check). */
  warnPct: pct.default(5),
  /** Error ratio above this is `critical`. Default 20. */
  criticalPct: pct.default(20),
  /** Below this many lines in the window the ratio is not judged. Default 20. */
  minLines: z.int().min(1).default(20),
  /** Most bytes read per run. Default 1 MiB. */
  maxBytes: z.int().min(1024).default(1024 * 1024),
  ...graded("logs"),
});

const httpCheck = z.strictObject({
  kind: z.literal("http"),
  ...common,
  url: z.url({ protocol: /^https?$/, error: "Invalid url" }),
  method: z.enum(["GET", "HEAD"]).default("GET"),
  /** Accepted status codes. Default 200–399. */
  expectStatus: z.array(z.int().min(100).max(599)).min(1).optional(),
  /** Text the body must contain. */
  keyword: z.string().min(1).optional(),
  /** Slower than this is `warn`. Default 5s (the runbook's "level 3 performance"). */
  latencyWarn: duration.prefault("5s"),
});

const tcpCheck = z.strictObject({
  kind: z.literal("tcp"),
  ...common,
  host: z.string().min(1),
  port: z.int().min(1).max(65535),
  latencyWarn: duration.prefault("1s"),
});

const certfileCheck = z.strictObject({
  kind: z.literal("certfile"),
  ...common,
  path: z.string().startsWith("/"),
  warnDays: z.number().min(0).default(14),
  criticalDays: z.number().min(0).default(7),
});

export const checkSpec = z.discriminatedUnion("kind", [
  dockerCheck,
  postgresCheck,
  redisCheck,
  hostCheck,
  logsCheck,
  httpCheck,
  tcpCheck,
  certfileCheck,
]);
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
      id: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, "lowercase letters, digits, '.', '_' or '-', at most 63"),
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
    interval: duration
      .pipe(z.number().min(5000, "must be at least 5s").max(86_400_000, "must be at most 1d"))
      .prefault("30s"),
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
        maxBytes: z.int().min(4096).default(64 * 1024 * 1024),
      })
      .default({ maxReports: 2880, maxBytes: 64 * 1024 * 1024 }),
    /** Log what remediation would do without doing it. Default false. */
    dryRun: z.boolean().default(false),
    logLevel: z.enum(["debug", "info", "warn", "error"]).default("info"),
    /** Alert on the host when the worker stops accepting reports. Default: off. */
    deadMan: deadMan.optional(),
    checks: z.array(checkSpec).min(1),
  })
  .superRefine((cfg, ctx) => {
    if (cfg.deadMan) {
      if ((cfg.deadMan.webhook === undefined) === (cfg.deadMan.command === undefined)) {
        ctx.addIssue({ code: "custom", path: ["deadMan"], message: "needs exactly one of webhook and command" });
      }
      if (cfg.deadMan.after <= cfg.interval) {
        ctx.addIssue({ code: "custom", path: ["deadMan", "after"], message: `must be longer than the interval (${formatDuration(cfg.interval)}), got ${formatDuration(cfg.deadMan.after)}` });
      }
      if (!cfg.worker) ctx.addIssue({ code: "custom", path: ["deadMan"], message: "watches the worker: set worker too" });
    }
    const seen = new Map<string, number>();
    cfg.checks.forEach((c, i) => {
      if (c.kind === "docker" && (c.container === undefined) === (c.label === undefined)) {
        ctx.addIssue({ code: "custom", path: ["checks", i], message: "needs exactly one of container and label" });
      }
      if (c.kind === "logs" && (c.container === undefined) === (c.file === undefined)) {
        ctx.addIssue({ code: "custom", path: ["checks", i], message: "needs exactly one of container and file" });
      }
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
            ctx.addIssue({ code: "custom", path: ["checks", i, "clear", key], message: `${key} is not set: set it too, or remove this clear value` });
          } else if (value > trigger) {
            ctx.addIssue({ code: "custom", path: ["checks", i, "clear", key], message: `must be at or below its trigger ${key} (${show(trigger)}), got ${show(value)}` });
          }
        }
      }
      const id = checkId(c as CheckSpec);
      const prev = seen.get(id);
      if (prev !== undefined) {
        ctx.addIssue({ code: "custom", path: ["checks", i, "name"], message: `duplicate check id "${id}" (also checks[${prev}]); set a distinct name` });
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

/** Formats a zod path as `checks[2].url`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out || "(root)";
}

/** Every issue, not only the first, as `path: message`. */
export function formatIssues(error: z.ZodError): string[] {
  return error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`);
}

/** Validates already-loaded config data. */
export function parseConfig(data: unknown, file = "config"): AgentConfig {
  const r = agentConfig.safeParse(data);
  if (!r.success) throw new ConfigError(file, formatIssues(r.error));
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
    throw new ConfigError(file, [`cannot read the file: ${(err as Error).message}`]);
  }
  const ext = extname(path);
  let data: unknown;
  if (ext === ".json") {
    try {
      data = JSON.parse(text);
    } catch (err) {
      throw new ConfigError(file, [`not valid JSON: ${(err as Error).message}`]);
    }
  } else if ([".ts", ".mts", ".js", ".mjs"].includes(ext)) {
    data = await importModule(path, text);
  } else {
    throw new ConfigError(file, [`unsupported extension "${ext}"; use .json or .ts`]);
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
      throw new ConfigError(path, [`cannot load: ${(err as Error).message}`]);
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
    throw new ConfigError(path, ["a .ts config needs Node ≥ 22.18 or esbuild installed; or use agent.config.json"]);
  }
  const { code } = await esbuild.transform(text, { loader: "ts", format: "esm", sourcefile: path });
  return (await import(`data:text/javascript;base64,${Buffer.from(code).toString("base64")}`)) as { default?: unknown };
}
