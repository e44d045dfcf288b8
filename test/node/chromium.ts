/**
 * Debian's Chromium for the browser tests, installed by scripts/chromium-setup.sh when missing
 * (apt waits for another test's install to finish). Returns null when it is there, else why
 * not; under CI=true the callers fail on that reason, elsewhere they skip with it.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const CHROMIUM = "/usr/bin/chromium";
/** The flags this machine's closed network wants (no background lookups of Google's hosts). */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-gpu",
  "--no-first-run",
  "--disable-sync",
  "--disable-quic",
];

const root = fileURLToPath(new URL("../..", import.meta.url));

export function ensureChromium(): string | null {
  if (existsSync(CHROMIUM)) return null;
  try {
    execFileSync("sh", [join(root, "scripts/chromium-setup.sh")], { stdio: "inherit", timeout: 600_000 });
    return existsSync(CHROMIUM) ? null : `${CHROMIUM} still missing after scripts/chromium-setup.sh`;
  } catch (err) {
    return `Chromium is not installed and scripts/chromium-setup.sh failed (${(err as Error).message.split("\n")[0]})`;
  }
}
