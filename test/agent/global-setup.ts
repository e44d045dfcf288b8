/**
 * Node project global setup for the agent tests:
 *   1. builds the bundled agent (dist/agent/vigil-agent.mjs) that the CLI tests run with plain node;
 *   2. brings up the Docker-compatible engine (scripts/podman-setup.sh) and hands its socket on.
 * When the engine cannot be had, the socket is "" and the reason is handed on instead: the
 * docker tests then skip (or fail under CI=true).
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    agentBundle: string;
    podmanSocket: string;
    podmanError: string;
  }
}

const run = promisify(execFile);
const root = fileURLToPath(new URL("../..", import.meta.url));

export default async function setup(project: TestProject) {
  await run(process.execPath, [`${root}agent/build.mjs`], { cwd: root });
  project.provide("agentBundle", `${root}dist/agent/vigil-agent.mjs`);
  try {
    const { stdout } = await run("bash", [`${root}scripts/podman-setup.sh`], { cwd: root, timeout: 300_000, maxBuffer: 16 * 1024 * 1024 });
    project.provide("podmanSocket", stdout.trim().split("\n").at(-1) ?? "");
    project.provide("podmanError", "");
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    project.provide("podmanSocket", "");
    project.provide("podmanError", (e.stderr?.trim().split("\n").at(-1) ?? e.message).slice(0, 300));
  }
}
