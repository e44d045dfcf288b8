/** Config validation (every error with its path), runbook defaults, and the pure decisions. */
import { describe, expect, it } from "vitest";
import { judgeContainer, observeContainer } from "../../agent/checks/docker";
import { judgeLogs } from "../../agent/checks/logs";
import { fileURLToPath } from "node:url";
import { ConfigError, DEFAULT_COOLDOWN_MS, checkId, loadConfig, parseConfig } from "../../agent/config";
import { demultiplex } from "../../agent/docker-api";
import { Logger } from "../../agent/log";
import { FRESH, type RuleState, cooldownFor, decide } from "../../agent/remediate";
import * as reportConstants from "../../src/contract/report-constants";

const base = { agent: { id: "app-01" } };

function issues(data: unknown): string[] {
  try {
    parseConfig(data);
  } catch (e) {
    if (e instanceof ConfigError) return e.issues;
    throw e;
  }
  return [];
}

describe("config", () => {
  it("reports every error with its path", () => {
    expect(
      issues({
        agent: { id: "App 01" },
        interval: "2s",
        checks: [
          { kind: "host" },
          { kind: "http", url: "not a url" },
          { kind: "http", url: "ftp://x" },
          { kind: "redis", memoryWarnPct: 120 },
          { kind: "pigeon" },
        ],
      }),
    ).toEqual([
      "agent.id: lowercase letters, digits, '.', '_' or '-', at most 63",
      "interval: must be at least 5s",
      "checks[1].url: Invalid url",
      "checks[2].url: Invalid url",
      "checks[3].memoryWarnPct: Too big: expected number to be <=100",
      "checks[4].kind: Invalid discriminator value. Expected 'docker' | 'postgres' | 'redis' | 'host' | 'logs' | 'http' | 'tcp' | 'certfile'",
    ]);
  });

  it("cross-field rules name their path too", () => {
    // Five checks that break cross-field rules; a sixth with a field error shows that fields are checked first.
    const five = [
      { kind: "docker" },
      { kind: "docker", container: "web" },
      { kind: "docker", container: "web" },
      { kind: "postgres", url: "postgres://db/app", remediate: {} },
      { kind: "logs", file: "/var/log/app.log", timeout: "1m" },
    ];
    expect(
      issues({
        ...base,
        checks: [...five, { kind: "host", cooldown: "5m" }],
      }),
    ).toEqual(['checks[5]: Unrecognized key: "cooldown"']);
    expect(
      issues({
        ...base,
        checks: [...five, { kind: "tcp", host: "db", port: 5432, timeout: "soon" }],
      }),
    ).toEqual(['checks[5].timeout: expected a duration such as "30s" or "5m", got "soon"']);
    expect(
      issues({
        ...base,
        checks: five,
      }),
    ).toEqual([
      "checks[0]: needs exactly one of container and label",
      'checks[2].name: duplicate check id "docker:web" (also checks[1]); set a distinct name',
      "checks[3].remediate.container: required: name the container to restart",
      "checks[4].timeout: must not exceed the interval (30000 ms)",
    ]);
  });

  it("derives only ids the worker accepts, whatever the paths, names and URLs", () => {
    const { CHECK_ID_PATTERN } = reportConstants;
    const c = parseConfig({
      ...base,
      checks: [
        { kind: "logs", file: "/var/log/my app/ünïcode\u200b.log" },
        { kind: "certfile", path: "/etc/ssl/100%.pem" },
        { kind: "http", url: "http://api.example.com/health%20check?x=*" },
        { kind: "logs", file: `/${"d/".repeat(150)}x.log` },
        { kind: "docker", label: "com.docker.compose.service=web app" },
      ],
    });
    const ids = c.checks.map(checkId);
    for (const id of ids) expect(id).toMatch(CHECK_ID_PATTERN);
    expect(ids[0]).toBe("logs:/var/log/my_app/_n_code_.log");
    expect(ids[1]).toBe("certfile:/etc/ssl/100_.pem");
    expect(ids[3]!.length).toBe(200);
  });

  it("the shipped example config is valid", async () => {
    const c = await loadConfig(fileURLToPath(new URL("../../agent/agent.config.example.json", import.meta.url)));
    expect(c.checks.map(checkId)).toContain("docker:safework-app");
  });

  it("fills the runbook's defaults", () => {
    const c = parseConfig({
      ...base,
      checks: [{ kind: "host" }, { kind: "logs", file: "/x.log" }, { kind: "docker", container: "app", remediate: {} }],
    });
    expect(c.interval).toBe(30_000);
    expect(c.checks[0]).toMatchObject({ cpuWarnPct: 80, memoryCriticalPct: 85, diskWarnPct: 80, diskCriticalPct: 90 });
    expect(c.checks[1]).toMatchObject({ warnPct: 5 });
    expect(c.checks[2]).toMatchObject({
      remediate: { action: "restart-container", maxAttempts: 3, oomCooldown: 600_000, stopTimeout: 10_000 },
    });
  });
});

describe("remediation decisions", () => {
  const rule = parseConfig({ ...base, checks: [{ kind: "docker", container: "app", remediate: {} }] }).checks[0]!.remediate!;
  const min = 60_000;

  it("uses the runbook cooldowns: database 5m, Redis 3m, app 2m, OOM 10m", () => {
    expect(cooldownFor("postgres", rule, false)).toBe(5 * min);
    expect(cooldownFor("redis", rule, false)).toBe(3 * min);
    expect(cooldownFor("docker", rule, false)).toBe(2 * min);
    expect(cooldownFor("http", rule, false)).toBe(2 * min);
    expect(cooldownFor("postgres", rule, true)).toBe(10 * min);
    expect(DEFAULT_COOLDOWN_MS).toEqual({ database: 5 * min, redis: 3 * min, app: 2 * min, oom: 10 * min });
  });

  const table: { name: string; state: RuleState; status: "ok" | "warn" | "critical"; now: number; kind: string }[] = [
    { name: "critical, fresh → act", state: FRESH, status: "critical", now: 0, kind: "act" },
    { name: "warn does not trigger by default", state: FRESH, status: "warn", now: 0, kind: "none" },
    {
      name: "inside the cooldown → wait",
      state: { attempts: 1, lastAt: 0, cooldownMs: 2 * min, gaveUp: false },
      status: "critical",
      now: min,
      kind: "wait",
    },
    {
      name: "after the cooldown → act again",
      state: { attempts: 1, lastAt: 0, cooldownMs: 2 * min, gaveUp: false },
      status: "critical",
      now: 2 * min,
      kind: "act",
    },
    {
      name: "cap reached, cooldown over → give up",
      state: { attempts: 3, lastAt: 0, cooldownMs: 2 * min, gaveUp: false },
      status: "critical",
      now: 3 * min,
      kind: "give-up",
    },
    {
      name: "gave up → nothing more",
      state: { attempts: 3, lastAt: 0, cooldownMs: 2 * min, gaveUp: true },
      status: "critical",
      now: 9 * min,
      kind: "none",
    },
  ];
  for (const c of table) {
    it(c.name, () => expect(decide(rule, c.state, c.status, 2 * min, c.now).kind).toBe(c.kind));
  }

  it("ok inside the cooldown keeps the count; ok after it resets", () => {
    const s: RuleState = { attempts: 2, lastAt: 0, cooldownMs: 2 * min, gaveUp: false };
    expect(decide(rule, s, "ok", 2 * min, min).state).toBe(s);
    expect(decide(rule, s, "ok", 2 * min, 2 * min).state).toEqual(FRESH);
  });
});

describe("pure judgements", () => {
  it("an OOM-killed exited container", () => {
    const inspect = {
      Id: "x",
      Name: "/db",
      RestartCount: 2,
      State: { Status: "exited", Running: false, OOMKilled: true, ExitCode: 137, StartedAt: "2026-01-01T00:00:00Z" },
    };
    const f = judgeContainer({ restartsWarn: 1, restartsCritical: 3 }, observeContainer("db", inspect, 0, Date.now()));
    expect(f).toMatchObject({ status: "critical", summary: "container exited (137, OOMKilled)", metrics: { oomKilled: 1, exitCode: 137 } });
  });
  it("the log ratio threshold is 'below 5 %'", () => {
    const spec = parseConfig({ ...base, checks: [{ kind: "logs", file: "/x" }] }).checks[0] as Parameters<typeof judgeLogs>[0];
    expect(judgeLogs(spec, { lines: 100, errors: 4 }).status).toBe("ok");
    expect(judgeLogs(spec, { lines: 100, errors: 5 }).status).toBe("warn");
    expect(judgeLogs(spec, { lines: 100, errors: 20 }).status).toBe("critical");
  });
  it("demultiplexes the Engine API log stream", () => {
    const frame = (type: number, text: string) => {
      const body = Buffer.from(text);
      const head = Buffer.alloc(8);
      head[0] = type;
      head.writeUInt32BE(body.length, 4);
      return Buffer.concat([head, body]);
    };
    expect(demultiplex(Buffer.concat([frame(1, "out 1\n"), frame(2, "err 1\n"), frame(1, "out 2\n")]))).toBe("out 1\nerr 1\nout 2\n");
    expect(demultiplex(Buffer.from("plain tty text\n"))).toBe("plain tty text\n");
  });
});

describe("logger", () => {
  it("masks registered secrets and URL credentials", () => {
    const lines: string[] = [];
    const log = new Logger({ write: (l) => void lines.push(l) });
    log.redact("s3cr3t-value");
    log.error("push failed", { url: "postgres://app:hunter2@db:5432/app", header: "v1=s3cr3t-value" });
    expect(lines[0]).not.toMatch(/hunter2|s3cr3t-value/);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      level: "error",
      msg: "push failed",
      url: "postgres://[redacted]@db:5432/app",
      header: "v1=[redacted]",
    });
  });
});
