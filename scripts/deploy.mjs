#!/usr/bin/env node
// `npm run deploy`: a validated config ($VIGIL_CONFIG, default vigil.config.ts: the file
// `npm start` runs) to Cloudflare, one line per step. Reuses what exists, creates what is
// missing, so a second run with nothing changed changes nothing.
//
//   npm run deploy [-- --allow-local] [--generate-secrets]
//   npm run build  (= deploy.mjs --dry-run --outdir dist: steps 1, 2 and the bundle only)
//
// 1. Validate the config exactly as the worker will (scripts/config.mjs) and stop on problems.
// 2. Refuse loopback, private-network and example.com targets unless --allow-local.
// 3. Find or create the D1 database, and 4. every queue and dead-letter queue wrangler.toml
//    binds; write their ids into the generated .vigil/deploy/wrangler.toml.
// 5. Apply the D1 migrations to the remote database (before any new code serves).
// 6. Bundle (`wrangler deploy --dry-run`) and fingerprint the bundle.
// 7. List the secrets the config names that the worker lacks; take them from the environment,
//    generate them (--generate-secrets: admin/metrics tokens, agent and ping keys, `whsec_`
//    signing secrets) or ask for them (hidden input). Never printed. Worked out together with
//    the listings of 3. and 4., before anything is created; printed in its place.
// 8. Deploy, unless the serving version already carries this bundle's fingerprint and no secret
//    is missing; then print the status page, API and ping URLs and the next step.
//
// Auth is wrangler's: `wrangler login`, or CLOUDFLARE_API_TOKEN (+ CLOUDFLARE_ACCOUNT_ID).
// VIGIL_DEPLOY_TIMING=1 prints how long each wrangler call took.
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { checkConfig } from "./config.mjs";
import { ensureDeps, root, writeWranglerConfig } from "./lib.mjs";
import { localTargets } from "./local-targets.mjs";

const { values: flags } = parseArgs({
  options: {
    "allow-local": { type: "boolean" },
    "generate-secrets": { type: "boolean" },
    "dry-run": { type: "boolean" },
    outdir: { type: "string" },
    help: { type: "boolean", short: "h" },
  },
});
if (flags.help) {
  console.log("usage: npm run deploy [-- --allow-local] [--generate-secrets]   (VIGIL_CONFIG names the config; docs/deploy.md)");
  process.exit(0);
}
const dryRun = flags["dry-run"] === true;
const configPath = resolve(process.env.VIGIL_CONFIG ?? "vigil.config.ts");
const deployDir = resolve(root, ".vigil/deploy");
const wranglerBin = resolve(root, "node_modules/.bin/wrangler");
const say = (step, text) => console.log(`vigil deploy: ${step.padEnd(10)} ${text}`);
const stop = (step, text, lines = []) => {
  console.error(`vigil deploy: ${step.padEnd(10)} ${text}`);
  for (const l of lines) console.error(`  ${l}`);
  process.exit(1);
};

/**
 * Runs wrangler with the generated config; resolves to `{ code, stdout, stderr }`. Every call
 * has a timeout (the API may hang); stdin is closed unless `input` is given.
 */
function wrangler(args, { input, timeoutMs = 180_000 } = {}) {
  return new Promise((ok) => {
    const child = spawn(wranglerBin, args, {
      cwd: root,
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: process.env.CI ?? "true", FORCE_COLOR: "0" },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => {
      stderr += `\n(wrangler ${args[0]} timed out after ${timeoutMs / 1000} s)`;
      child.kill("SIGTERM");
    }, timeoutMs);
    const started = Date.now();
    child.on("close", (code) => {
      clearTimeout(timer);
      if (process.env.VIGIL_DEPLOY_TIMING) console.error(`  (wrangler ${args.slice(0, 3).join(" ")}: ${Date.now() - started} ms)`);
      ok({ code: code ?? 1, stdout, stderr });
    });
    child.stdin.end(input ?? "");
  });
}
/** What wrangler said about a failure: its error block if there is one, else its last lines. */
function failed(r) {
  const lines = `${r.stderr}\n${r.stdout}`
    // biome-ignore lint/suspicious/noControlCharactersInRegex: strips ANSI colour codes
    .replace(/\x1b\[[0-9;]*m/g, "")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !/^[⛅─]/.test(l));
  const error = lines.findIndex((l) => /^✘|\[ERROR\]/.test(l));
  return error >= 0 ? lines.slice(error, error + 6) : lines.slice(-8);
}

/** The names and kinds of every `{ env: NAME }` in a validated config. */
function secretRefs(config) {
  const refs = new Map();
  const visit = (value, segs) => {
    if (Array.isArray(value)) return value.forEach((v, i) => visit(v, [...segs, i]));
    if (!value || typeof value !== "object") return;
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === "env" && typeof value.env === "string") {
      const [top, , field] = segs;
      const kind =
        top === "channels" && field === "secret"
          ? "whsec"
          : (top === "agents" && field === "secret") || (top === "jobs" && field === "key") || (top === "statusPage" && segs[1] === "token")
            ? "token"
            : "given";
      if (!refs.has(value.env)) refs.set(value.env, kind);
      return;
    }
    for (const [k, v] of Object.entries(value)) visit(v, [...segs, k]);
  };
  visit(config, []);
  return refs;
}

const generate = (kind) => (kind === "whsec" ? `whsec_${randomBytes(32).toString("base64")}` : randomBytes(32).toString("hex"));

/** Reads a line from the terminal without echoing it (a TTY only); Ctrl-C stops the deploy. */
function askHidden(question) {
  return new Promise((ok) => {
    const stdin = process.stdin;
    process.stdout.write(question);
    stdin.setRawMode(true);
    stdin.setEncoding("utf8");
    stdin.resume();
    let value = "";
    const done = () => {
      stdin.off("data", onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stdout.write("\n");
      ok(value.trim());
    };
    const onData = (chunk) => {
      for (const ch of chunk) {
        if (ch === "\r" || ch === "\n") return done();
        if (ch === "\u0003") {
          stdin.setRawMode(false);
          process.stdout.write("\n");
          process.exit(130);
        }
        if (ch === "\u007f" || ch === "\b") value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on("data", onData);
  });
}

/** The `[vars]` of wrangler.toml (plain `KEY = "value"` lines), which the worker sees in env. */
function tomlVars(text) {
  const section = /^\[vars\]\n((?:(?!\[).*\n?)*)/m.exec(text)?.[1] ?? "";
  return Object.fromEntries([...section.matchAll(/^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"([^"]*)"/gm)].map((m) => [m[1], m[2]]));
}

// 1.
if (!existsSync(configPath)) stop("config", `not found: ${configPath} (set VIGIL_CONFIG or create vigil.config.ts)`);
await ensureDeps();
const shown = relative(process.cwd(), configPath).startsWith("..") ? configPath : relative(process.cwd(), configPath);
const toml = readFileSync(resolve(root, "wrangler.toml"), "utf8");
const vars = tomlVars(toml);
const baseEnv = { ...process.env, ...vars };
const checked = await checkConfig(configPath, baseEnv, { checkSecrets: false });
if (checked.problems.length > 0)
  stop(
    "config",
    `${shown}: ${checked.problems.length} problem${checked.problems.length === 1 ? "" : "s"}; nothing was changed`,
    checked.problems,
  );
const config = checked.config;
say(
  "config",
  `${shown}: ok (${config.services.length} services, ${config.monitors.length} monitors, ${config.agents.length} agents, ${config.channels.length} channels)`,
);

// 2.
const local = localTargets(config);
if (local.length === 0) say("targets", "no loopback, private-network or example addresses");
else if (flags["allow-local"])
  say(
    "targets",
    `${local.length} local address${local.length === 1 ? "" : "es"} allowed by --allow-local: ${local.map((l) => l.split(":")[0]).join(", ")}`,
  );
else if (dryRun)
  say(
    "targets",
    `warning: npm run deploy would refuse ${local.length} local address${local.length === 1 ? "" : "es"}: ${local.join("; ")}`,
  );
else
  stop(
    "targets",
    `${local.length} address${local.length === 1 ? " is" : "es are"} not reachable from Cloudflare or reserved for examples; write your own config (docs/deploy.md) or pass --allow-local; nothing was changed`,
    local,
  );

const workerName = /^name = "([^"]+)"$/m.exec(toml)?.[1] ?? "vigil";
const databaseName = /^database_name = "([^"]+)"$/m.exec(toml)?.[1] ?? "vigil";
const queueNames = [...new Set([...toml.matchAll(/^(?:queue|dead_letter_queue) = "([^"]+)"$/gm)].map((m) => m[1]))];

let databaseId;
const notes = [];
let toSet = {};
let secretsLine = null;
if (!dryRun) {
  // 3. and 4. Each wrangler call costs seconds of start-up: independent ones run together.
  const authHint = "log in with `npx wrangler login`, or set CLOUDFLARE_API_TOKEN and CLOUDFLARE_ACCOUNT_ID";
  const queueTable = async () => {
    const r = await wrangler(["queues", "list"]);
    if (r.code !== 0) stop("queues", `could not list queues (${authHint})`, failed(r));
    const ids = new Map();
    for (const line of r.stdout.split("\n")) {
      const cells = line.split("│").map((c) => c.trim());
      if (cells.length >= 4 && /^[0-9a-f]{32}$/.test(cells[1])) ids.set(cells[2], cells[1]);
    }
    return ids;
  };
  const [dbs, queues, secretsNow] = await Promise.all([
    wrangler(["d1", "list", "--json"]).then((r) => {
      if (r.code !== 0) stop("d1", `could not list D1 databases (${authHint})`, failed(r));
      return JSON.parse(r.stdout.slice(r.stdout.indexOf("[")));
    }),
    queueTable(),
    wrangler(["secret", "list", "--format", "json", "--name", workerName]),
  ]);
  ({ toSet, line: secretsLine } = await planSecrets(secretsNow));
  const db = dbs.find((d) => d.name === databaseName);
  if (db) {
    databaseId = db.uuid;
    say("d1", `reusing ${databaseName} (${databaseId})`);
  } else {
    const r = await wrangler(["d1", "create", databaseName]);
    databaseId = /database_id = "([0-9a-f-]{36})"/.exec(r.stdout)?.[1];
    if (r.code !== 0 || !databaseId) stop("d1", `could not create ${databaseName}`, failed(r));
    say("d1", `created ${databaseName} (${databaseId})`);
  }
  notes.push(`d1 ${databaseName}: ${databaseId}`);

  // A queue missing from the list's first page is asked for by name before it is created.
  const missing = queueNames.filter((n) => !queues.has(n));
  const found = await Promise.all(
    missing.map((n) =>
      wrangler(["queues", "info", n]).then((r) => (r.code === 0 ? /Queue ID:\s*([0-9a-f]{32})/.exec(r.stdout)?.[1] : undefined)),
    ),
  );
  missing.forEach((n, i) => found[i] && queues.set(n, found[i]));
  const created = queueNames.filter((n) => !queues.has(n));
  await Promise.all(
    created.map(async (n) => {
      const r = await wrangler(["queues", "create", n]);
      if (r.code !== 0) stop("queues", `could not create ${n}`, failed(r));
    }),
  );
  const ids = created.length > 0 ? await queueTable() : queues;
  for (const n of queueNames) notes.push(`queue ${n}: ${ids.get(n) ?? "(not on the list's first page)"}`);
  const reused = queueNames.filter((n) => !created.includes(n));
  say(
    "queues",
    `${created.length ? `created ${created.join(", ")}` : "created none"}; ${reused.length ? `reusing ${reused.join(", ")}` : "reused none"}`,
  );
}
const generated = writeWranglerConfig(configPath, { dir: deployDir, purpose: "npm run deploy", databaseId, notes });
const withConfig = ["--config", generated];
const outdir = flags.outdir ? resolve(flags.outdir) : resolve(deployDir, "dist");
// 5., 6. and the reads of 7. and 8. together; the migrations still finish before the deploy.
const [migrated, bundled, status] = await Promise.all([
  dryRun ? null : wrangler(["d1", "migrations", "apply", "DB", "--remote", ...withConfig], { timeoutMs: 600_000 }),
  wrangler(["deploy", "--dry-run", "--outdir", outdir, ...withConfig]),
  dryRun ? null : wrangler(["deployments", "status", "--json", ...withConfig]),
]);

if (migrated) {
  // 5.
  const r = migrated;
  if (r.code !== 0) stop("migrations", "could not apply the D1 migrations; the code was not deployed", failed(r));
  const applied = [...new Set([...r.stdout.matchAll(/│\s*(\d{4}_[\w-]+\.sql)\s*│\s*✅/g)].map((m) => m[1]))];
  say(
    "migrations",
    /No migrations to apply/.test(r.stdout)
      ? "none to apply (the remote database is up to date)"
      : `applied ${applied.length ? applied.join(", ") : "the pending migrations"}`,
  );
}

// 6.
if (bundled.code !== 0) stop("bundle", "wrangler could not bundle the worker", failed(bundled));
const fingerprint = createHash("sha256");
// The modules only: wrangler's README.md in the folder carries a timestamp, maps are not uploaded.
for (const f of readdirSync(outdir).sort())
  if (statSync(join(outdir, f)).isFile() && !/\.(map|md)$/.test(f)) fingerprint.update(`${f}\0`).update(readFileSync(join(outdir, f)));
fingerprint.update(toml).update(JSON.stringify(databaseId ?? ""));
const bundleId = fingerprint.digest("hex").slice(0, 16);
const size = readdirSync(outdir)
  .filter((f) => f.endsWith(".js"))
  .reduce((n, f) => n + statSync(join(outdir, f)).size, 0);
say("bundle", `${relative(process.cwd(), outdir) || outdir}: ${(size / 1024).toFixed(1)} KiB, fingerprint ${bundleId}`);
if (dryRun) process.exit(0);

// 7. (resolved before anything was changed, printed here)
if (secretsLine) say("secrets", secretsLine);

// 8.
const message = `vigil ${vars.VIGIL_VERSION ?? ""} bundle ${bundleId}`.replace(/\s+/g, " ");
let serving = null;
if (status.code === 0) {
  try {
    serving = JSON.parse(status.stdout.slice(status.stdout.indexOf("{")))?.annotations?.["workers/message"] ?? null;
  } catch {
    serving = null;
  }
}
let workersDev = null;
if (serving === message && Object.keys(toSet).length === 0) {
  say("deploy", `unchanged: the serving version already runs bundle ${bundleId}`);
} else {
  // The new secrets go up with the code (one version), from a private file removed right after.
  const dir = mkdtempSync(join(tmpdir(), "vigil-deploy-"));
  const secretsFile = join(dir, "secrets.json");
  const cleanUp = () => rmSync(dir, { recursive: true, force: true });
  const interrupted = (signal) => {
    cleanUp();
    process.exit(signal === "SIGINT" ? 130 : 143);
  };
  process.once("SIGINT", interrupted).once("SIGTERM", interrupted);
  let r;
  try {
    const extra = [];
    if (Object.keys(toSet).length > 0) {
      writeFileSync(secretsFile, JSON.stringify(toSet), { mode: 0o600 });
      extra.push("--secrets-file", secretsFile);
    }
    r = await wrangler(["deploy", ...withConfig, "--message", message, ...extra], { timeoutMs: 600_000 });
  } finally {
    cleanUp();
    process.off("SIGINT", interrupted).off("SIGTERM", interrupted);
  }
  if (r.code !== 0) stop("deploy", "wrangler deploy failed", failed(r));
  workersDev = /https:\/\/[\w.-]+\.workers\.dev/.exec(r.stdout)?.[0] ?? null;
  const version = /Current Version ID:\s*([\w-]+)/.exec(r.stdout)?.[1];
  say("deploy", `deployed bundle ${bundleId}${version ? ` as version ${version}` : ""}${workersDev ? ` at ${workersDev}` : ""}`);
}

const base = String(config.publicUrl ?? workersDev ?? `https://${workerName}.<your-subdomain>.workers.dev`).replace(/\/$/, "");
say("urls", `status page ${base}/  API ${base}/v1  pings ${base}/ping/<key>`);
say("next", `connect an agent: vigil-agent init --worker ${base} --id <host-id>   (the agent: npm run agent:build; docs/deploy.md)`);

/**
 * 7. The secrets the worker lacks, with their values (environment, generated, typed in), and the
 * config validated with every secret as the worker will see it. Runs before anything is
 * created, so a missing secret stops the deploy with nothing changed.
 */
async function planSecrets(secretsNow) {
  let onWorker = [];
  if (secretsNow.code === 0) onWorker = JSON.parse(secretsNow.stdout.slice(secretsNow.stdout.indexOf("["))).map((s) => s.name);
  else if (!/10007|does not exist|not found/i.test(secretsNow.stderr + secretsNow.stdout))
    stop("secrets", "could not list the worker's secrets", failed(secretsNow));
  const wanted = new Map([["VIGIL_ADMIN_TOKEN", "token"], ...secretRefs(config)]);
  // Optional secrets: set when given in the environment (or generated on request).
  const optional = new Map([["VIGIL_METRICS_TOKEN", "token"]]);
  const toSet = {};
  const sources = [];
  const newlyGenerated = {};
  const unresolved = [];
  for (const [name, kind] of [...wanted, ...optional]) {
    if (onWorker.includes(name)) continue;
    if (process.env[name]) {
      toSet[name] = process.env[name];
      sources.push(`${name} from the environment`);
    } else if (flags["generate-secrets"] && kind !== "given") {
      toSet[name] = newlyGenerated[name] = generate(kind);
      sources.push(`${name} generated`);
    } else if (!optional.has(name)) unresolved.push([name, kind]);
  }
  if (unresolved.length > 0 && process.stdin.isTTY) {
    for (const [name] of unresolved.splice(0)) {
      const value = await askHidden(`vigil deploy: value for ${name} (hidden): `);
      if (!value) stop("secrets", `no value given for ${name}; nothing was changed`);
      toSet[name] = value;
      sources.push(`${name} typed in`);
    }
  }
  if (unresolved.length > 0) {
    const canGenerate = unresolved.filter(([, k]) => k !== "given").map(([n]) => n);
    stop(
      "secrets",
      `${unresolved.length} secret${unresolved.length === 1 ? " is" : "s are"} not set on the worker ${workerName}; nothing was changed`,
      [
        ...unresolved.map(
          ([n]) => `${n}: set it in the environment of this command${canGenerate.includes(n) ? ", or pass --generate-secrets" : ""}`,
        ),
      ],
    );
  }
  // The worker validates with its secrets; so does the deploy, with the names it now knows.
  // A secret already on the worker cannot be read back; its stand-in passes the length minimums
  // (the worker checks the real value at start). Values about to be set are checked as they are.
  const onWorkerStandIn = "(set on the worker; Cloudflare does not give its value back)";
  const names = Object.fromEntries([...onWorker, ...Object.keys(toSet)].map((n) => [n, toSet[n] ?? onWorkerStandIn]));
  const full = await checkConfig(configPath, { ...baseEnv, ...names }, { checkSecrets: true });
  if (full.problems.length > 0) stop("secrets", `${shown} is invalid with the worker's secrets; nothing was changed`, full.problems);
  let generatedFile = null;
  if (Object.keys(newlyGenerated).length > 0) {
    mkdirSync(deployDir, { recursive: true });
    generatedFile = resolve(deployDir, "generated-secrets.env");
    const lines = Object.entries(newlyGenerated).map(([k, v]) => `${k}=${v}`);
    writeFileSync(
      generatedFile,
      `${existsSync(generatedFile) ? readFileSync(generatedFile, "utf8") : `# Secrets generated by npm run deploy (${workerName}). Keep this file private.\n`}${lines.join("\n")}\n`,
      { mode: 0o600 },
    );
    chmodSync(generatedFile, 0o600);
  }
  return {
    toSet,
    line:
      Object.keys(toSet).length === 0
        ? `all ${wanted.size} set on the worker (${[...wanted.keys()].join(", ")})`
        : `${Object.keys(toSet).length} to set with this deploy: ${sources.join(", ")}${generatedFile ? `; generated values are in ${relative(process.cwd(), generatedFile)} (mode 0600)` : ""}`,
  };
}
