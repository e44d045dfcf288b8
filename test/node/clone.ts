/** A fresh clone of the repository for tests that run its scripts from scratch. */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, symlinkSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const root = fileURLToPath(new URL("../..", import.meta.url));

/**
 * Copies the tracked (and new, not ignored) files into a temporary directory and links
 * node_modules: no .vigil/, no .wrangler/, no .dev.vars — what `git clone` gives.
 */
export function freshClone(prefix = "vigil-clone-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const files = spawnSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], { cwd: root, encoding: "utf8" })
    .stdout.split("\n")
    .filter(Boolean);
  for (const f of files) {
    if (!existsSync(join(root, f))) continue;
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    cpSync(join(root, f), join(dir, f), { preserveTimestamps: true });
  }
  symlinkSync(join(root, "node_modules"), join(dir, "node_modules"), "dir");
  // The lock file older than node_modules: scripts/lib.mjs ensureDeps must not reinstall.
  utimesSync(join(dir, "package-lock.json"), new Date(0), new Date(0));
  return dir;
}
