#!/usr/bin/env node
// `npm start`: everything needed to run Vigil locally, from a fresh clone.
//
// 1. Install dependencies if missing.
// 2. Make sure .dev.vars has an admin token (and signing secrets the config names), generating
//    what is missing. Secrets are written to .dev.vars, never printed.
// 3. Validate the config ($VIGIL_CONFIG, default vigil.config.ts) exactly as the worker will.
// 4. Apply the D1 migrations to the local database (.wrangler/state).
// 5. Run `wrangler dev` on $PORT (default 8787) with the config swapped in through a generated
//    .vigil/wrangler.toml, and fire the cron trigger every minute.
import { randomBytes } from "node:crypto";
import { appendFileSync, existsSync } from "node:fs";
import { resolve } from "node:path";
import { checkConfig } from "./config.mjs";
import { ensureDeps, readVars, root, run, writeDevWranglerConfig } from "./lib.mjs";
import { spawn } from "node:child_process";
import { createServer } from "node:net";

const port = Number(process.env.PORT ?? 8787);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error(`vigil: PORT must be a port number from 1 to 65535, got "${process.env.PORT}"`);
  process.exit(1);
}
const configPath = resolve(process.env.VIGIL_CONFIG ?? "vigil.config.ts");
if (!existsSync(configPath)) {
  console.error(`vigil: config file not found: ${configPath} (set VIGIL_CONFIG or create vigil.config.ts)`);
  process.exit(1);
}
const selfUrl = `http://127.0.0.1:${port}`;

// 1.
await ensureDeps();

// 2.
const devVars = resolve(root, ".dev.vars");
function addVar(name, value, why) {
  appendFileSync(devVars, `${existsSync(devVars) ? "" : "# Local secrets for `wrangler dev` (git-ignored).\n"}${name}=${value}\n`, { mode: 0o600 });
  console.log(`vigil: generated ${name} in .dev.vars (${why})`);
}
if (!readVars(devVars).get("VIGIL_ADMIN_TOKEN")) addVar("VIGIL_ADMIN_TOKEN", randomBytes(24).toString("hex"), "admin API bearer token; read it there");

// 3.
const env = () => ({ ...Object.fromEntries(readVars(devVars)), ...process.env, VIGIL_SELF_URL: selfUrl });
let { problems } = await checkConfig(configPath, env(), { checkSecrets: true });
const missingSigning = problems.map((p) => /environment variable (\w*WEBHOOK_SECRET) is not set/.exec(p)?.[1]).filter(Boolean);
if (missingSigning.length > 0) {
  for (const name of new Set(missingSigning)) addVar(name, `whsec_${randomBytes(24).toString("base64")}`, "webhook signing secret; give the same value to your receiver");
  ({ problems } = await checkConfig(configPath, env(), { checkSecrets: true }));
}
if (problems.length > 0) {
  console.error(`vigil: ${configPath} is invalid (${problems.length} problem${problems.length === 1 ? "" : "s"}):`);
  for (const p of problems) console.error(`  ${p}`);
  process.exit(1);
}

// 4.
const wrangler = resolve(root, "node_modules/.bin/wrangler");
const local = ["--config", writeDevWranglerConfig(configPath), "--persist-to", resolve(root, ".wrangler/state"), "--env-file", devVars];
const migrate = await run(wrangler, ["d1", "migrations", "apply", "DB", "--local", ...local], { env: { ...process.env, CI: "true" } });
if (migrate !== 0) process.exit(migrate);

// 5.
// The inspector gets a free port, so a second `npm start` (another PORT) does not collide.
const inspectorPort = await new Promise((ok, fail) => {
  const s = createServer().listen(0, "127.0.0.1", () => {
    const { port: p } = s.address();
    s.close(() => ok(p));
  });
  s.on("error", fail);
});
const dev = spawn(
  wrangler,
  ["dev", ...local, "--port", String(port), "--ip", "127.0.0.1", "--inspector-port", String(inspectorPort), "--test-scheduled", "--var", `VIGIL_SELF_URL:${selfUrl}`],
  { cwd: root, stdio: "inherit" },
);
const stop = () => dev.kill("SIGINT");
process.on("SIGINT", stop);
process.on("SIGTERM", stop);

// `wrangler dev` does not fire cron triggers by itself; fire "* * * * *" at every minute.
const fireCron = async () => {
  try {
    await fetch(`${selfUrl}/__scheduled?cron=${encodeURIComponent("* * * * *")}`, { signal: AbortSignal.timeout(55_000) });
  } catch (err) {
    console.error(`vigil: cron trigger failed: ${err.message}`);
  }
};
let timer = setTimeout(function tick() {
  void fireCron();
  timer = setTimeout(tick, 60_000 - (Date.now() % 60_000));
}, 60_000 - (Date.now() % 60_000));
dev.on("exit", (code) => {
  clearTimeout(timer);
  process.exit(code ?? 0);
});
