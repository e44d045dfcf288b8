/**
 * `vigil-agent` — the host agent's command line.
 *
 *   vigil-agent init     --worker URL --id ID [--dir DIR] [--service S] [--state-dir D] [--socket P] [--force]
 *                                                      look at the host, write agent.config.json and agent.env
 *   vigil-agent run      [--config FILE] [--dry-run]   check every interval, push signed reports
 *   vigil-agent once     [--config FILE] [--json] [--push]
 *                                                      one cycle, report on stdout; sent only with --push
 *   vigil-agent validate [--config FILE]               config errors with their paths
 *
 * The config is `--config`, else `VIGIL_AGENT_CONFIG`, else the first of ./agent.config.ts,
 * ./agent.config.json, /etc/vigil-agent/agent.config.json. An `agent.env` beside it (written by
 * `init`, read by the systemd unit too) fills in the variables the environment does not set.
 *
 * Exit codes: 0 ok; `once`: 1 warn, 2 critical, 3 unknown (the Nagios convention);
 * `once --push`: 69 when the worker did not accept the report; 64 usage error; 78 invalid
 * config (systemd does not restart on it).
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { isValidId } from "../lib/agent-id";
import { Agent } from "./agent";
import type { AgentConfig } from "./config";
import { checkId } from "./checks/kinds";
import { isConfigError } from "./config-common";
import { formatDurationApprox as formatDuration } from "../lib/duration";
import { Logger, errorText, redactUrlCredentials } from "./log";
import { loadSchemas } from "./schemas";
import { AGENT_VERSION } from "./version";

export const EXIT = { ok: 0, warn: 1, critical: 2, unknown: 3, usage: 64, unavailable: 69, config: 78 } as const;

const USAGE = `vigil-agent ${AGENT_VERSION}
usage:
  vigil-agent init     --worker URL --id ID [--dir DIR] [--service S] [--state-dir D] [--socket P] [--force]
  vigil-agent run      [--config FILE] [--dry-run]
  vigil-agent once     [--config FILE] [--json] [--dry-run] [--push]
  vigil-agent validate [--config FILE] [--json]
`;

/** Sets the variables of `agent.env` beside the config that the environment does not set. */
function loadEnvFile(configFile: string): void {
  const file = join(dirname(configFile), "agent.env");
  if (!existsSync(file)) return;
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (m && !process.env[m[1]!]) process.env[m[1]!] = m[2]!.replace(/^(["'])(.*)\1$/, "$2");
  }
}

function defaultConfigPath(): string {
  if (process.env.VIGIL_AGENT_CONFIG) return process.env.VIGIL_AGENT_CONFIG;
  return ["agent.config.ts", "agent.config.json", "/etc/vigil-agent/agent.config.json"].find((p) => existsSync(p)) ?? "agent.config.json";
}

/**
 * The config of `run`, validated by a child `vigil-agent validate --json`: the schema and zod
 * (~4 MiB resident) then never load into the long-running agent, which reads the effective
 * config as JSON. Started from the bundle only; from TypeScript sources it is done in process.
 */
function validateInChild(file: string): { config: AgentConfig } | { stderr: string } | null {
  const entry = fileURLToPath(import.meta.url);
  if (!/\.[cm]?js$/.test(entry)) return null;
  // The unmasked config travels on a pipe of its own (fd 3), never on stdout, which is masked.
  const r = spawnSync(process.execPath, [entry, "validate", "--json", "--config", file], {
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    stdio: ["ignore", "pipe", "pipe", "pipe"],
    env: { ...process.env, [CONFIG_FD_ENV]: "3" },
  });
  if (r.error) throw r.error;
  if (r.status !== EXIT.ok) return { stderr: r.stderr || `${file}: config validation ended by ${r.signal ?? `exit code ${r.status}`}\n` };
  return { config: JSON.parse(String(r.output[3])) as AgentConfig };
}

/** Set by `run` for its validating child: the file descriptor that gets the unmasked config. */
const CONFIG_FD_ENV = "VIGIL_AGENT_CONFIG_FD";

/**
 * Every string of `value` with URL credentials masked ({@link redactUrlCredentials}, the
 * helper behind every agent log line): what `validate --json` and `once` print.
 */
function redactDeep<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, (_k, v: unknown) => (typeof v === "string" ? redactUrlCredentials(v) : v))) as T;
}

const CLI_OPTIONS = {
  config: { type: "string", short: "c" },
  json: { type: "boolean" },
  "dry-run": { type: "boolean" },
  push: { type: "boolean" },
  worker: { type: "string" },
  id: { type: "string" },
  dir: { type: "string" },
  service: { type: "string" },
  "state-dir": { type: "string" },
  socket: { type: "string" },
  force: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
} as const;

export async function main(argv: string[], out = process.stdout, err = process.stderr): Promise<number> {
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; allowPositionals: true; options: typeof CLI_OPTIONS }>>;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: CLI_OPTIONS,
    });
  } catch (e) {
    err.write(`${(e as Error).message}\n${USAGE}`);
    return EXIT.usage;
  }
  const { values, positionals } = parsed;
  if (values.version) {
    out.write(`${AGENT_VERSION}\n`);
    return EXIT.ok;
  }
  const command = positionals[0];
  if (values.help || !command || !["init", "run", "once", "validate"].includes(command) || positionals.length > 1) {
    (values.help ? out : err).write(USAGE);
    return values.help ? EXIT.ok : EXIT.usage;
  }
  if (command === "init") {
    if (!values.worker || !/^https?:\/\/./.test(values.worker)) {
      err.write(
        `init: --worker must be the worker's http(s):// URL, got ${values.worker === undefined ? "nothing" : JSON.stringify(values.worker)}\n${USAGE}`,
      );
      return EXIT.usage;
    }
    if (!values.id || !isValidId(values.id)) {
      err.write(
        `init: --id must be lowercase letters, digits, '.', '_' or '-' (1–63), got ${values.id === undefined ? "nothing" : JSON.stringify(values.id)}\n${USAGE}`,
      );
      return EXIT.usage;
    }
    const { init } = await import("./init");
    try {
      const { configPath } = await init(
        {
          worker: values.worker,
          id: values.id,
          dir: values.dir ?? ".",
          service: values.service,
          stateDir: values["state-dir"],
          socket: values.socket,
          force: values.force,
        },
        (line) => out.write(`vigil-agent init: ${line}\n`),
      );
      // What was written must be what `run` accepts.
      await (await loadSchemas()).loadConfig(configPath);
      return EXIT.ok;
    } catch (e) {
      err.write(`vigil-agent init: ${isConfigError(e) ? e.message : errorText(e)}\n`);
      return isConfigError(e) ? EXIT.config : EXIT.usage;
    }
  }
  const file = values.config ?? defaultConfigPath();
  loadEnvFile(file);
  let config: AgentConfig;
  try {
    const child = command === "run" ? validateInChild(file) : null;
    if (child && "stderr" in child) {
      err.write(child.stderr);
      return EXIT.config;
    }
    // The schema (zod) is loaded only here: from the bundle, `run` leaves it to a child process.
    config = child ? child.config : await (await loadSchemas()).loadConfig(file);
  } catch (e) {
    if (isConfigError(e)) {
      err.write(`${e.message}\n`);
      return EXIT.config;
    }
    throw e;
  }
  const log = new Logger({ level: config.logLevel, write: (l) => err.write(l) });
  const dryRun = values["dry-run"] === true || config.dryRun;

  if (command === "validate") {
    // The effective config (defaults filled in, durations in ms): what `run` reads from its child.
    if (values.json) {
      const fd = Number(process.env[CONFIG_FD_ENV]);
      if (Number.isInteger(fd) && fd > 2) writeSync(fd, `${JSON.stringify(config)}\n`);
      else out.write(`${JSON.stringify(redactDeep(config))}\n`);
      return EXIT.ok;
    }
    out.write(
      redactUrlCredentials(
        `${file}: ok — agent ${config.agent.id}, every ${formatDuration(config.interval)}, ${config.checks.length} checks: ${config.checks.map(checkId).join(", ")}\n`,
      ),
    );
    if (!config.worker) out.write("note: no worker configured; `run` needs one\n");
    return EXIT.ok;
  }

  if (command === "once" && values.push) {
    // One cycle, delivered now: the spool (seq kept across runs) and the run loop's signing and
    // pushing, oldest report first. Nothing is restarted: remediation is a dry run here.
    let agent: Agent;
    try {
      agent = await Agent.create({ config, log, push: true, dryRun: true });
    } catch (e) {
      err.write(`vigil-agent once: ${errorText(e)}\n`);
      return EXIT.config;
    }
    try {
      const report = await agent.cycle();
      const spool = agent.spool!;
      while (spool.size > 0) {
        const item = (await spool.oldest())!;
        const { result } = await agent.pusher!.send(item.seq, item.body);
        if (result !== "delivered") {
          err.write(
            `vigil-agent once: the worker at ${agent.pusher!.endpoint} did not accept report ${item.seq} (${result}); it stays spooled for \`run\`\n`,
          );
          return EXIT.unavailable;
        }
        await spool.remove(item.seq);
      }
      for (const c of report.checks) out.write(`${c.status.padEnd(8)} ${c.id.padEnd(36)} ${c.summary}\n`);
      out.write(`delivered report ${report.seq} to ${agent.pusher!.endpoint}\n`);
      return EXIT.ok;
    } finally {
      await agent.stop(0);
    }
  }

  if (command === "once") {
    // Nothing is sent, and nothing is restarted: remediation is always a dry run here.
    const agent = await Agent.create({ config, log, push: false, dryRun: true });
    try {
      // The contract's schema checks what the agent built (the run loop leaves that to the worker).
      const { agentReport } = await loadSchemas();
      const report = agentReport.parse(await agent.cycle());
      const print = (text: string) => out.write(log.scrub(text));
      if (values.json) print(`${JSON.stringify(redactDeep(report), null, 2)}\n`);
      else {
        for (const c of report.checks) print(`${c.status.padEnd(8)} ${c.id.padEnd(36)} ${c.summary}\n`);
        for (const r of report.remediations) print(`${r.outcome.padEnd(8)} ${r.check.padEnd(36)} ${r.detail ?? r.action}\n`);
      }
      const statuses = new Set(report.checks.map((c) => c.status));
      return statuses.has("critical") ? EXIT.critical : statuses.has("warn") ? EXIT.warn : statuses.has("unknown") ? EXIT.unknown : EXIT.ok;
    } finally {
      await agent.stop(0);
    }
  }

  // run
  let agent: Agent;
  try {
    agent = await Agent.create({ config, log, dryRun });
  } catch (e) {
    log.error("cannot start", { error: errorText(e) });
    return EXIT.config;
  }
  log.info("vigil-agent started", {
    version: AGENT_VERSION,
    agent: config.agent.id,
    endpoint: agent.pusher?.endpoint,
    intervalMs: config.interval,
    checks: config.checks.length,
    dryRun,
    spooled: agent.spool?.size,
    seq: agent.spool?.lastSeq,
  });
  const stop = (signal: string) => {
    log.info("stopping", { signal });
    void agent.stop(2000);
  };
  // A stray rejection in a check library must not take the agent down; a thrown exception
  // leaves the process in an unknown state, so it exits and systemd starts it again.
  process.on("unhandledRejection", (e) => log.error("unhandled rejection", { error: errorText(e) }));
  process.on("uncaughtException", (e) => {
    log.error("uncaught exception; exiting", { error: errorText(e) });
    process.exit(1);
  });
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
  await agent.run();
  log.info("stopped", { spooled: agent.spool?.size });
  return EXIT.ok;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`vigil-agent: ${errorText(e)}\n`);
    process.exitCode = 1;
  },
);
