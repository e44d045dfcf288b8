/** agent/time.ts: isoTime() is Date.prototype.toISOString() without V8's time-zone cache. */
import { expect, it } from "vitest";
import { isoTime } from "../../agent/time";

it("formats exactly as toISOString", () => {
  const samples = [
    0,
    1,
    999,
    86_399_999,
    Date.UTC(2000, 1, 29, 23, 59, 59, 7),
    Date.UTC(9999, 11, 31, 23, 59, 59, 999),
    Date.UTC(0, 0, 1) - 0,
    Date.now(),
  ];
  for (let i = 0; i < 2000; i++) samples.push(Math.floor(Math.random() * 4e12) - 1e12);
  for (const ms of samples) expect(isoTime(ms)).toBe(new Date(ms).toISOString());
  expect(isoTime(Date.UTC(10_000, 0, 1))).toBe("+010000-01-01T00:00:00.000Z");
  expect(() => isoTime(Number.NaN)).toThrow(RangeError);
});
