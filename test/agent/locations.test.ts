/**
 * Private locations, the agent's side (issue #23, point 3): the monitors the worker sends in its
 * answer run in Node through the worker's own probe modules (src/probes), against loopback HTTP,
 * TCP and TLS servers, with secrets read from the agent's environment.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer as createHttpServer } from "node:http";
import { type AddressInfo, createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { Locations } from "../../agent/locations";
import { Logger } from "../../agent/log";
import { nodeConnect } from "../../agent/node-socket";
import { loadProbes } from "../../agent/probes";
import type { LocationProbe } from "../../src/contract/report";
import * as http from "../../src/probes/http";
import { monitorSpec, probes } from "../../src/probes/kinds";
import { probeTcp } from "../../src/probes/tcp";
import { probeTls } from "../../src/probes/tls";
import { listenOnLoopback, type Spawned } from "../servers/index";
import { spawnTls } from "../servers/tls";
import { type IngestServer, startIngestServer } from "./ingest-server";

const TOKEN = "Bearer inside-token-7d3f";
process.env.VIGIL_TEST_INSIDE_TOKEN = TOKEN;
process.env.VIGIL_TEST_NOT_ALLOWED = "never-read";

const lines: string[] = [];
const log = new Logger({ level: "debug", write: (l) => void lines.push(l) });

/** A monitor as the worker sends it: parsed by the worker's schema, then JSON over the wire. */
const wire = (spec: Record<string, unknown>) =>
  JSON.parse(JSON.stringify(monitorSpec.parse({ service: "app", timeout: "2s", locations: ["agent:db-1"], ...spec })));

async function runAll(monitors: unknown[], options: Partial<ConstructorParameters<typeof Locations>[0]> = {}) {
  const locations = new Locations({ enabled: true, secrets: ["VIGIL_TEST_INSIDE_TOKEN"], agentVersion: "9.9.9", log, ...options });
  locations.fromAnswer(JSON.stringify({ accepted: true, seq: 1, monitors }));
  locations.start();
  await locations.idle();
  return new Map(locations.take().map((p: LocationProbe) => [p.monitor, p.result]));
}

describe("private locations in the agent", () => {
  let web: Spawned;
  let tls: Spawned;
  let tcpPort: number;
  let closedPort: number;
  const tcpServer = createNetServer((s) => s.end());
  const seen: (string | undefined)[] = [];

  beforeAll(async () => {
    web = await listenOnLoopback(
      createHttpServer((req, res) => {
        seen.push(req.headers.authorization);
        res.writeHead(req.headers.authorization === TOKEN ? 200 : 401, { "content-type": "text/plain" });
        res.end("ok healthy");
      }),
    );
    tls = await spawnTls({ days: 40 });
    await new Promise<void>((r) => tcpServer.listen(0, "127.0.0.1", r));
    tcpPort = (tcpServer.address() as AddressInfo).port;
    const closed = createNetServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    closedPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
  });
  afterAll(async () => {
    await web.close();
    await tls.close();
    await new Promise<void>((r) => tcpServer.close(() => r()));
  });

  it("runs the worker's probe modules themselves, not copies", async () => {
    const loaded = await loadProbes();
    expect(loaded.probes).toBe(probes);
    const byType = new Map(loaded.probes.kinds.map((k) => [k.type, k.run]));
    expect(byType.get("tcp")).toBe(probeTcp);
    expect(byType.get("tls")).toBe(probeTls);
    expect(byType.get("http")).toBe(http.http.run);
  });

  it("http, tcp and tls monitors from the worker's answer, against loopback servers; the secret from the agent's environment", async () => {
    const results = await runAll([
      wire({
        id: "inside-http",
        type: "http",
        url: `http://127.0.0.1:${web.info.port}/health`,
        keyword: "healthy",
        headers: { authorization: { env: "VIGIL_TEST_INSIDE_TOKEN" } },
      }),
      wire({ id: "inside-tcp", type: "tcp", host: "127.0.0.1", port: tcpPort }),
      wire({ id: "inside-tcp-closed", type: "tcp", host: "127.0.0.1", port: closedPort }),
      wire({ id: "inside-tls", type: "tls", host: "127.0.0.1", port: tls.info.port, servername: "good.test", warnDays: 30 }),
    ]);
    expect(results.get("inside-http")).toMatchObject({ status: "up", statusCode: 200 });
    expect(seen).toContain(TOKEN);
    expect(results.get("inside-tcp")).toMatchObject({ status: "up" });
    expect(results.get("inside-tcp-closed")).toMatchObject({ status: "down", reason: `connection refused by 127.0.0.1:${closedPort}` });
    const cert = results.get("inside-tls");
    expect(cert).toMatchObject({ status: "up", tls: { hostnameMatches: true, chainLength: 2, notAfter: tls.info.notAfter } });
    expect(cert?.tls?.daysLeft).toBe(40);
    expect(["TLSv1.2", "TLSv1.3"]).toContain(cert?.tls?.protocol);
    // The secret's value went to the target only: never into a result.
    expect(JSON.stringify([...results.values()])).not.toContain(TOKEN);
  });

  it("an api monitor inside: a value from one step feeds the next, and a streamed upload arrives whole", async () => {
    const uploads: number[] = [];
    const api = await listenOnLoopback(
      createHttpServer((req, res) => {
        if (req.url === "/login") return void res.writeHead(200, { "content-type": "application/json" }).end('{"session":"s-42"}');
        let bytes = 0;
        req.on("data", (c: Buffer) => void (bytes += c.length));
        req.on("end", () => {
          uploads.push(bytes);
          res.writeHead(req.headers["x-session"] === "s-42" ? 201 : 401).end();
        });
      }),
    );
    try {
      const results = await runAll([
        wire({
          id: "inside-api",
          type: "api",
          baseUrl: `http://127.0.0.1:${api.info.port}`,
          steps: [
            { name: "login", url: "/login", extract: { session: { json: "$.session" } } },
            { name: "upload", method: "POST", url: "/upload", headers: { "x-session": "{{session}}" }, upload: { bytes: 256 * 1024 } },
          ],
        }),
      ]);
      expect(results.get("inside-api")).toMatchObject({ status: "up", throughput: { direction: "upload", bytes: 256 * 1024 } });
      expect(uploads).toEqual([256 * 1024]);
    } finally {
      await api.close();
    }
  });

  it("a TLS certificate inside its warning window is degraded, read through the node:net socket", async () => {
    const soon = await spawnTls({ days: 10 });
    try {
      const results = await runAll([
        wire({ id: "inside-tls-soon", type: "tls", host: "127.0.0.1", port: soon.info.port, servername: "good.test" }),
      ]);
      expect(results.get("inside-tls-soon")).toMatchObject({ status: "degraded", tls: { daysLeft: 10 } });
    } finally {
      await soon.close();
    }
  });

  it("a kind this agent does not know, or a secret it may not read: not measured, saying why", async () => {
    const future = {
      ...wire({ id: "inside-x", type: "tcp", host: "127.0.0.1", port: tcpPort }),
      id: "inside-future",
      type: "smtp-from-2030",
    };
    const results = await runAll([
      future,
      wire({
        id: "inside-secret",
        type: "http",
        url: `http://127.0.0.1:${web.info.port}/`,
        headers: { authorization: { env: "VIGIL_TEST_NOT_ALLOWED" } },
      }),
    ]);
    expect(results.get("inside-future")).toMatchObject({
      status: "down",
      reason: 'internal error in the agent probe: this agent (9.9.9) does not know the probe kind "smtp-from-2030"; upgrade it',
    });
    expect(results.get("inside-secret")?.reason).toBe(
      "internal error in the agent probe: secret VIGIL_TEST_NOT_ALLOWED is not available to this agent (list it in monitors.secrets and set it in its environment)",
    );
    expect(seen).not.toContain("never-read");
  });

  it("without `monitors` in the agent's config: nothing is loaded or probed, each monitor says why", async () => {
    let loads = 0;
    const before = seen.length;
    const results = await runAll([wire({ id: "inside-http-off", type: "http", url: `http://127.0.0.1:${web.info.port}/` })], {
      enabled: false,
      load: async () => {
        loads++;
        return loadProbes();
      },
    });
    expect(loads).toBe(0);
    expect(seen.length).toBe(before);
    expect(results.get("inside-http-off")?.reason).toBe(
      "internal error in the agent probe: this agent does not run monitors (add `monitors` to its config)",
    );
  });

  it("runs a monitor at most once per interval; an answer without the monitor drops it; an older worker's answer changes nothing", async () => {
    let now = 1_000_000;
    const locations = new Locations({ enabled: true, secrets: [], agentVersion: "9.9.9", log, now: () => now });
    const spec = wire({ id: "inside-tcp", type: "tcp", host: "127.0.0.1", port: tcpPort, interval: "30s" });
    locations.fromAnswer(JSON.stringify({ monitors: [spec] }));
    locations.start();
    await locations.idle();
    expect(locations.take()).toHaveLength(1);
    now += 10_000;
    locations.start();
    await locations.idle();
    expect(locations.take()).toHaveLength(0);
    now += 20_000;
    locations.start();
    await locations.idle();
    expect(locations.take()).toHaveLength(1);
    locations.fromAnswer(JSON.stringify({ accepted: true, seq: 9 })); // no `monitors`: an older worker
    expect(locations.monitors.map((m) => m.id)).toEqual(["inside-tcp"]);
    locations.fromAnswer(JSON.stringify({ monitors: [] }));
    expect(locations.monitors).toEqual([]);
  });

  it("the node:net socket reports a refused connection as a failed open", async () => {
    const socket = nodeConnect({ hostname: "127.0.0.1", port: closedPort }, { secureTransport: "off", allowHalfOpen: false });
    await expect(socket.opened).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe("private locations in the bundled agent (plain node, as it ships)", () => {
  const bundle = inject("agentBundle");
  const SECRET = "locations-secret-3c9d2e";
  let dir: string;
  let server: IngestServer;
  let web: Spawned;
  let tls: Spawned;
  const hits: (string | undefined)[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "vigil-agent-locations-"));
    server = await startIngestServer(SECRET, "loc-bundle");
    web = await listenOnLoopback(
      createHttpServer((req, res) => {
        hits.push(req.headers.authorization);
        res.writeHead(200).end("ok healthy");
      }),
    );
    tls = await spawnTls({ days: 60 });
  });
  afterAll(async () => {
    await server.stop();
    await web.close();
    await tls.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("learns its monitors from the answer, runs them from the packed probes, and reports them signed", async () => {
    server.answer = {
      monitors: [
        wire({ id: "b-http", type: "http", url: `http://127.0.0.1:${web.info.port}/`, headers: { authorization: { env: "B_TOKEN" } } }),
        wire({ id: "b-tls", type: "tls", host: "127.0.0.1", port: tls.info.port, servername: "good.test" }),
        wire({ id: "b-tcp", type: "tcp", host: "127.0.0.1", port: web.info.port }),
      ],
    };
    const file = join(dir, "agent.config.json");
    await writeFile(
      file,
      JSON.stringify({
        agent: { id: "loc-bundle" },
        worker: { url: server.url, secret: { env: "B_SECRET" } },
        interval: "5s",
        stateDir: join(dir, "state"),
        monitors: { secrets: ["B_TOKEN"] },
        checks: [{ kind: "host", mounts: ["/"] }],
      }),
    );
    const child = spawn(process.execPath, [bundle, "run", "--config", file], {
      env: { ...process.env, B_SECRET: SECRET, B_TOKEN: "Bearer b-token-51" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout!.on("data", (d) => (output += d));
    child.stderr!.on("data", (d) => (output += d));
    const exited = new Promise<number | null>((r) => child.on("close", r));
    try {
      const deadline = Date.now() + 30_000;
      const withProbes = () => server.reports.find((r) => (r.probes?.length ?? 0) === 3);
      while (!withProbes()) {
        if (Date.now() > deadline) throw new Error(`no report with the 3 results after 30 s; ${server.reports.length} reports\n${output}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const results = new Map(withProbes()!.probes!.map((p) => [p.monitor, p.result]));
      expect(results.get("b-http")).toMatchObject({ status: "up", statusCode: 200 });
      expect(results.get("b-tls")).toMatchObject({ status: "up", tls: { daysLeft: 60, hostnameMatches: true } });
      expect(results.get("b-tcp")).toMatchObject({ status: "up" });
      expect(hits).toContain("Bearer b-token-51");
      expect(server.reports[0]!.probes).toBeUndefined(); // before the first answer it knew none
      expect(output).not.toContain("b-token-51");
    } finally {
      child.kill("SIGTERM");
      await exited;
    }
  }, 45_000);
});
