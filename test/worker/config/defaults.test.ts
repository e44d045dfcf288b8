/**
 * Defaults that fit together: every documented range of a monitor field is valid with the other
 * fields left at their defaults (issue 16, point 5). Before, `interval: "10s"` alone failed with
 * "timeout × samples (10000 ms) must be shorter than the interval (10000 ms)".
 */
import { describe, expect, it } from "vitest";
import { formatIssues, monitorSpec } from "../../../src/config";

const kinds = {
  http: { url: "https://example.com/health" },
  tls: { host: "example.com" },
  tcp: { host: "example.com", port: 5432 },
  websocket: { url: "wss://example.com/sync" },
  dns: { name: "example.com" },
} as const;

function parse(type: keyof typeof kinds, fields: Record<string, unknown>) {
  const r = monitorSpec.safeParse({ id: "m", service: "s", type, ...kinds[type], ...fields });
  return r.success ? { ok: r.data as Record<string, unknown> } : { problems: formatIssues(r.error.issues) };
}

/** Each documented bound, alone. */
const bounds: [string, Record<string, unknown>][] = [
  ["interval at its minimum", { interval: "10s" }],
  ["interval at its maximum", { interval: "24h" }],
  ["timeout at its minimum", { timeout: "100ms" }],
  ["timeout at its maximum", { timeout: "60s" }],
  ["samples at its maximum", { samples: 10 }],
  ["samples at its maximum with the shortest interval", { samples: 10, interval: "10s" }],
  ["degradedMs at its maximum", { degradedMs: 59_999 }],
  ["downMs at its maximum", { downMs: 59_999 }],
  ["downMs above the default timeout", { downMs: 15_000 }],
  ["failureThreshold at its maximum", { failureThreshold: 20 }],
  ["recoveryThreshold at its maximum", { recoveryThreshold: 20 }],
];

describe("monitor defaults fit every documented range", () => {
  for (const type of Object.keys(kinds) as (keyof typeof kinds)[]) {
    for (const [name, fields] of bounds) {
      it(`${type}: ${name}`, () => expect(parse(type, fields)).toHaveProperty("ok"));
    }
  }
  for (const [name, fields] of [
    ["warnDays at its minimum", { warnDays: 1 }],
    ["warnDays below the default criticalDays", { warnDays: 5 }],
    ["warnDays at its maximum", { warnDays: 365 }],
    ["criticalDays at its minimum", { criticalDays: 0 }],
    ["criticalDays above the default warnDays", { criticalDays: 30 }],
    ["criticalDays at its maximum", { criticalDays: 364 }],
  ] as const) {
    it(`tls: ${name}`, () => expect(parse("tls", fields)).toHaveProperty("ok"));
  }
});

describe("the default timeout", () => {
  const timing = (fields: Record<string, unknown>) => {
    const { ok } = parse("http", fields) as { ok: { interval: number; timeout: number } };
    return { interval: ok.interval, timeout: ok.timeout };
  };
  it("is 10 s at the default interval of a minute", () => expect(timing({})).toEqual({ interval: 60_000, timeout: 10_000 }));
  it("is half the interval when that is shorter: 5 s at 10 s", () =>
    expect(timing({ interval: "10s" })).toEqual({ interval: 10_000, timeout: 5_000 }));
  it("is 7.5 s at 15 s", () => expect(timing({ interval: "15s" })).toEqual({ interval: 15_000, timeout: 7_500 }));
  it("stays 10 s at longer intervals", () => expect(timing({ interval: "1h" })).toEqual({ interval: 3_600_000, timeout: 10_000 }));
  it("is half the interval per sample: 3 samples at 30 s get 5 s each", () =>
    expect(timing({ interval: "30s", samples: 3 })).toMatchObject({ timeout: 5_000 }));
  it("is 1 s above downMs when that is above 10 s", () =>
    expect(timing({ downMs: 15_000 })).toEqual({ interval: 60_000, timeout: 16_000 }));
  it("keeps a timeout that is given", () =>
    expect(timing({ interval: "30s", timeout: "20s" })).toEqual({ interval: 30_000, timeout: 20_000 }));
});

describe("the default interval", () => {
  it("is longer than a minute only when timeout × samples needs it", () => {
    expect(parse("http", { timeout: "60s" })).toMatchObject({ ok: { interval: 120_000, timeout: 60_000 } });
    expect(parse("http", { timeout: "20s", samples: 3 })).toMatchObject({ ok: { interval: 120_000 } });
    expect(parse("http", { timeout: "20s", samples: 2 })).toMatchObject({ ok: { interval: 60_000 } });
  });
});

describe("fields given together are still judged", () => {
  it("a timeout as long as the interval", () => {
    expect(parse("http", { interval: "10s", timeout: "10s" })).toEqual({
      problems: ["timeout: timeout × samples (10000 ms) must be shorter than the interval (10000 ms)"],
    });
  });
  it("criticalDays not below warnDays", () => {
    expect(parse("tls", { warnDays: 10, criticalDays: 10 })).toEqual({ problems: ["criticalDays: must be below warnDays (10), got 10"] });
  });
  it("downMs not below a given timeout", () => {
    expect(parse("http", { timeout: "5s", downMs: 5_000 })).toEqual({
      problems: ["downMs: must be below the timeout (5000 ms), got 5000"],
    });
  });
});
