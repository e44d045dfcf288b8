/**
 * Upgrading keeps state: version N runs under `npm start` (the real `wrangler dev`, local D1 and
 * Durable Objects under the clone's own .wrangler/state), state is written through the API (an
 * agent's reports open an incident), the worker stops, version N+1 — the same clone with one more
 * D1 migration — starts the same way (migrations first, then the code), and the incident, its
 * timeline, the agent and its report sequence read back unchanged. A second agent is connected
 * the documented way: `vigil-agent init` (its printed `agents[]` entry goes into the config, its
 * printed secret line into .dev.vars), then `vigil-agent once --push` against the worker.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { signReport } from "../../src/contract/signature";
import { freshClone } from "./clone";
import { freePort } from "../agent/pg-cluster";
import { healthy, npmStart, stopNpmStart, until, type NpmStart } from "./npm-start";

const ADMIN = "upgrade-admin-token-0123456789abcdef0123456789abcdef";
const AGENT_SECRET = "upgrade-agent-secret-0123456789abcdef0123456789abcdef";
let clone = "";
let base = "";
let started: NpmStart | null = null;
const output = () => started?.output() ?? "";
const bundle = inject("agentBundle");
const agentCli = (args: string[]) =>
  spawnSync(process.execPath, [bundle, ...args], { encoding: "utf8", env: { ...process.env, PGDATABASE: "test" }, timeout: 120_000 });

/**
 * `npm start` in the clone; resolves once /health answers. The demo target and the receiver get
 * ports of their own: their defaults (PORT+10, PORT+11) may be taken by a test running beside.
 */
async function start(port: number) {
  started = npmStart(clone, {
    PORT: String(port),
    VIGIL_DEMO_PORT: String(await freePort()),
    VIGIL_RECEIVER_PORT: String(await freePort()),
    VIGIL_CONFIG: "upgrade.config.ts",
    CI: "true",
  });
  await until(started, "npm start serving /health", 240_000, healthy(base), 500);
}

async function stop() {
  await stopNpmStart(started);
  started = null;
}

const admin = async (path: string) => {
  const res = await fetch(`${base}/v1${path}`, { headers: { authorization: `Bearer ${ADMIN}` }, signal: AbortSignal.timeout(10_000) });
  expect(res.status, path).toBe(200);
  return res.json() as Promise<any>;
};

async function report(seq: number, status: "ok" | "critical") {
  const now = new Date().toISOString();
  const body = JSON.stringify({
    agent: { id: "host-1", version: "1.0.0", hostname: "app-01" },
    seq,
    sentAt: now,
    intervalSeconds: 30,
    checks: [
      {
        id: "docker:web",
        kind: "docker",
        status,
        summary: status === "ok" ? "running" : "container exited (137)",
        observedAt: now,
        durationMs: 3,
      },
    ],
    remediations: [],
  });
  const signature = await signReport(AGENT_SECRET, body, Math.floor(Date.now() / 1000));
  return fetch(`${base}/v1/agents/host-1/reports`, {
    method: "POST",
    headers: { "content-type": "application/json", "vigil-signature": signature },
    body,
    signal: AbortSignal.timeout(10_000),
  });
}

describe("upgrading a running Vigil keeps its state", () => {
  beforeAll(async () => {
    clone = freshClone("vigil-upgrade-");
    base = `http://127.0.0.1:${await freePort()}`;
    // The second agent, connected as docs/deploy.md says: init on the host, its two lines on the worker side.
    mkdirSync(join(clone, "host-2"));
    const init = agentCli([
      "init",
      "--worker",
      base,
      "--id",
      "host-2",
      "--service",
      "app",
      "--dir",
      join(clone, "host-2"),
      "--state-dir",
      join(clone, "host-2/state"),
      "--socket",
      join(clone, "no-engine.sock"),
    ]);
    expect(init.status, init.stderr).toBe(0);
    const entry = /^vigil-agent init: +(\{ id: "host-2".*\},)$/m.exec(init.stdout)![1]!;
    const secretLine = /^vigil-agent init: +(sed .*) \| npx wrangler secret put HOST_2_AGENT_SECRET$/m.exec(init.stdout)![1]!;
    writeFileSync(join(clone, ".dev.vars"), `VIGIL_ADMIN_TOKEN=${ADMIN}\nHOST_1_AGENT_SECRET=${AGENT_SECRET}\n`, { mode: 0o600 });
    expect(spawnSync("bash", ["-c", `${secretLine} | sed 's/^/HOST_2_AGENT_SECRET=/' >> .dev.vars`], { cwd: clone }).status).toBe(0);
    writeFileSync(
      join(clone, "upgrade.config.ts"),
      `import { defineConfig } from "./src/config";
export default defineConfig({
  services: [{ id: "app", name: "App", policy: "p" }],
  agents: [
    { id: "host-1", service: "app", secret: { env: "HOST_1_AGENT_SECRET" }, failureThreshold: 1 },
    ${entry}
  ],
  channels: [{ id: "hook", type: "webhook", url: "http://127.0.0.1:9/unused", secret: { env: "OPS_WEBHOOK_SECRET" } }],
  policies: [{ id: "p", groupWait: "0s", levels: [{ channels: ["hook"] }] }],
});
`,
    );
  });

  afterAll(async () => {
    await stop();
    if (clone) rmSync(clone, { recursive: true, force: true });
  });

  it("version N → state through the API → version N+1 with a new D1 migration → the same state", async () => {
    // Version N.
    await start(Number(new URL(base).port));
    expect((await report(1, "critical")).status).toBe(202);
    let open: any[] = [];
    for (let i = 0; i < 40 && open.length === 0; i++) {
      open = (await admin("/incidents?status=open")).incidents;
      if (open.length === 0) await new Promise((r) => setTimeout(r, 250));
    }
    expect(open).toHaveLength(1);
    const incidentBefore = (await admin(`/incidents/${open[0].id}`)).incident;
    const agentBefore = (await admin("/agents/host-1")).agent;
    expect(agentBefore).toMatchObject({ id: "host-1" });
    await stop();

    // Version N+1: one more migration. `npm start` applies it before the code serves.
    writeFileSync(
      join(clone, "migrations/0999_upgrade_test.sql"),
      "CREATE TABLE upgrade_test (id INTEGER PRIMARY KEY, note TEXT NOT NULL DEFAULT '');\n",
    );
    await start(Number(new URL(base).port));
    // Only the new one: `npm start` says how many it applied (the others were applied under N).
    expect(output()).toMatch(/^vigil: database .*: 1 migration applied$/m);

    // The incident, its timeline, the agent, and the agent object's sequence survived.
    expect((await admin("/incidents?status=open")).incidents.map((i: any) => i.id)).toEqual([open[0].id]);
    const incidentAfter = (await admin(`/incidents/${open[0].id}`)).incident;
    expect(incidentAfter).toEqual(incidentBefore);
    expect((await admin("/agents/host-1")).agent).toEqual(agentBefore);
    const repeat = await report(1, "critical");
    expect(repeat.status).toBe(200);
    expect(await repeat.json()).toMatchObject({ accepted: true, duplicate: true, lastSeq: 1 });
    // And the new version works on the old state: recovery resolves the incident opened by N.
    expect((await report(2, "ok")).status).toBe(202);
    expect((await report(3, "ok")).status).toBe(202);
    let status = "";
    for (let i = 0; i < 40 && status !== "resolved"; i++) {
      status = (await admin(`/incidents/${open[0].id}`)).incident.status;
      if (status !== "resolved") await new Promise((r) => setTimeout(r, 250));
    }
    expect(status).toBe("resolved");
    expect(readFileSync(join(clone, ".dev.vars"), "utf8")).toContain(`VIGIL_ADMIN_TOKEN=${ADMIN}`);

    // The agent connected with init: one signed report, accepted by the worker.
    const once = agentCli(["once", "--push", "--config", join(clone, "host-2/agent.config.json")]);
    expect(once.status, `${once.stdout}\n${once.stderr}`).toBe(0);
    expect(once.stdout).toContain(`delivered report 1 to ${base}/v1/agents/host-2/reports`);
    const host2 = (await admin("/agents/host-2")).agent;
    expect(host2.lastSeen).toEqual(expect.any(String));
  }, 600_000);
});
