// Helpers for the project's scripts. Node built-ins only: these run before `npm install`.
import { spawn } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const root = fileURLToPath(new URL("..", import.meta.url));

/** Runs a command in the project root with inherited stdio; resolves to its exit code. */
export function run(cmd, args, options = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, stdio: "inherit", ...options });
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

/** Installs dependencies when node_modules is missing or older than package-lock.json. */
export async function ensureDeps() {
  const marker = `${root}/node_modules/.package-lock.json`;
  const lock = `${root}/package-lock.json`;
  const fresh = existsSync(marker) && (!existsSync(lock) || statSync(marker).mtimeMs >= statSync(lock).mtimeMs);
  if (fresh) return;
  console.log("vigil: installing dependencies (npm ci)…");
  const code = await run("npm", [existsSync(lock) ? "ci" : "install", "--no-audit", "--no-fund"]);
  if (code !== 0) {
    console.error("vigil: npm install failed; see the output above");
    process.exit(code);
  }
}

/** Parses a .dev.vars / .env file into a map (KEY=value, # comments, optional quotes). */
export function readVars(path) {
  const vars = new Map();
  if (!existsSync(path)) return vars;
  for (const line of readFileSync(path, "utf8").split("\n")) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (m) vars.set(m[1], m[2].replace(/^(["'])(.*)\1$/, "$2"));
  }
  return vars;
}
