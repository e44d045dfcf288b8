/**
 * Job run envelopes (src/engine/job-envelope.ts): bounds configured or learned (median ± k ×
 * MAD over the last N runs), and the four reasons, to the millisecond.
 */
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config";
import {
  envelopeBounds,
  judgeDuration,
  judgeRunning,
  judgeStart,
  mad,
  median,
  overrunAt,
  type EnvelopeSpec,
  type PastRun,
} from "../../../src/engine/job-envelope";

const S = 1_000;
const MIN = 60 * S;
const H = 60 * MIN;
const T0 = Date.UTC(2026, 11, 6, 2, 0, 0);

const learn = { runs: 20, k: 5, minRuns: 5, minSpread: S };
const all = ["too-short", "too-long", "too-often", "late"] as const;
const spec = (over: Partial<EnvelopeSpec> = {}): EnvelopeSpec => ({ learn, reasons: all, ...over });

/** Hourly runs starting at `delays` past the hour, lasting `durations`. */
function hourly(durations: number[], delays: number[] = durations.map(() => 0)): PastRun[] {
  return durations.map((d, i) => ({ startedAt: T0 + i * H + delays[i]!, durationMs: d, startDelayMs: delays[i]! }));
}

describe("median and MAD", () => {
  it.each([
    { name: "odd count", values: [5, 1, 3], median: 3, mad: 2 },
    { name: "even count", values: [4, 1, 3, 2], median: 2.5, mad: 1 },
    { name: "one outlier does not move them", values: [10, 11, 12, 10, 11, 900], median: 11, mad: 1 },
    { name: "all alike", values: [7, 7, 7], median: 7, mad: 0 },
  ])("$name", ({ values, median: m, mad: d }) => {
    expect(median(values)).toBe(m);
    expect(mad(values)).toBe(d);
  });
  it("does not sort its input in place", () => {
    const values = [3, 1, 2];
    median(values);
    expect(values).toEqual([3, 1, 2]);
  });
});

describe("envelopeBounds", () => {
  it("uses the configured bounds as given, marked as configured", () => {
    const b = envelopeBounds(
      spec({ minDuration: 30 * S, maxDuration: 10 * MIN, minInterval: 50 * MIN, maxStartDelay: 5 * MIN, learn: false }),
      [],
    );
    expect(b).toEqual({
      minDuration: { ms: 30 * S, source: { kind: "config" } },
      maxDuration: { ms: 10 * MIN, source: { kind: "config" } },
      minInterval: { ms: 50 * MIN, source: { kind: "config" } },
      maxStartDelay: { ms: 5 * MIN, source: { kind: "config" } },
    });
  });

  it("learns nothing before minRuns measurements", () => {
    const none = { minDuration: null, maxDuration: null, minInterval: null, maxStartDelay: null };
    expect(envelopeBounds(spec(), hourly([60 * S, 61 * S, 59 * S, 60 * S]))).toEqual(none);
  });

  it("learns median ± k × MAD from the last runs", () => {
    // Durations 50..70 s: median 60 s; deviations 0,2,4,…: MAD 4 s; k 5 → ± 20 s (> 10 % of 60 s).
    const durations = [60, 56, 64, 52, 68, 60, 58, 62, 50, 70, 60].map((d) => d * S);
    const b = envelopeBounds(spec(), hourly(durations));
    expect(median(durations)).toBe(60 * S);
    expect(mad(durations)).toBe(4 * S);
    expect(b.minDuration).toEqual({ ms: 40 * S, source: { kind: "learned", median: 60 * S, mad: 4 * S, k: 5, runs: 11 } });
    expect(b.maxDuration?.ms).toBe(80 * S);
    // Intervals are all exactly 1 h: MAD 0, so the floor of 10 % of the median holds: 54 min.
    expect(b.minInterval).toEqual({ ms: 54 * MIN, source: { kind: "learned", median: H, mad: 0, k: 5, runs: 11 } });
    // Start delays all 0: the band is 10 % of the interval, 6 min.
    expect(b.maxStartDelay?.ms).toBe(6 * MIN);
  });

  it("looks only at the newest `runs` runs, whatever order they come in", () => {
    const old = hourly(Array(20).fill(10 * MIN));
    const recent = hourly(Array(5).fill(60 * S)).map((r) => ({ ...r, startedAt: r.startedAt + 30 * H }));
    const b = envelopeBounds(spec({ learn: { ...learn, runs: 5 } }), [...recent.reverse(), ...old]);
    expect(b.maxDuration?.ms).toBe(66 * S); // median 60 s, MAD 0: ± 10 %
  });

  it("keeps a configured bound and learns the open ones; learn: false learns none", () => {
    const runs = hourly(Array(6).fill(60 * S));
    const b = envelopeBounds(spec({ maxDuration: 2 * MIN }), runs);
    expect(b.maxDuration).toEqual({ ms: 2 * MIN, source: { kind: "config" } });
    expect(b.minDuration?.source.kind).toBe("learned");
    expect(envelopeBounds(spec({ maxDuration: 2 * MIN, learn: false }), runs).minDuration).toBeNull();
  });

  it("judges only the chosen reasons", () => {
    const b = envelopeBounds(spec({ reasons: ["too-long"], minDuration: S }), hourly(Array(6).fill(60 * S)));
    expect(b.minDuration).toBeNull();
    expect(b.minInterval).toBeNull();
    expect(b.maxStartDelay).toBeNull();
    expect(b.maxDuration?.ms).toBe(66 * S);
  });

  it("never narrows the band below minSpread, and drops a lower bound at or below zero", () => {
    // Runs of 2 s, all alike: ± max(0, 0.2 s, 5 s) = 5 s → no lower bound, upper 7 s.
    const b = envelopeBounds(spec({ learn: { ...learn, minSpread: 5 * S } }), hourly(Array(6).fill(2 * S)));
    expect(b.minDuration).toBeNull();
    expect(b.maxDuration?.ms).toBe(7 * S);
  });

  it("learns durations only from runs that measured one (sent /start)", () => {
    const runs = hourly(Array(8).fill(60 * S)).map((r, i) => (i < 4 ? { ...r, durationMs: null } : r));
    expect(envelopeBounds(spec(), runs).maxDuration).toBeNull(); // 4 measurements < minRuns 5
  });
});

describe("judging runs", () => {
  const bounds = envelopeBounds(spec({ minDuration: 30 * S, maxDuration: 10 * MIN, minInterval: 50 * MIN, maxStartDelay: 5 * MIN }), []);

  it.each([
    { name: "inside the envelope", duration: 60 * S, reasons: [] },
    { name: "exactly the lower bound is not too short", duration: 30 * S, reasons: [] },
    { name: "1 ms under the lower bound is too short", duration: 30 * S - 1, reasons: ["too-short"] },
    { name: "exactly the upper bound is not too long", duration: 10 * MIN, reasons: [] },
    { name: "1 ms over the upper bound is too long", duration: 10 * MIN + 1, reasons: ["too-long"] },
  ])("duration: $name", ({ duration, reasons }) => {
    expect(judgeDuration(bounds, duration).map((v) => v.reason)).toEqual(reasons);
  });

  it.each([
    { name: "first run ever", startedAt: T0, previous: null, expected: null, reasons: [] },
    { name: "an hour after the last, on time", startedAt: T0 + H, previous: T0, expected: T0 + H, reasons: [] },
    { name: "exactly minInterval after the last", startedAt: T0 + 50 * MIN, previous: T0, expected: null, reasons: [] },
    { name: "1 ms sooner than minInterval", startedAt: T0 + 50 * MIN - 1, previous: T0, expected: null, reasons: ["too-often"] },
    { name: "exactly maxStartDelay late", startedAt: T0 + H + 5 * MIN, previous: T0, expected: T0 + H, reasons: [] },
    { name: "1 ms past maxStartDelay", startedAt: T0 + H + 5 * MIN + 1, previous: T0, expected: T0 + H, reasons: ["late"] },
    { name: "early is not late", startedAt: T0 + H - 5 * MIN, previous: T0, expected: T0 + H, reasons: [] },
    { name: "too often and late at once", startedAt: T0 + 10 * MIN, previous: T0, expected: T0, reasons: ["too-often", "late"] },
  ])("start: $name", ({ startedAt, previous, expected, reasons }) => {
    expect(judgeStart(bounds, { startedAt, previousStartedAt: previous, expectedAt: expected }).map((v) => v.reason)).toEqual(reasons);
  });

  it("a run still going is too long 1 ms after the upper bound, and the alarm time says when", () => {
    expect(overrunAt(bounds, T0)).toBe(T0 + 10 * MIN + 1);
    expect(judgeRunning(bounds, T0, T0 + 10 * MIN)).toBeNull();
    expect(judgeRunning(bounds, T0, T0 + 10 * MIN + 1)).toMatchObject({ reason: "too-long", observedMs: 10 * MIN + 1 });
    expect(overrunAt(envelopeBounds(spec({ learn: false }), []), T0)).toBeNull();
  });

  it("says what was seen, what was expected and where the bound came from", () => {
    expect(judgeDuration(bounds, 2 * S)[0]!.message).toBe("run too short: 2s, expected at least 30s (configured)");
    expect(judgeStart(bounds, { startedAt: T0 + 12 * MIN, previousStartedAt: null, expectedAt: T0 })[0]!.message).toBe(
      "started late: 12m after the expected 2026-12-06T02:00:00.000Z, expected within 5m (configured)",
    );
    const learned = envelopeBounds(spec(), hourly([60, 56, 64, 52, 68, 60, 58, 62, 50, 70, 60].map((d) => d * S)));
    expect(judgeDuration(learned, 95 * S)[0]!.message).toBe(
      "run too long: 1m 35s, expected at most 1m 20s (learned from the last 11 runs: median 1m, MAD 4s, k 5)",
    );
    expect(judgeStart(learned, { startedAt: T0 + 11 * H + 20 * MIN, previousStartedAt: T0 + 11 * H, expectedAt: null })[0]!.message).toBe(
      "runs too often: 20m since the previous run started, expected at least 54m (learned from the last 11 runs: median 1h, MAD 0 ms, k 5)",
    );
  });
});

describe("config", () => {
  const base = {
    services: [{ id: "s", name: "S", policy: "p" }],
    policies: [{ id: "p", levels: [{ channels: ["c"] }] }],
    channels: [{ id: "c", type: "webhook", url: "http://127.0.0.1:9/x", secret: { env: "W" } }],
  };
  const secrets = { K: "k".repeat(32), W: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" };
  const job = (envelope: unknown) =>
    parseConfig({ ...base, jobs: [{ id: "j", service: "s", key: { env: "K" }, period: "1h", envelope }] } as never, secrets).jobs[0]!;

  it("envelope: {} learns every bound with the defaults", () => {
    expect(job({}).envelope).toEqual({
      learn: { runs: 20, k: 5, minRuns: 5, minSpread: 1_000 },
      reasons: ["too-short", "too-long", "too-often", "late"],
    });
  });

  it("reads durations and learn: false", () => {
    expect(job({ minDuration: "30s", maxDuration: "10m", minInterval: "50m", maxStartDelay: "5m", learn: false }).envelope).toMatchObject({
      minDuration: 30 * S,
      maxDuration: 10 * MIN,
      minInterval: 50 * MIN,
      maxStartDelay: 5 * MIN,
      learn: false,
    });
  });

  it("names the field of every problem", () => {
    expect(() => job({ reasons: ["too-slow"] })).toThrow(/jobs\[0\]\.envelope\.reasons\[0\]: /);
    expect(() => job({ minDuration: "1h", maxDuration: "1m" })).toThrow(
      /jobs\[0\]\.envelope\.maxDuration: must be longer than minDuration/,
    );
    expect(() => job({ learn: { runs: 5, minRuns: 10 } })).toThrow(
      /jobs\[0\]\.envelope\.learn\.minRuns: must be at most learn\.runs \(5\), got 10/,
    );
    expect(() => job({ maxStartDelay: "soon" })).toThrow(/jobs\[0\]\.envelope\.maxStartDelay: expected a duration/);
  });
});
