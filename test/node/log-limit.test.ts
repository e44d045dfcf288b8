/**
 * The log limiter `npm start` passes workerd's and wrangler's output through
 * (scripts/log-limit.mjs): a failure repeated thousands of times is printed once, then counted
 * once a minute; the worker's event lines pass; a suppressed entry's stack trace goes with it.
 */
import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs script without types
import { createLogLimiter, lineSplitter, logKey } from "../../scripts/log-limit.mjs";

function limiter(options: Record<string, unknown> = {}) {
  let out = "";
  const l = createLogLimiter({ write: (t: string) => (out += t), timer: false, ...options });
  return { ...l, out: () => out };
}

const emfile = (fd: number) => `kj/async-io-unix.c++:918: overloaded: ::socket(...): Too many open files; fd = ${fd}`;

describe("log limiter", () => {
  it("prints a repeated failure once, then its count when the minute closes", () => {
    const l = limiter();
    for (let i = 0; i < 12_400; i++) {
      l.line(emfile(i));
      l.line("    at Object.fetch (index.js:12:3)");
      l.line("    at async probe (index.js:40:9)");
    }
    l.flush();
    const lines: string[] = l.out().trimEnd().split("\n");
    expect(lines).toEqual([
      emfile(0),
      "    at Object.fetch (index.js:12:3)",
      "    at async probe (index.js:40:9)",
      `${emfile(0)} ×12,399 in the last minute`,
    ]);
    // The next minute starts afresh: printed once again.
    l.line(emfile(5));
    l.flush();
    expect(l.out().trimEnd().split("\n").at(-1)).toBe(emfile(5));
  });

  it("keeps distinct messages apart, and passes the worker's event lines up to their allowance", () => {
    const l = limiter({ eventAllowance: 3 });
    for (let b = 0; b < 5; b++) l.line(JSON.stringify({ msg: "probe-batch", batch: b, planned: 384 }));
    l.line("[wrangler:info] Ready on http://127.0.0.1:8787");
    l.line("vigil: cron trigger failed: fetch failed");
    l.line("vigil: cron trigger failed: fetch failed");
    l.flush();
    const lines: string[] = l.out().trimEnd().split("\n");
    expect(lines.filter((x) => x.startsWith('{"msg":"probe-batch"'))).toHaveLength(3);
    expect(lines).toContain("[wrangler:info] Ready on http://127.0.0.1:8787");
    expect(lines).toContain('vigil: more "probe-batch" event lines ×2 in the last minute');
    expect(lines).toContain("vigil: cron trigger failed: fetch failed ×1 in the last minute");
  });

  it("bounds the number of distinct messages it tracks", () => {
    const l = limiter({ maxKeys: 10 });
    for (let i = 0; i < 100; i++) l.line(`error ${"x".repeat(i)}`);
    l.flush();
    const lines: string[] = l.out().trimEnd().split("\n");
    expect(lines).toHaveLength(11);
    expect(lines.at(-1)).toBe("vigil: 90 other log lines in the last minute not shown");
  });

  it("keys a message with its numbers, hex and ids blanked, and an event by its msg", () => {
    expect(logKey("socket 12 failed at 0x7f3a after 3.5 s (id 9b2f3c1e-0d4a-4e8b-9c1f-2a3b4c5d6e7f)")).toBe(
      logKey("socket 900 failed at 0x1 after 12 s (id 00000000-0000-0000-0000-000000000000)"),
    );
    expect(logKey('{"msg":"tick","planned":10}')).toBe("event:tick");
    expect(logKey("\x1b[31m✘ [ERROR]\x1b[0m boom")).toBe("✘ [ERROR] boom");
  });

  it("splits chunks into lines, holding back a partial one", () => {
    const seen: string[] = [];
    const s = lineSplitter((l: string) => seen.push(l));
    s.push("one\ntw");
    s.push("o\r\nthree");
    expect(seen).toEqual(["one", "two"]);
    s.end();
    expect(seen).toEqual(["one", "two", "three"]);
  });
});
