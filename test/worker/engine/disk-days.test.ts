/**
 * The AgentObject's daily disk series (pure fold): what it keeps and when it writes D1 — at once
 * for a new mount or a day turning over, otherwise at most every `syncEveryMs` and only when
 * something changed.
 */
import { describe, expect, it } from "vitest";
import { foldDiskSamples, MAX_DISK_MOUNTS, type DiskDay, type DiskSample } from "../../../src/engine/disk-days";

const MIN = 60_000;
const opts = { syncEveryMs: 15 * MIN };

/** Applies folds like the object does (keeps `save`, forgets `drop`); returns every D1 write with its time. */
function run(steps: { at: number; samples: DiskSample[] }[], start: Map<string, DiskDay> = new Map()) {
  const rows = new Map(start);
  const writes: { at: number; mount: string; day: string; max: number; last: number }[] = [];
  for (const s of steps) {
    const f = foldDiskSamples(rows, s.samples, s.at, opts);
    for (const d of f.save) rows.set(d.mount, d);
    for (const m of f.drop) rows.delete(m);
    for (const w of f.write) writes.push({ at: s.at, mount: w.mount, day: w.day, max: w.maxPct, last: w.lastPct });
  }
  return { rows, writes };
}

const sample = (mount: string, day: string, usedPct: number): DiskSample => ({ mount, day, usedPct });

describe("foldDiskSamples", () => {
  it("writes a new mount at once, then at most every 15 minutes, and only what changed", () => {
    // A report every 30 s for an hour; the value changes every 5 minutes.
    const steps = Array.from({ length: 120 }, (_, i) => ({
      at: i * 30_000,
      samples: [sample("/", "2026-11-21", 50 + Math.floor(i / 10) * 0.5), sample("/srv", "2026-11-21", 10)],
    }));
    const { writes, rows } = run(steps);
    expect(writes.map((w) => [w.at / MIN, w.mount, w.max, w.last])).toEqual([
      [0, "/", 50, 50],
      [0, "/srv", 10, 10],
      [15, "/", 51.5, 51.5], // "/srv" did not change: not written again
      [30, "/", 53, 53],
      [45, "/", 54.5, 54.5],
    ]);
    expect(rows.get("/")).toMatchObject({ day: "2026-11-21", maxPct: 55.5, lastPct: 55.5, dirty: true, syncedAt: 45 * MIN });
  });

  it("a day turning over writes the finished day's peak and latest value, and the new day's first", () => {
    const { writes } = run([
      { at: 0, samples: [sample("/", "2026-11-21", 70)] },
      { at: MIN, samples: [sample("/", "2026-11-21", 78.04)] }, // the day's peak, rounded to 0.1
      { at: 2 * MIN, samples: [sample("/", "2026-11-21", 72)] },
      { at: 3 * MIN, samples: [sample("/", "2026-11-22", 73)] },
      { at: 4 * MIN, samples: [sample("/", "2026-11-21", 99)] }, // observed on a closed day: ignored
    ]);
    expect(writes).toEqual([
      { at: 0, mount: "/", day: "2026-11-21", max: 70, last: 70 },
      { at: 3 * MIN, mount: "/", day: "2026-11-21", max: 78, last: 72 },
      { at: 3 * MIN, mount: "/", day: "2026-11-22", max: 73, last: 73 },
    ]);
  });

  it("forgets mounts not reported for over a week and follows at most MAX_DISK_MOUNTS", () => {
    const { rows } = run([
      { at: 0, samples: [sample("/old", "2026-11-01", 5), sample("/", "2026-11-01", 5)] },
      { at: MIN, samples: [sample("/", "2026-11-09", 6)] },
    ]);
    expect([...rows.keys()]).toEqual(["/"]);
    const many = Array.from({ length: MAX_DISK_MOUNTS + 5 }, (_, i) => sample(`/m${i}`, "2026-11-21", 1));
    expect(run([{ at: 0, samples: many }]).rows.size).toBe(MAX_DISK_MOUNTS);
  });
});
