/**
 * The shipped systemd unit (agent/vigil-agent.service): every node flag of its ExecStart is one
 * this node accepts (node refuses to start on an unknown V8 flag), and the bundle starts with
 * them and the unit's environment.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect, inject, it } from "vitest";

const unit = readFileSync(fileURLToPath(new URL("../../agent/vigil-agent.service", import.meta.url)), "utf8");
const exec = /^ExecStart=(\S+) (.*?) (\S+vigil-agent\.mjs) run /m.exec(unit);
const env = Object.fromEntries([...unit.matchAll(/^Environment=([A-Za-z_][A-Za-z0-9_]*)=(\S*)$/gm)].map((m) => [m[1], m[2]]));

it("ExecStart runs node with flags and the bundled agent", () => {
  expect(exec?.[1]).toBe("/usr/bin/node");
  expect(exec?.[2]).toMatch(/^(--[a-z0-9-]+(=\d+)?\s*)+$/);
  expect(env.GLIBC_TUNABLES).toMatch(/^glibc\.malloc\./);
});

it("this node accepts every flag, and the bundle starts with them and the unit's environment", () => {
  const flags = exec![2]!.split(/\s+/);
  const r = spawnSync(process.execPath, [...flags, inject("agentBundle"), "--help"], {
    encoding: "utf8",
    env: { ...process.env, ...env },
    timeout: 30_000,
  });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/^vigil-agent \S+\nusage:/);
});
