/**
 * Config problems, written the same way by the worker and the agent: every zod issue, not
 * only the first, as `monitors[2].http.timeoutMs: must be ≤ 30000, got 90000`, and one error
 * class that carries them.
 */
import type { z } from "zod";

/** Formats a zod path as `monitors[2].url`; `(root)` for the empty path. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const seg of path) out += typeof seg === "number" ? `[${seg}]` : out ? `.${String(seg)}` : String(seg);
  return out || "(root)";
}

/** Every issue, one line each: `monitors[2].url: Invalid url`. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((i) => `${formatPath(i.path)}: ${i.message}`);
}

/**
 * An invalid config, worker's or agent's; `issues` are the lines `path: message`. With `file`
 * (the agent reads one) the message names it: `agent.json: invalid config`; without (the
 * worker's config is a bundled module) it counts: `invalid Vigil config (2 problems):`.
 */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  readonly file: string | undefined;
  constructor(
    readonly issues: string[],
    options: { file?: string } = {},
  ) {
    const lines = `\n  ${issues.join("\n  ")}`;
    super(
      options.file
        ? `${options.file}: invalid config${lines}`
        : `invalid Vigil config (${issues.length} problem${issues.length === 1 ? "" : "s"}):${lines}`,
    );
    this.file = options.file;
  }
}
