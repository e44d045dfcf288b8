/**
 * A container the kernel really OOM-kills (16 MiB memory cgroup, a shell doubling a string),
 * seen through the Engine API of podman + runc: the docker check reports OOMKilled and
 * critical, and remediation restarts it under the OOM cooldown (10 min), not the rule's own.
 *
 * Podman 4.x only records OOMKilled when conmon ran in the container's bundle directory; see
 * startInBundle in ./podman.ts.
 */
import { afterAll, beforeAll, expect, inject, it } from "vitest";
import { Agent } from "../../agent/agent";
import { parseConfig } from "../../agent/config";
import { runChecks } from "../../agent/cycle";
import { DockerClient } from "../../agent/docker-api";
import { Logger } from "../../agent/log";
import { IMAGE, RUN_FLAGS, podman, removeContainers, restartEvents, startInBundle, waitFor } from "./podman";
import { describeWith } from "./services";

const socket = inject("podmanSocket");
const describeDocker = describeWith("Docker-compatible engine (podman)", socket ? "" : inject("podmanError") || "podman unavailable");

const NAME = `vigil-t${process.pid}-oom`;
// Allocates past the limit once. The marker lives in the container's own filesystem, so after
// a restart it only sleeps: no second OOM kill, whose marker file conmon would write into the
// API service's working directory (see startInBundle).
const ALLOCATE_ONCE = 'if [ -e /oom-once ]; then exec sleep 600; fi; touch /oom-once; x=a; while :; do x="$x$x"; done';

const log = new Logger({ write: () => undefined });

function cfg(checks: unknown[]) {
  return parseConfig({ agent: { id: "oom-test" }, docker: { socket }, stateDir: "/tmp/unused", checks });
}

describeDocker("an OOM-killed container on podman", () => {
  let createdAt = "";
  beforeAll(async () => {
    await removeContainers([NAME]);
    createdAt = new Date(Date.now() - 1000).toISOString();
    await podman("create", "--name", NAME, ...RUN_FLAGS, "--memory", "16m", IMAGE, "sh", "-c", ALLOCATE_ONCE);
    await startInBundle(NAME);
    await waitFor(
      "the container to be OOM-killed",
      async () => (await podman("inspect", "-f", "{{.State.Status}}", NAME)) === "exited",
      30_000,
    );
  });
  afterAll(async () => {
    await removeContainers([NAME]);
  });

  it("the engine says OOMKilled; the docker check reports it, critical", async () => {
    // The engine's own record first: the kernel's memory cgroup killed it (SIGKILL, 137).
    expect(await podman("inspect", "-f", "{{.State.OOMKilled}} {{.State.ExitCode}}", NAME)).toBe("true 137");
    const docker = new DockerClient({ socketPath: socket });
    try {
      const [r] = await runChecks(cfg([{ kind: "docker", container: NAME }]).checks, docker, new Map());
      expect(r!.result.status).toBe("critical");
      expect(r!.result.summary).toBe("container exited (137, OOMKilled)");
      expect(r!.result.metrics).toMatchObject({ running: 0, oomKilled: 1, exitCode: 137 });
    } finally {
      await docker.close();
    }
  });

  it("remediation restarts it under the OOM cooldown (10 min), which outranks the rule's own 2 s", async () => {
    const config = cfg([{ kind: "docker", container: NAME, remediate: { cooldown: "2s", stopTimeout: "1s", verifyAfter: "1s" } }]);
    const agent = await Agent.create({ config, log, push: false, dryRun: false });
    try {
      const r1 = await agent.cycle();
      expect(r1.checks[0]!.status).toBe("critical");
      expect(r1.checks[0]!.metrics).toMatchObject({ oomKilled: 1, remediationAttempts: 1 });
      expect(r1.remediations).toMatchObject([{ check: `docker:${NAME}`, action: "restart-container", attempt: 1, outcome: "succeeded" }]);
      expect(r1.remediations[0]!.detail).toMatch(/\(attempt 1\/3, cooldown 10m\): running 1s after the restart$/);

      // Up again, nothing to do. (Podman 4 keeps OOMKilled set across restarts, so the check
      // may still say "was OOM-killed" as a warning; it is not critical.)
      const r2 = await agent.cycle();
      expect(r2.checks[0]!.status).not.toBe("critical");
      expect(r2.checks[0]!.metrics).toMatchObject({ running: 1 });
      expect(r2.remediations).toEqual([]);

      // Down again after the rule's own 2 s have passed: still inside the OOM cooldown, so no restart.
      await new Promise((r) => setTimeout(r, 2500));
      await podman("stop", "-t", "0", NAME);
      const r3 = await agent.cycle();
      expect(r3.checks[0]!.status).toBe("critical");
      expect(r3.remediations).toEqual([]);
      expect(r3.checks[0]!.metrics).toMatchObject({ remediationAttempts: 1 });
    } finally {
      await agent.stop(0);
    }
    // The engine's record: exactly one restart.
    expect(await restartEvents(NAME, createdAt)).toHaveLength(1);
  }, 30_000);
});
