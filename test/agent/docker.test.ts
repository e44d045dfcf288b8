/**
 * The docker, logs and remediation parts against a real Docker-compatible engine: podman with
 * runc behind its Engine API socket (scripts/podman-setup.sh, run by the global setup).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, inject, it } from "vitest";
import { Agent } from "../../agent/agent";
import type { Finding } from "../../agent/checks/check";
import { parseConfig } from "../../agent/config";
import { runChecks } from "../../agent/cycle";
import { DockerClient } from "../../agent/docker-api";
import { Logger } from "../../agent/log";
import { healthcheck, podman, removeContainers, restartEvents, runContainer, waitFor } from "./podman";
import { describeWith } from "./services";

const socket = inject("podmanSocket");
const describeDocker = describeWith("Docker-compatible engine (podman)", socket ? "" : inject("podmanError") || "podman unavailable");

const P = `vigil-t${process.pid}`;
const names = {
  healthy: `${P}-healthy`,
  stopped: `${P}-stopped`,
  sick: `${P}-sick`,
  crashloop: `${P}-crashloop`,
  chatty: `${P}-chatty`,
  crash: `${P}-crash`,
  recoverable: `${P}-recoverable`,
};
const LABEL = `vigil.test=${P}`;

function cfg(checks: unknown[], extra: Record<string, unknown> = {}) {
  return parseConfig({ agent: { id: "docker-test" }, docker: { socket }, stateDir: "/tmp/unused", checks, ...extra });
}

const logLines: string[] = [];
const log = new Logger({ write: (l) => void logLines.push(l) });

async function check(
  spec: Record<string, unknown>,
  memory = new Map(),
): Promise<{ id: string; result: Finding & { metrics?: Record<string, number> } }[]> {
  const docker = new DockerClient({ socketPath: socket });
  try {
    const out = await runChecks(cfg([spec]).checks, docker, memory);
    return out.map((o) => ({ id: o.id, result: o.result }));
  } finally {
    await docker.close();
  }
}

describeDocker("docker checks on podman", () => {
  beforeAll(async () => {
    await removeContainers(Object.values(names));
    await Promise.all([
      runContainer(names.healthy, ["--label", LABEL, "--health-cmd", "true", "--health-interval", "1h"], "sleep 600"),
      runContainer(names.stopped, ["--label", LABEL], "exit 3"),
      runContainer(names.sick, ["--health-cmd", "exit 1", "--health-retries", "1", "--health-interval", "1h"], "sleep 600"),
      runContainer(names.crashloop, ["--restart", "on-failure:5"], "sleep 1; exit 1"),
      // 100 lines, every tenth an error on stderr: a 10 % error ratio over two streams.
      runContainer(
        names.chatty,
        [],
        'i=1; while [ $i -le 100 ]; do if [ $((i % 10)) -eq 0 ]; then echo "ERROR job $i failed: timeout" >&2; else echo "INFO job $i done"; fi; i=$((i+1)); done; sleep 600',
      ),
    ]);
    await healthcheck(names.healthy);
    await healthcheck(names.sick);
    await waitFor(
      "stopped container to exit",
      async () => (await podman("inspect", "-f", "{{.State.Status}}", names.stopped)) === "exited",
    );
  });
  afterAll(async () => {
    await removeContainers(Object.values(names));
  });

  it("a running, healthy container is ok, with uptime and restart count", async () => {
    const [r] = await check({ kind: "docker", container: names.healthy });
    expect(r!.result.status).toBe("ok");
    expect(r!.result.summary).toMatch(/running for .*healthy/);
    expect(r!.result.metrics).toMatchObject({ running: 1, healthy: 1, restartCount: 0, oomKilled: 0 });
    expect(r!.result.metrics!.uptimeSeconds).toBeGreaterThanOrEqual(0);
  });

  it("a stopped container is critical with its exit code", async () => {
    const [r] = await check({ kind: "docker", container: names.stopped });
    expect(r!.result.status).toBe("critical");
    expect(r!.result.summary).toBe("container exited (3)");
    expect(r!.result.metrics).toMatchObject({ running: 0, exitCode: 3 });
  });

  it("a container whose health command fails is critical", async () => {
    const [r] = await check({ kind: "docker", container: names.sick });
    expect(r!.result.status).toBe("critical");
    expect(r!.result.summary).toMatch(/unhealthy/);
    expect(r!.result.metrics).toMatchObject({ running: 1, healthy: 0 });
  });

  it("an expected container that is missing is critical", async () => {
    const [r] = await check({ kind: "docker", container: `${P}-never-created` });
    expect(r!.result.status).toBe("critical");
    expect(r!.result.summary).toMatch(/expected but missing/);
  });

  it("selects containers by label, one finding each", async () => {
    const out = await check({ kind: "docker", label: LABEL });
    expect(out.map((o) => [o.id, o.result.status])).toEqual([
      [`docker:${names.healthy}`, "ok"],
      [`docker:${names.stopped}`, "critical"],
    ]);
  });

  it("reports the increase of the engine's restart count between runs", async () => {
    const memory = new Map();
    const [first] = await check({ kind: "docker", container: names.crashloop, restartsWarn: 1, restartsCritical: 10 }, memory);
    const before = first!.result.metrics!.restartCount!;
    await waitFor(
      "the engine to restart the crash loop",
      async () => Number(await podman("inspect", "-f", "{{.RestartCount}}", names.crashloop)) > before,
      20_000,
    );
    const [second] = await check({ kind: "docker", container: names.crashloop, restartsWarn: 1, restartsCritical: 10 }, memory);
    expect(second!.result.metrics!.restartIncrease).toBeGreaterThanOrEqual(1);
    expect(second!.result.status).toBe("warn");
    expect(second!.result.summary).toMatch(/restarted \d+ times? since the last check/);
  });

  it("computes the error ratio of a container's multiplexed logs (10 % errors → warn at 5 %)", async () => {
    await waitFor("100 log lines", async () => (await podman("logs", names.chatty)).includes("job 99 done"));
    const [r] = await check({ kind: "logs", container: names.chatty, window: "10m" });
    expect(r!.result.metrics).toMatchObject({ lines: 100, errorLines: 10, errorPct: 10 });
    expect(r!.result.status).toBe("warn");
    const [strict] = await check({ kind: "logs", container: names.chatty, window: "10m", criticalPct: 9 });
    expect(strict!.result.status).toBe("critical");
    const [lenient] = await check({ kind: "logs", container: names.chatty, window: "10m", ignore: ["timeout"] });
    expect(lenient!.result.status).toBe("ok");
  });

  it("remediation restarts a crashed container once per cooldown, at most 3 times, then gives up (engine events)", async () => {
    await runContainer(names.crash, [], "sleep 0.3; exit 1"); // no restart policy: only the agent restarts it
    await waitFor("crash to exit", async () => (await podman("inspect", "-f", "{{.State.Status}}", names.crash)) === "exited");
    const since = new Date(Date.now() - 1000).toISOString();
    const config = cfg([
      { kind: "docker", container: names.crash, remediate: { cooldown: "2s", maxAttempts: 3, stopTimeout: "1s", verifyAfter: "1s" } },
    ]);
    const agent = await Agent.create({ config, log, push: false, dryRun: false });
    const remediations: { at: number; attempt: number; outcome: string; detail?: string }[] = [];
    const until = Date.now() + 9000;
    try {
      while (Date.now() < until) {
        const report = await agent.cycle();
        for (const r of report.remediations)
          remediations.push({ at: Date.parse(r.at), attempt: r.attempt, outcome: r.outcome, detail: r.detail });
        await new Promise((r) => setTimeout(r, 250));
      }
    } finally {
      await agent.stop(0);
    }
    // The report: three restarts, then one give-up entry, nothing after.
    // Each restart "failed": the container exits again within verifyAfter (1 s).
    expect(remediations.map((r) => [r.attempt, r.outcome])).toEqual([
      [1, "failed"],
      [2, "failed"],
      [3, "failed"],
      [3, "skipped"],
    ]);
    expect(remediations[0]!.detail).toMatch(/exited \(1\) within 1s of the restart$/);
    expect(remediations[3]!.detail).toMatch(/gave up after 3 restarts/);
    // The engine's own record: exactly three restarts, no two closer than the cooldown.
    const events = await restartEvents(names.crash, since);
    expect(events).toHaveLength(3);
    for (let i = 1; i < events.length; i++) {
      const gap = events[i]! - events[i - 1]!;
      expect(gap).toBeGreaterThanOrEqual(2000);
      expect(gap).toBeLessThan(2000 + 1500); // restarted as soon as the cooldown allowed
    }
  }, 30_000);

  it("a stopped service restarted by remediation is 'succeeded', and the check is ok again", async () => {
    await runContainer(names.recoverable, [], "sleep 600");
    await podman("stop", "-t", "0", names.recoverable);
    const config = cfg([{ kind: "docker", container: names.recoverable, remediate: { verifyAfter: "1s" } }]);
    const agent = await Agent.create({ config, log, push: false, dryRun: false });
    try {
      const r1 = await agent.cycle();
      expect(r1.checks[0]!.status).toBe("critical");
      expect(r1.remediations).toMatchObject([{ attempt: 1, outcome: "succeeded", action: "restart-container" }]);
      expect(r1.remediations[0]!.detail).toMatch(/cooldown 2m\): running 1s after the restart$/); // runbook: app 2 min
      const r2 = await agent.cycle();
      expect(r2.checks[0]!.status).toBe("ok");
      expect(r2.remediations).toEqual([]);
    } finally {
      await agent.stop(0);
    }
  });

  it("an agent restart does not reset a cooldown (state kept in stateDir)", async () => {
    const stateDir = await mkdtemp(join(tmpdir(), "vigil-agent-remediation-"));
    process.env.VIGIL_TEST_UNUSED_SECRET = "unused-secret-123";
    try {
      await waitFor("crash to exit", async () => (await podman("inspect", "-f", "{{.State.Status}}", names.crash)) === "exited", 20_000);
      const since = new Date(Date.now() - 500).toISOString();
      const config = cfg([{ kind: "docker", container: names.crash, remediate: { cooldown: "1m", verifyAfter: "1s" } }], {
        stateDir,
        // Reports are only spooled here: nothing listens on port 9.
        worker: { url: "http://127.0.0.1:9", secret: { env: "VIGIL_TEST_UNUSED_SECRET" } },
      });
      const first = await Agent.create({ config, log, dryRun: false });
      const r1 = await first.cycle();
      await first.stop(0);
      expect(r1.remediations).toMatchObject([{ attempt: 1, outcome: "failed" }]);
      await waitFor(
        "crash to exit again",
        async () => (await podman("inspect", "-f", "{{.State.Status}}", names.crash)) === "exited",
        20_000,
      );
      const second = await Agent.create({ config, log, dryRun: false });
      const r2 = await second.cycle();
      await second.stop(0);
      expect(r2.remediations).toEqual([]);
      expect(r2.checks.find((c) => c.id === `docker:${names.crash}`)?.metrics).toMatchObject({ remediationAttempts: 1 });
      expect(await restartEvents(names.crash, since)).toHaveLength(1);
    } finally {
      await rm(stateDir, { recursive: true, force: true });
    }
  }, 60_000);

  it("--dry-run says what it would do and restarts nothing", async () => {
    const since = new Date(Date.now() - 500).toISOString();
    await waitFor("crash to exit", async () => (await podman("inspect", "-f", "{{.State.Status}}", names.crash)) === "exited");
    const config = cfg([{ kind: "docker", container: names.crash, remediate: { cooldown: "2s" } }]);
    const agent = await Agent.create({ config, log, push: false, dryRun: true });
    const report = await agent.cycle();
    await agent.stop(0);
    expect(report.remediations).toMatchObject([
      { check: `docker:${names.crash}`, action: "restart-container", attempt: 1, outcome: "dry-run" },
    ]);
    expect(report.remediations[0]!.detail).toMatch(/^would restart container .* \(attempt 1\/3, cooldown 2s\)$/);
    expect(await restartEvents(names.crash, since)).toEqual([]);
  });
});
