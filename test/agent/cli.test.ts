/**
 * The bundled agent (dist/agent/vigil-agent.mjs, built by the global setup) run with plain
 * `node`, as it ships: validate, once --json, run with a .ts config, SIGTERM, seq across
 * process restarts, no secret in the logs.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { agentReport } from "../../src/contract/report";
import { type IngestServer, startIngestServer } from "./ingest-server";

const bundle = inject("agentBundle");
const SECRET = "cli-secret-7a1b2c3d4e5f";

function agent(
  args: string[],
  env: Record<string, string> = {},
): { child: ChildProcess; done: Promise<{ code: number | null; stdout: string; stderr: string }> } {
  const child = spawn(process.execPath, [bundle, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => (stdout += d));
  child.stderr!.on("data", (d) => (stderr += d));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on("close", (code) => resolve({ code, stdout, stderr })),
  );
  return { child, done };
}

describe("vigil-agent CLI (bundled, plain node)", () => {
  let dir: string;
  let server: IngestServer;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "vigil-agent-cli-"));
    server = await startIngestServer(SECRET, "cli-test");
  });
  afterAll(async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });
  /** Writes a JSON config that reports to the test ingest server with these checks; returns its path. */
  async function writeConfig(name: string, checks: object[]): Promise<string> {
    const file = join(dir, name);
    await writeFile(
      file,
      JSON.stringify({ agent: { id: "cli-test" }, worker: { url: server.url, secret: { env: "CLI_SECRET" } }, checks }),
    );
    return file;
  }

  it("validate lists every error with its path and exits 78", async () => {
    const file = join(dir, "bad.json");
    await writeFile(
      file,
      JSON.stringify({ agent: { id: "cli-test" }, checks: [{ kind: "host" }, { kind: "http", url: "nope" }, { kind: "docker" }] }),
    );
    const { code, stderr } = await agent(["validate", "--config", file]).done;
    expect(code).toBe(78);
    expect(stderr).toContain("checks[1].url: Invalid url");
    const { code: usage } = await agent(["frobnicate"]).done;
    expect(usage).toBe(64);
  });

  it("validate --json and once mask credentials in URLs, as run's logs do", async () => {
    const file = await writeConfig("creds.json", [
      { kind: "http", url: "http://bob:hunter2pw@127.0.0.1:1/health" },
      { kind: "redis", url: "redis://u:redispw99@127.0.0.1:1" },
      { kind: "postgres", url: "postgres://carol:pgpass77@127.0.0.1:1/app" },
    ]);
    const validate = await agent(["validate", "--json", "--config", file], { CLI_SECRET: SECRET }).done;
    expect(validate.code).toBe(0);
    for (const secret of ["hunter2pw", "redispw99", "pgpass77"]) expect(validate.stdout + validate.stderr).not.toContain(secret);
    expect(validate.stdout).toContain("http://[redacted]@127.0.0.1:1/health");
    const text = await agent(["validate", "--config", file], { CLI_SECRET: SECRET }).done;
    for (const secret of ["hunter2pw", "redispw99", "pgpass77"]) expect(text.stdout + text.stderr).not.toContain(secret);
    for (const args of [["once", "--json"], ["once"]]) {
      const once = await agent([...args, "--config", file], { CLI_SECRET: SECRET }).done;
      for (const secret of ["hunter2pw", "redispw99", "pgpass77", SECRET]) expect(once.stdout + once.stderr).not.toContain(secret);
    }
  });

  it("once --json prints one valid report and sends nothing; the exit code is the worst status", async () => {
    const file = await writeConfig("once.json", [
      { kind: "host", mounts: ["/"] },
      { kind: "tcp", host: "127.0.0.1", port: 1 },
    ]);
    const before = server.reports.length;
    const { code, stdout, stderr } = await agent(["once", "--json", "--config", file], { CLI_SECRET: SECRET }).done;
    expect(code).toBe(2);
    const report = agentReport.parse(JSON.parse(stdout));
    expect(report.checks.map((c) => c.id)).toEqual(["host:local", "tcp:127.0.0.1:1"]);
    expect(server.reports.length).toBe(before);
    for (const line of stderr.trim().split("\n")) expect(() => JSON.parse(line)).not.toThrow();
  });

  it("run with a .ts config pushes signed reports, stops on SIGTERM, and keeps seq across restarts; the secret is never logged", async () => {
    const file = join(dir, "agent.config.ts");
    await writeFile(
      file,
      `import type { AgentConfigInput } from "../agent/config";
const config: AgentConfigInput = {
  agent: { id: "cli-test", hostname: "cli-host" },
  worker: { url: ${JSON.stringify(server.url)}, secret: { env: "CLI_SECRET" } },
  interval: "5s",
  stateDir: ${JSON.stringify(join(dir, "state"))},
  checks: [{ kind: "host", mounts: ["/"] }],
};
export default config;
`,
    );
    const logs: string[] = [];
    for (const expectedCount of [1, 2]) {
      const { child, done } = agent(["run", "--config", file], { CLI_SECRET: SECRET });
      await server.waitFor(expectedCount, 20_000);
      child.kill("SIGTERM");
      const { code, stderr } = await done;
      expect(code).toBe(0);
      logs.push(stderr);
    }
    // The second process numbers above the first one's seq reservation (64 a write).
    expect(server.reports.map((r) => [r.seq, r.agent.hostname])).toEqual([
      [1, "cli-host"],
      [65, "cli-host"],
    ]);
    const all = logs.join("");
    expect(all).toContain('"msg":"vigil-agent started"');
    expect(all).toContain('"msg":"stopping","signal":"SIGTERM"');
    expect(all).not.toContain(SECRET);
  }, 60_000);
});
