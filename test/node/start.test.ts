/**
 * `npm start` end to end: the real script, the real `wrangler dev` (workerd, local D1, Durable
 * Objects, Queues), a config chosen with VIGIL_CONFIG, a port chosen with PORT.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));
let child: ChildProcess;
let base = "";
let output = "";

const freePort = () =>
  new Promise<number>((ok, fail) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => ok(port));
    });
    s.on("error", fail);
  });

async function waitUntilUp(timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(`${base}/health`, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`npm start did not come up:\n${output.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

const token = () => /^VIGIL_ADMIN_TOKEN=(.+)$/m.exec(readFileSync(`${root}/.dev.vars`, "utf8"))![1]!;

describe("npm start", () => {
  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    child = spawn(process.execPath, ["scripts/start.mjs"], {
      cwd: root,
      env: { ...process.env, PORT: String(port), VIGIL_CONFIG: "test/node/fixtures/start.config.ts" },
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout!.on("data", (d) => (output += d));
    child.stderr!.on("data", (d) => (output += d));
    await waitUntilUp(120_000);
  }, 150_000);

  afterAll(() => {
    if (child?.pid) process.kill(-child.pid, "SIGINT");
  });

  it("serves the config named by VIGIL_CONFIG on PORT", async () => {
    const health = await (await fetch(`${base}/health`)).json();
    expect(health).toMatchObject({ status: "ok", monitors: 1, services: 1 });
  });

  it("generated an admin token into .dev.vars and never printed it", async () => {
    expect(token()).toMatch(/^[0-9a-f]{48}$/);
    expect(output).not.toContain(token());
    expect((await fetch(`${base}/v1/monitors`)).status).toBe(401);
    expect((await fetch(`${base}/v1/monitors`, { headers: { authorization: `Bearer ${token()}` } })).status).toBe(200);
  });

  it("runs the cron locally: a tick probes the monitor through the local stack", async () => {
    const tick = await fetch(`${base}/__scheduled?cron=${encodeURIComponent("* * * * *")}`, { signal: AbortSignal.timeout(30_000) });
    expect(tick.status).toBe(200);
    const { monitors } = await (await fetch(`${base}/v1/monitors`, { headers: { authorization: `Bearer ${token()}` } })).json();
    expect(monitors[0]).toMatchObject({ id: "self-health", state: { status: "up" } });
  });
});
