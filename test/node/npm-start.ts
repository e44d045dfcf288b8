/**
 * `npm start` (scripts/start.mjs) as the node tests run it: a child in its own process group,
 * its output collected, waited on by polling, and stopped as Ctrl-C stops it (SIGINT to the
 * group, then SIGKILL for anything left).
 */
import { spawn, type ChildProcess } from "node:child_process";

export interface NpmStart {
  readonly child: ChildProcess;
  /** Everything printed so far, stdout and stderr interleaved. */
  output(): string;
}

/** Starts `node scripts/start.mjs` in `cwd` with `env` over this process's environment. */
export function npmStart(cwd: string, env: Record<string, string>): NpmStart {
  let output = "";
  const child = spawn(process.execPath, ["scripts/start.mjs"], {
    cwd,
    env: { ...process.env, ...env },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  return { child, output: () => output };
}

/**
 * Waits until `test` holds (a throw counts as not yet), polling every `everyMs`; fails with the
 * terminal's last lines when `timeoutMs` passes or npm start exits.
 */
export async function until<T>(
  started: NpmStart,
  what: string,
  timeoutMs: number,
  test: () => T | Promise<T>,
  everyMs = 250,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const v = await test();
      if (v) return v as NonNullable<T>;
    } catch {
      // not yet
    }
    if (Date.now() > deadline || started.child.exitCode !== null)
      throw new Error(`${what}: not within ${timeoutMs} ms. npm start printed:\n${started.output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A test for {@link until}: the worker at `base` answers /health with 200. */
export const healthy = (base: string) => async () => (await fetch(`${base}/health`, { signal: AbortSignal.timeout(2_000) })).ok;

/** Stops npm start: SIGINT to its process group, up to `graceMs` to exit, then SIGKILL to what is left. */
export async function stopNpmStart(started: NpmStart | null | undefined, graceMs = 10_000): Promise<void> {
  const c = started?.child;
  if (!c?.pid || c.exitCode !== null) return;
  const exited = new Promise((r) => c.once("exit", r));
  process.kill(-c.pid, "SIGINT");
  await Promise.race([exited, new Promise((r) => setTimeout(r, graceMs))]);
  try {
    process.kill(-c.pid, "SIGKILL");
  } catch {
    // already gone
  }
}
