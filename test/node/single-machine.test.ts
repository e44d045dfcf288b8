/**
 * Single-machine mode (docs/single-machine.md): `npm start` with VIGIL_STATE_DIR (D1 / Durable
 * Object state) and VIGIL_VARS_FILE (secrets) under one directory keeps both across a restart, and runs
 * the worker without the inspector (whose proxy exhausted workerd's file descriptors at
 * 2,000 monitors every 10 s: BENCHMARKS.md, "Scale: npm start").
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../agent/pg-cluster";
import { healthy, npmStart, stopNpmStart, until, type NpmStart } from "./npm-start";

const root = fileURLToPath(new URL("../..", import.meta.url));
const stateDir = mkdtempSync(join(tmpdir(), "vigil-single-"));

type Running = NpmStart & { base: string };

/** npm start in single-machine mode on a free port; resolves once /health answers. */
async function start(): Promise<Running> {
  const base = `http://127.0.0.1:${await freePort()}`;
  const started = npmStart(root, {
    PORT: new URL(base).port,
    VIGIL_CONFIG: "test/node/fixtures/single-machine.config.ts",
    VIGIL_STATE_DIR: join(stateDir, "state"),
    VIGIL_VARS_FILE: join(stateDir, "vigil.vars"),
    VIGIL_WATCH: "0",
    VIGIL_DEMO_PORT: String(await freePort()),
    VIGIL_RECEIVER_PORT: String(await freePort()),
  });
  await until(started, "npm start serving /health", 150_000, healthy(base), 500);
  return { ...started, base };
}

const stop = (r: Running | undefined) => stopNpmStart(r, 15_000);

/** The command lines of the workerd processes in npm start's process group. */
function workerdCommands(pgid: number): string[] {
  const found: string[] = [];
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const pgrp = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
      const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
      if (pgrp === pgid && cmd.includes("workerd")) found.push(cmd);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

const token = () => /^VIGIL_ADMIN_TOKEN=(.+)$/m.exec(readFileSync(join(stateDir, "vigil.vars"), "utf8"))![1]!;

async function monitors(base: string) {
  const res = await fetch(`${base}/v1/monitors`, { headers: { authorization: `Bearer ${token()}` }, signal: AbortSignal.timeout(10_000) });
  expect(res.status).toBe(200);
  return ((await res.json()) as { monitors: { id: string; state: { status: string; since: string } | null }[] }).monitors;
}

let running: Running | undefined;

describe.skipIf(process.platform !== "linux")("npm start with VIGIL_STATE_DIR", () => {
  afterAll(async () => {
    await stop(running);
    rmSync(stateDir, { recursive: true, force: true });
  });

  it("keeps its secrets and its state in the directory across a restart", async () => {
    running = await start();
    // Secrets and state are in the state dir, the token never printed.
    expect(token()).toMatch(/^[0-9a-f]{48}$/);
    expect(existsSync(join(stateDir, "state", "v3", "d1"))).toBe(true);
    expect(running.output()).not.toContain(token());
    // No inspector: no workerd of this instance listens for DevTools.
    const commands = workerdCommands(running.child.pid!);
    expect(commands.length).toBeGreaterThan(0);
    expect(commands.filter((c) => c.includes("--inspector-addr"))).toEqual([]);

    // Write state: npm start's ticks probe the monitor (its first when ready, then every
    // minute; the run falls somewhere in the minute), which becomes up.
    let before: Awaited<ReturnType<typeof monitors>>[number] | undefined;
    for (const deadline = Date.now() + 150_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 2_000))) {
      before = (await monitors(running.base)).find((m) => m.id === "self-health");
      if (before?.state?.status === "up") break;
    }
    expect(before!.state).toMatchObject({ status: "up" });
    const firstToken = token();

    await stop(running);
    running = await start();

    // Read it back: the same token still opens the API, and the monitor is up since the same moment.
    expect(token()).toBe(firstToken);
    const after = (await monitors(running.base)).find((m) => m.id === "self-health")!;
    expect(after.state).toMatchObject({ status: "up", since: before!.state!.since });
  }, 400_000);
});
