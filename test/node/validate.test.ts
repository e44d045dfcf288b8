import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));
const validate = (...args: string[]) => spawnSync(process.execPath, ["scripts/validate.mjs", ...args], { cwd: root, encoding: "utf8" });
const validateWith = (env: Record<string, string>, ...args: string[]) =>
  spawnSync(process.execPath, ["scripts/validate.mjs", ...args], { cwd: root, encoding: "utf8", env: { ...process.env, ...env } });

describe("npm run validate", () => {
  it("accepts the shipped vigil.config.ts", () => {
    const r = validate();
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^vigil\.config\.ts: ok \(\d+ services, \d+ monitors/);
  });

  // The runbooks as configs (issue 16): complete, and checked the way `npm run validate` checks.
  const examples = readdirSync(`${root}/examples`).filter((f) => f.endsWith(".config.ts"));
  it("has the SafeWork and Nucleus examples", () =>
    expect(examples).toEqual(expect.arrayContaining(["safework.config.ts", "nucleus.config.ts"])));
  for (const file of examples) {
    it(`accepts examples/${file}`, () => {
      const r = validate(`examples/${file}`);
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^examples/${file.replace(".", "\\.")}: ok \\(\\d+ services, \\d+ monitors`));
    });
  }

  it("prints every problem with its path and exits 1", () => {
    const r = validate("test/node/fixtures/bad.config.ts");
    expect(r.status).toBe(1);
    expect(r.stderr.split("\n")).toEqual([
      "test/node/fixtures/bad.config.ts: 6 problems",
      "  timezone: unknown IANA time zone",
      "  monitors[1].id: must be lowercase letters, digits, '.', '_' or '-' (1–63 characters)",
      '  monitors[2].interval: expected a duration such as "30s", "5m" or "6h", got "5 minutes"',
      "  monitors[2].url: Invalid url: expected an http:// or https:// URL",
      '  monitors[2].service: unknown service "nowhere" (known: "app")',
      '  services[0].policy: unknown policy "missing-policy" (known: none defined)',
      "",
    ]);
  });

  it("leaves no bundled config behind, in .vigil/ or the temp dir", () => {
    const r = validate();
    expect(r.status).toBe(0);
    const mine = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((f) => f.includes(`config-check-${r.pid}`)) : []);
    expect(mine(`${root}.vigil`)).toEqual([]);
    expect(mine(tmpdir())).toEqual([]);
  });

  it("refuses secrets under their minimum length, naming the variable and never the value", () => {
    const short = { HOSTILE_AGENT_SECRET: "short-agent-secret", HOSTILE_PING_KEY: "short-key", VIGIL_ADMIN_TOKEN: "short-admin-token" };
    const r = validateWith(short, "test/node/fixtures/hostile.config.ts");
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("agents[0].secret: HOSTILE_AGENT_SECRET is 18 characters; at least 32 are required");
    expect(r.stderr).toContain("jobs[0].key: HOSTILE_PING_KEY is 9 characters; at least 16 are required");
    expect(r.stderr).toContain("VIGIL_ADMIN_TOKEN: VIGIL_ADMIN_TOKEN is 17 characters; at least 32 are required");
    for (const value of Object.values(short)) expect(r.stderr + r.stdout).not.toContain(value);
    const ok = validateWith(
      { HOSTILE_AGENT_SECRET: "a".repeat(32), HOSTILE_PING_KEY: "p".repeat(16), VIGIL_ADMIN_TOKEN: "x".repeat(32) },
      "test/node/fixtures/hostile.config.ts",
    );
    expect(ok.status).toBe(0);
  });

  it("names a missing file", () => {
    const r = validate("nope.config.ts");
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("vigil: config file not found: nope.config.ts\n");
  });
});
