/** Test helpers around the podman CLI (same storage as the API service the agent talks to). */
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const exec = promisify(execFile);
const GLOBAL = ["--runtime", "runc", "--cgroup-manager", "cgroupfs", "--events-backend", "file"];
/** Required on these machines (see scripts/podman-setup.sh). */
export const RUN_FLAGS = ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", "--network", "none", "--stop-timeout", "1"];
export const IMAGE = "localhost/vigil-busybox:latest";

export async function podman(...args: string[]): Promise<string> {
  const { stdout } = await exec("podman", [...GLOBAL, ...args], { timeout: 60_000 });
  return stdout.trim();
}

/** Runs a detached container; `extra` goes before the image. */
export async function runContainer(name: string, extra: string[], cmd: string): Promise<void> {
  await podman("run", "-d", "--name", name, ...RUN_FLAGS, ...extra, IMAGE, "sh", "-c", cmd);
}

/**
 * Starts a created container with podman's working directory set to the container's bundle
 * (its userdata dir). Podman 4.x (Debian 12: 4.3.1) starts conmon in its own working directory
 * and conmon writes its OOM marker file `oom` there, while podman looks for it in the bundle —
 * so a container the kernel OOM-kills reports `OOMKilled: false` unless conmon ran from the
 * bundle (containers/conmon#504, fixed in podman 5 by containers/podman#21523). Only this start
 * gets the marker right: a later restart through the API service writes it to the service's cwd.
 */
export async function startInBundle(name: string): Promise<void> {
  const bundle = await podman("inspect", "-f", "{{.StaticDir}}", name);
  await exec("podman", [...GLOBAL, "start", name], { cwd: bundle, timeout: 60_000 });
}

/** Health checks run from systemd timers, absent here: the tests run them by hand. Exit 1 = unhealthy. */
export async function healthcheck(name: string): Promise<void> {
  await podman("healthcheck", "run", name).catch(() => undefined);
}

export async function removeContainers(names: string[]): Promise<void> {
  if (names.length) await podman("rm", "-f", "-t", "0", ...names).catch(() => undefined);
}

/** Times (ms) of the engine's own `restart` events for a container. */
export async function restartEvents(name: string, sinceIso: string): Promise<number[]> {
  const out = await podman(
    "events",
    "--stream=false",
    "--since",
    sinceIso,
    "--filter",
    `container=${name}`,
    "--filter",
    "event=restart",
    "--format",
    "{{.Time}}",
  );
  return out
    .split("\n")
    .filter(Boolean)
    .map((t) => Date.parse(t.replace(/^(\S+) (\S+) \+0000 UTC$/, "$1T$2Z")));
}

export async function waitFor(what: string, test: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
