/**
 * Host, log-file, HTTP, TCP and certificate-file checks against real local things: this
 * machine's /proc and statfs, a file being appended to, loopback servers, a certificate made
 * with openssl.
 */
import { execFile } from "node:child_process";
import { appendFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../agent/config";
import { type CycleMemory, runChecks } from "../../agent/cycle";
import { DockerClient } from "../../agent/docker-api";

async function check(spec: Record<string, unknown>, memory: CycleMemory = new Map()) {
  const config = parseConfig({ agent: { id: "local-test" }, checks: [spec] });
  const docker = new DockerClient({ socketPath: "/nonexistent" });
  const [r] = await runChecks(config.checks, docker, memory);
  await docker.close();
  return r!.result;
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "vigil-agent-local-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("host check", () => {
  it("reads CPU, memory, load and every local disk, with the runbook's defaults", async () => {
    const r = await check({ kind: "host" });
    expect(r.metrics!.cores).toBeGreaterThanOrEqual(1);
    expect(r.metrics!.memoryPct).toBeGreaterThan(0);
    expect(r.metrics!["disk:/:usedPct"]).toBeGreaterThan(0);
    expect(r.summary).toMatch(/disk \/ [\d.]+ %/);
  });

  it("each threshold is overridable: a disk over the line is warn, then critical", async () => {
    const warn = await check({
      kind: "host",
      mounts: ["/"],
      diskWarnPct: 1,
      diskCriticalPct: 100,
      cpuWarnPct: 100,
      memoryCriticalPct: 100,
    });
    expect(warn.status).toBe("warn");
    expect(warn.summary).toMatch(/disk \/ [\d.]+ % warn/); // CPU may be flagged too on a busy machine
    const crit = await check({ kind: "host", mounts: ["/"], diskWarnPct: 1, diskCriticalPct: 2, cpuWarnPct: 100, memoryCriticalPct: 100 });
    expect(crit.status).toBe("critical");
    const mem = await check({ kind: "host", mounts: ["/"], memoryCriticalPct: 0.1, cpuWarnPct: 100 });
    expect(mem.status).toBe("critical");
    expect(mem.summary).toMatch(/memory [\d.]+ % critical/);
  });

  it("measures CPU over the interval: a busy core shows", async () => {
    const memory: CycleMemory = new Map();
    await check({ kind: "host", mounts: ["/"] }, memory);
    const until = Date.now() + 600;
    while (Date.now() < until); // keep one of the cores busy for the interval
    const r = await check({ kind: "host", mounts: ["/"], cpuWarnPct: 30 }, memory);
    expect(r.metrics!.cpuPct).toBeGreaterThanOrEqual(30);
    expect(r.status).not.toBe("ok");
  });
});

describe("log file check", () => {
  it("follows a file and judges the error ratio over the window, also after rotation", async () => {
    const file = join(dir, "app.log");
    const lines = (n: number, errEvery: number) =>
      `${Array.from({ length: n }, (_, i) => ((i + 1) % errEvery === 0 ? `2026-11-23 ERROR db timeout ${i}` : `2026-11-23 INFO ok ${i}`)).join("\n")}\n`;
    await writeFile(file, lines(100, 10)); // 10 % errors
    const memory: CycleMemory = new Map();
    const first = await check({ kind: "logs", file, window: "1m" }, memory);
    expect(first.metrics).toMatchObject({ lines: 100, errorLines: 10, errorPct: 10 });
    expect(first.status).toBe("warn");
    await appendFile(file, lines(100, 1000)); // 100 clean lines: 10 of 200
    const second = await check({ kind: "logs", file, window: "1m" }, memory);
    expect(second.metrics).toMatchObject({ lines: 200, errorLines: 10, errorPct: 5 });
    await writeFile(file, lines(40, 1000)); // rotated: a new, shorter file
    const third = await check({ kind: "logs", file, window: "1m" }, memory);
    expect(third.metrics).toMatchObject({ lines: 240, errorLines: 10 });
    // 4.2 %: under the 5 % trigger, but the warning holds until the ratio is below 2.5 % (hysteresis).
    expect(third.status).toBe("warn");
    expect(third.summary).toMatch(/^error ratio 4.17 % \(held, clears below 2.5 %\)/);
    await appendFile(file, lines(200, 1000)); // 10 of 440: 2.3 %
    const fourth = await check({ kind: "logs", file, window: "1m" }, memory);
    expect(fourth.status).toBe("ok");
  });

  it("does not judge a window with too few lines", async () => {
    const file = join(dir, "quiet.log");
    await writeFile(file, "ERROR once\nINFO fine\n");
    const r = await check({ kind: "logs", file });
    expect(r.status).toBe("ok");
    expect(r.summary).toMatch(/ratio not judged/);
  });
});

describe("http and tcp checks", () => {
  let server: Server;
  let base = "";
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === "/health") return void res.end('{"status":"healthy"}');
      if (req.url === "/slow") return void setTimeout(() => res.end("late"), 400);
      res.writeHead(503).end("down");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it("a healthy endpoint with its keyword is ok", async () => {
    const r = await check({ kind: "http", url: `${base}/health`, keyword: "healthy" });
    expect(r.status).toBe("ok");
    expect(r.metrics).toMatchObject({ up: 1, statusCode: 200 });
  });
  it("a 503, a missing keyword, a slow answer, a time-out", async () => {
    expect((await check({ kind: "http", url: `${base}/down` })).status).toBe("critical");
    expect((await check({ kind: "http", url: `${base}/health`, keyword: "ready" })).summary).toMatch(/body lacks "ready"/);
    expect((await check({ kind: "http", url: `${base}/slow`, latencyWarn: "200ms" })).status).toBe("warn");
    const t = await check({ kind: "http", url: `${base}/slow`, timeout: "200ms" });
    expect(t.status).toBe("critical");
    expect(t.durationMs).toBeLessThan(1000);
  });
  it("tcp: an open port is ok, a closed one critical", async () => {
    const port = Number(new URL(base).port);
    expect((await check({ kind: "tcp", host: "127.0.0.1", port })).status).toBe("ok");
    expect((await check({ kind: "tcp", host: "127.0.0.1", port: 1 })).status).toBe("critical");
  });
});

describe("certificate file check", () => {
  const openssl = promisify(execFile);
  async function cert(days: number): Promise<string> {
    const path = join(dir, `cert-${days}.pem`);
    await openssl("openssl", [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-subj",
      "/CN=app.example.test",
      "-days",
      String(days),
      "-keyout",
      join(dir, `key-${days}.pem`),
      "-out",
      path,
    ]);
    return path;
  }
  it("days to expiry against warn (14) and critical (7) defaults", async () => {
    const ok = await check({ kind: "certfile", path: await cert(90) });
    expect(ok.status).toBe("ok");
    expect(ok.summary).toMatch(/^app\.example\.test expires in (89\.\d|90) days/);
    expect((await check({ kind: "certfile", path: await cert(10) })).status).toBe("warn");
    expect((await check({ kind: "certfile", path: await cert(3) })).status).toBe("critical");
    expect((await check({ kind: "certfile", path: join(dir, "nope.pem") })).status).toBe("critical");
  });
});
