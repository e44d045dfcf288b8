/**
 * Connecting an agent in three commands, with the bundled agent as it ships: `init` looks at this
 * host (the local podman engine, PostgreSQL, Redis, the disks), writes the config and the secret,
 * and prints the worker side; the printed `wrangler secret put` line hands over the same secret;
 * `once --push` then delivers a signed report.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, inject, it } from "vitest";
import { type IngestServer, startIngestServer } from "./ingest-server";
import { describeWith, tcpReachable } from "./services";

const bundle = inject("agentBundle");
const socket = inject("podmanSocket");
const missing = [
  socket ? "" : `podman (${inject("podmanError") || "unavailable"})`,
  (await tcpReachable("127.0.0.1", 5432)) ? "" : "PostgreSQL on 127.0.0.1:5432",
  (await tcpReachable("127.0.0.1", 6379)) ? "" : "Redis on 127.0.0.1:6379",
].filter(Boolean);
const describeHost = describeWith("the engine, PostgreSQL and Redis", missing.length ? `unreachable: ${missing.join(", ")}` : "");

function agent(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [bundle, ...args], {
    env: { ...process.env, PGDATABASE: "test", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => (stdout += d));
  child.stderr!.on("data", (d) => (stderr += d));
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((ok) =>
    child.on("close", (code) => ok({ code, stdout, stderr })),
  );
}

describeHost("vigil-agent init → wrangler secret put → once --push", () => {
  let dir: string;
  let server: IngestServer;
  let workerSecret = "";
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "vigil-agent-init-"));
    // The worker's side: it knows the secret only once the printed command handed it over.
    server = await startIngestServer(() => workerSecret, "app-01");
  });
  afterAll(async () => {
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("init finds the engine, PostgreSQL, Redis and the disks, writes the config and a private secret, prints the worker side", async () => {
    const r = await agent([
      "init",
      "--worker",
      server.url,
      "--id",
      "app-01",
      "--service",
      "app",
      "--dir",
      dir,
      "--state-dir",
      join(dir, "state"),
      "--socket",
      socket,
    ]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`docker (${socket}: `);
    expect(r.stdout).toContain("postgres (127.0.0.1:5432)");
    expect(r.stdout).toContain("redis (127.0.0.1:6379)");
    expect(r.stdout).toMatch(/disks \(\/[^)]*\)/);

    const config = JSON.parse(await readFile(join(dir, "agent.config.json"), "utf8"));
    expect(config).toMatchObject({
      agent: { id: "app-01" },
      worker: { url: server.url, secret: { env: "VIGIL_AGENT_SECRET" } },
      docker: { socket },
    });
    const kinds = config.checks.map((c: { kind: string }) => c.kind);
    expect(kinds).toEqual(expect.arrayContaining(["postgres", "redis", "host"]));
    expect(config.checks.find((c: { kind: string }) => c.kind === "postgres").url).toBe("postgres://postgres@127.0.0.1:5432/test");

    const env = await readFile(join(dir, "agent.env"), "utf8");
    expect((await stat(join(dir, "agent.env"))).mode & 0o777).toBe(0o600);
    const secret = /^VIGIL_AGENT_SECRET=([0-9a-f]{64})$/m.exec(env)![1]!;
    expect(r.stdout).not.toContain(secret);

    expect(r.stdout).toContain('{ id: "app-01", service: "app", secret: { env: "APP_01_AGENT_SECRET" } },');
    const line = /^vigil-agent init: +(sed .* \| npx wrangler secret put APP_01_AGENT_SECRET)$/m.exec(r.stdout)![1]!;
    // Run the printed line as printed, with `npx wrangler secret put` reading stdin as it does.
    const handed = spawnSync("bash", ["-c", line.replace("npx wrangler secret put APP_01_AGENT_SECRET", "cat")], { encoding: "utf8" });
    expect(handed.stdout.trim()).toBe(secret);
    workerSecret = handed.stdout.trim();
  });

  it("once --push delivers one signed report that the worker accepts, with the checks init wrote", async () => {
    const r = await agent(["once", "--push", "--config", join(dir, "agent.config.json")], { VIGIL_AGENT_SECRET: "" });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`delivered report \\d+ to ${server.url}/v1/agents/app-01/reports`));
    expect(server.reports).toHaveLength(1);
    expect(server.badSignatures).toBe(0);
    const ids = server.reports[0]!.checks.map((c) => c.id);
    for (const kind of ["postgres:", "redis:", "host:", "agent:self"])
      expect(
        ids.some((id) => id.startsWith(kind)),
        `${kind} in ${ids.join(", ")}`,
      ).toBe(true);
    expect(server.reports[0]!.checks.find((c) => c.id.startsWith("postgres:"))!.status).toBe("ok");
  });

  it("init refuses to overwrite what it wrote, and a second once --push sends the next seq", async () => {
    const again = await agent(["init", "--worker", server.url, "--id", "app-01", "--dir", dir]);
    expect(again.code).toBe(64);
    expect(again.stderr).toContain("agent.config.json exists; pass --force to replace it");
    const r = await agent(["once", "--push", "--config", join(dir, "agent.config.json")]);
    expect(r.code, r.stderr).toBe(0);
    expect(server.reports).toHaveLength(2);
    expect(server.reports[1]!.seq).toBeGreaterThan(server.reports[0]!.seq);
  });
});
