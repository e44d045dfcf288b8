/**
 * Private locations end to end (issue #23, point 3): `npm start` runs the worker with a monitor
 * probed only by the agent `pl-1`; the real bundled agent (plain node) learns it from the
 * answer to its reports, probes a loopback target with a secret only it holds, and reports;
 * the worker's ticks turn its votes into the monitor's state, up, then down when the target
 * fails.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, inject, it } from "vitest";
import { freePort } from "../agent/pg-cluster";
import { listenOnLoopback, type Spawned } from "../servers/index";
import { healthy, npmStart, stopNpmStart, until, type NpmStart } from "./npm-start";

const root = fileURLToPath(new URL("../..", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "vigil-private-location-"));
const AGENT_SECRET = "b".repeat(64);
const TOKEN = "Bearer inside-only-6c2e";

describe.skipIf(process.platform !== "linux")("private location, end to end", () => {
  let started: NpmStart | undefined;
  let target: Spawned | undefined;
  let agent: ReturnType<typeof spawn> | undefined;
  afterAll(async () => {
    agent?.kill("SIGTERM");
    await stopNpmStart(started, 15_000);
    await target?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("the agent's votes decide the monitor's state through the worker's ticks", async () => {
    let status = 200;
    const auth: (string | undefined)[] = [];
    target = await listenOnLoopback(
      createServer((req, res) => {
        auth.push(req.headers.authorization);
        res.writeHead(req.headers.authorization === TOKEN ? status : 401).end("inside");
      }),
    );
    const vars = join(dir, "vigil.vars");
    // The worker gets the target's URL; the token is the agent's alone.
    writeFileSync(vars, `PL_AGENT_SECRET=${AGENT_SECRET}\nPL_TARGET_URL=http://127.0.0.1:${target.info.port}/health\n`);
    const base = `http://127.0.0.1:${await freePort()}`;
    started = npmStart(root, {
      PORT: new URL(base).port,
      VIGIL_CONFIG: "test/node/fixtures/private-location.config.ts",
      VIGIL_STATE_DIR: join(dir, "state"),
      VIGIL_VARS_FILE: vars,
      VIGIL_WATCH: "0",
      VIGIL_DEMO_PORT: String(await freePort()),
      VIGIL_RECEIVER_PORT: String(await freePort()),
    });
    await until(started, "npm start serving /health", 150_000, healthy(base), 500);
    expect(readFileSync(vars, "utf8")).not.toContain("PL_TARGET_TOKEN");

    const config = join(dir, "agent.config.json");
    writeFileSync(
      config,
      JSON.stringify({
        agent: { id: "pl-1" },
        worker: { url: base, secret: { env: "PL_AGENT_SECRET" } },
        interval: "5s",
        stateDir: join(dir, "agent-state"),
        monitors: { secrets: ["PL_TARGET_TOKEN"] },
        checks: [{ kind: "host", mounts: ["/"] }],
      }),
    );
    let agentOutput = "";
    agent = spawn(process.execPath, [inject("agentBundle"), "run", "--config", config], {
      env: { ...process.env, PL_AGENT_SECRET: AGENT_SECRET, PL_TARGET_TOKEN: TOKEN },
      stdio: ["ignore", "pipe", "pipe"],
    });
    agent.stdout!.on("data", (d) => (agentOutput += d));
    agent.stderr!.on("data", (d) => (agentOutput += d));

    const token = () => /^VIGIL_ADMIN_TOKEN=(.+)$/m.exec(readFileSync(vars, "utf8"))![1]!;
    const state = async () => {
      const res = await fetch(`${base}/v1/monitors`, {
        headers: { authorization: `Bearer ${token()}` },
        signal: AbortSignal.timeout(10_000),
      });
      const body = (await res.json()) as { monitors: { id: string; state: { status: string; reason?: string | null } | null }[] };
      return body.monitors.find((m) => m.id === "pl-inside")?.state ?? null;
    };
    const wait = (what: string, want: string) =>
      until(
        started!,
        `${what}; agent printed:\n${agentOutput.slice(-2000)}`,
        180_000,
        async () => ((await state())?.status === want ? await state() : null),
        2_000,
      );

    expect(await wait("pl-inside up from the agent's vote", "up")).toMatchObject({ status: "up" });
    expect(auth).toContain(TOKEN);
    status = 503;
    const down = await wait("pl-inside down from the agent's vote", "down");
    expect(down?.reason).toMatch(/^down from 1 of 1 locations \(agent:pl-1: expected status 2xx, got 503\)/);
    expect(agentOutput).not.toContain("inside-only-6c2e");
  }, 420_000);
});
