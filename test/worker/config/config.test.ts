import { describe, expect, it } from "vitest";
import { ConfigError, defineConfig, formatDuration, parseConfig, parseDuration } from "../../../src/config";

describe("durations", () => {
  const cases: [string, number | null][] = [
    ["10s", 10_000],
    ["5m", 300_000],
    ["6h", 21_600_000],
    ["2d", 172_800_000],
    ["500ms", 500],
    ["1h30m", 5_400_000],
    ["1.5s", 1_500],
    ["", null],
    ["5", null],
    ["5 minutes", null],
    ["m5", null],
    ["10s garbage", null],
  ];
  for (const [text, ms] of cases) it(`"${text}" → ${ms}`, () => expect(parseDuration(text)).toBe(ms));

  it("formats durations the way people say them", () => {
    expect(formatDuration(500)).toBe("500 ms");
    expect(formatDuration(10_000)).toBe("10s");
    expect(formatDuration(90_000)).toBe("1m 30s");
    expect(formatDuration(3_600_000)).toBe("1h");
  });
});

const base = {
  services: [{ id: "app", name: "App", policy: "p" }],
  monitors: [{ id: "m", type: "http" as const, service: "app", url: "https://example.com/health" }],
  channels: [{ id: "hook", type: "webhook" as const, url: "https://hooks.example.com/x", secret: { env: "HOOK_SECRET" } }],
  policies: [{ id: "p", levels: [{ channels: ["hook"] }] }],
};

describe("parseConfig", () => {
  it("fills defaults, with durations in ms", () => {
    const cfg = parseConfig(base, { HOOK_SECRET: "whsec_x" });
    expect(cfg.timezone).toBe("UTC");
    expect(cfg.monitors[0]).toMatchObject({
      interval: 60_000,
      timeout: 10_000,
      failureThreshold: 2,
      recoveryThreshold: 2,
      method: "GET",
      expectedStatus: ["2xx"],
      maxBodyBytes: 1_048_576,
    });
    expect(cfg.channels[0]).toMatchObject({ timeout: 10_000 });
  });

  it("refuses inline secrets: a secret must name an environment variable", () => {
    const bad = { ...base, channels: [{ ...base.channels[0]!, secret: "whsec_inline" }] };
    expect(() => parseConfig(bad as never, {})).toThrow(ConfigError);
    try {
      parseConfig(bad as never, {});
    } catch (err) {
      expect((err as ConfigError).issues).toEqual(["channels[0].secret: Invalid input: expected object, received string"]);
    }
  });

  it("names every missing secret, and can skip that check", () => {
    expect(() => parseConfig(base, {})).toThrow(/channels\[0\]\.secret: environment variable HOOK_SECRET is not set/);
    expect(() => parseConfig(base, {}, { checkSecrets: false })).not.toThrow();
  });

  it("reports duplicate ids and unknown references with their paths", () => {
    const bad = {
      ...base,
      monitors: [...base.monitors, { ...base.monitors[0]!, service: "ghost" }],
      policies: [{ id: "p", levels: [{ channels: ["hook", "pager"] }] }],
    };
    try {
      parseConfig(bad, { HOOK_SECRET: "x" });
      expect.unreachable();
    } catch (err) {
      expect((err as ConfigError).issues).toEqual([
        'monitors[1].id: duplicate id "m"',
        'monitors[1].service: unknown service "ghost" (known: "app")',
        'policies[0].levels[0].channels[1]: unknown channel "pager" (known: "hook")',
      ]);
    }
  });

  it("checks the channels of a policy's state pages (monitoringBroken, degraded)", () => {
    const bad = {
      ...base,
      policies: [
        {
          id: "p",
          levels: [{ channels: ["hook"] }],
          monitoringBroken: { after: "10m", channels: ["ops"] },
          degraded: { after: "1x", channels: ["hook"] },
        },
      ],
    };
    try {
      parseConfig(bad, { HOOK_SECRET: "x" });
      expect.unreachable();
    } catch (err) {
      const issues = (err as ConfigError).issues;
      expect(issues).toContain('policies[0].monitoringBroken.channels[0]: unknown channel "ops" (known: "hook")');
      expect(issues.some((i) => i.startsWith("policies[0].degraded.after: "))).toBe(true);
    }
    const good = {
      ...base,
      policies: [{ id: "p", levels: [{ channels: ["hook"] }], monitoringBroken: { after: "10m", channels: ["hook"] } }],
    };
    expect(parseConfig(good, { HOOK_SECRET: "x" }).policies[0]!.monitoringBroken).toEqual({ after: 600_000, channels: ["hook"] });
  });

  it("bounds intervals and timeouts", () => {
    const bad = { ...base, monitors: [{ ...base.monitors[0]!, interval: "5s", timeout: "2m" }] };
    expect(() => parseConfig(bad, { HOOK_SECRET: "x" })).toThrow(
      /monitors\[0\]\.interval: must be between 10s and 24h, got "5s"[\s\S]*monitors\[0\]\.timeout: must be between 100ms and 60s, got "2m"/,
    );
  });

  it("accepts the function form and reports a throwing function", () => {
    const fn = defineConfig((env) => ({ ...base, timezone: String(env.TZ_NAME) }));
    expect(parseConfig(fn, { TZ_NAME: "Asia/Seoul", HOOK_SECRET: "x" }).timezone).toBe("Asia/Seoul");
    expect(() =>
      parseConfig(() => {
        throw new Error("boom");
      }, {}),
    ).toThrow("(root): the config function threw: boom");
  });
});
