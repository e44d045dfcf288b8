/**
 * scripts/podman-setup.sh against a real `podman system service`: a service whose working
 * directory was deleted (the checkout that first started it, then removed) cannot restart a
 * container — conmon fails with "Failed to get working directory" — so the setup replaces it,
 * and the service it starts works from `/`, which no checkout can take away.
 *
 * Runs on its own socket in a temp dir, never the shared one.
 */
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, inject, it } from "vitest";
import { IMAGE, RUN_FLAGS, podman, removeContainers, waitFor } from "./podman";

const exec = promisify(execFile);
const root = fileURLToPath(new URL("../..", import.meta.url));
const socketPath = inject("podmanSocket");
const skip = socketPath ? false : inject("podmanError") || "no podman";
if (skip && process.env.CI && process.env.CI !== "false") throw new Error(`podman is required under CI: ${skip}`);

/** Pids of `podman … system service … unix://<sock>` processes, read from /proc. */
function servicePids(sock: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      if (argv.includes("system") && argv.includes("service") && argv.includes(`unix://${sock}`)) pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

/** One Engine API call over the unix socket; resolves to the status code. */
function api(sock: string, method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      { socketPath: sock, method, path, headers: payload ? { "content-type": "application/json" } : {}, timeout: 60_000 },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${method} ${path}: timed out`)));
    req.on("error", reject);
    req.end(payload);
  });
}

describe.skipIf(skip)("scripts/podman-setup.sh", () => {
  const dir = mkdtempSync(join(tmpdir(), "vigil-podman-setup-"));
  const sock = join(dir, "api.sock");
  const name = `vigil-setup-${process.pid}`;

  afterAll(async () => {
    await removeContainers([name]);
    for (const pid of servicePids(sock)) {
      try {
        process.kill(pid, "SIGTERM");
      } catch {
        // Already gone.
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it("replaces a service whose working directory was deleted; the new one restarts containers from /", async () => {
    // 1. A service started from a checkout that is then deleted, as the first clone's tests left it.
    const checkout = mkdtempSync(join(tmpdir(), "vigil-clone-"));
    const old = spawn(
      "podman",
      ["--runtime", "runc", "--cgroup-manager", "cgroupfs", "--events-backend", "file", "system", "service", "--time=0", `unix://${sock}`],
      {
        cwd: checkout,
        detached: true,
        stdio: "ignore",
      },
    );
    old.unref();
    await waitFor("the old service", async () => (await api(sock, "GET", "/_ping").catch(() => ({ status: 0 }))).status === 200, 30_000);
    rmSync(checkout, { recursive: true, force: true });
    expect(readlinkSync(`/proc/${old.pid}/cwd`)).toMatch(/\(deleted\)$/);

    // 2. The setup notices and starts a service that works from /.
    const { stdout } = await exec("bash", [`${root}scripts/podman-setup.sh`], {
      cwd: root,
      env: { ...process.env, VIGIL_PODMAN_SOCK: sock },
      timeout: 120_000,
    });
    expect(stdout.trim().split("\n").at(-1)).toBe(sock);
    const pids = servicePids(sock);
    expect(pids).not.toContain(old.pid);
    expect(pids.length).toBeGreaterThan(0);
    for (const pid of pids) expect(readlinkSync(`/proc/${pid}/cwd`)).toBe("/");

    // 3. What failed before: a container restart through the API (conmon needs a working directory).
    await podman("run", "-d", "--name", name, ...RUN_FLAGS, IMAGE, "sleep", "300");
    const restart = await api(sock, "POST", `/containers/${name}/restart?t=0`);
    expect(restart, restart.text).toMatchObject({ status: 204 });

    // 4. Run again: a healthy service is left alone.
    await exec("bash", [`${root}scripts/podman-setup.sh`], {
      cwd: root,
      env: { ...process.env, VIGIL_PODMAN_SOCK: sock },
      timeout: 120_000,
    });
    expect(servicePids(sock)).toEqual(pids);
  });
});
