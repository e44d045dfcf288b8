/**
 * Where a process's CPU goes, by part of the program: `perf record` (software cpu-clock
 * samples, so it works without hardware counters) attached to running processes, then the
 * samples grouped by symbol into parts of workerd. Used by bench/scale.mjs with --profile.
 *
 * The groups that run a Worker's own code — JavaScript (V8's interpreter and builtins), the V8
 * runtime and GC, and workerd's JS bindings and API objects (fetch, Headers, streams) — are
 * what an isolate spends; the rest is the host's I/O (kernel, libc, kj's event loop and HTTP
 * stack, capnp RPC), the allocator and SQLite.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The parts, in the order printed, with whether each runs the isolate's own work. */
export const PARTS = [
  ["JavaScript (V8 interpreter and builtins)", true],
  ["V8 runtime (C++)", true],
  ["V8 garbage collector and handles", true],
  ["workerd JS bindings (jsg)", true],
  ["workerd API objects (fetch, Headers, streams)", true],
  ["workerd other", false],
  ["kj / capnp (event loop, HTTP, RPC)", false],
  ["allocator (tcmalloc)", false],
  ["SQLite (D1, storage)", false],
  ["libc (syscall wrappers, memcpy)", false],
  ["kernel (syscalls, TCP, interrupts)", false],
  ["other", false],
];

export function partOf(dso, kind, sym) {
  if (kind === "k" || dso.includes("kernel")) return "kernel (syscalls, TCP, interrupts)";
  if (dso.startsWith("libc")) return "libc (syscall wrappers, memcpy)";
  if (sym.startsWith("Builtins_")) return "JavaScript (V8 interpreter and builtins)";
  if (/tcmalloc|^TCMalloc/.test(sym)) return "allocator (tcmalloc)";
  if (
    /v8::internal::(Heap|Scavenger|MarkCompact|Marking|Sweeper|Concurrent|GlobalHandles|MinorMC|Evacuat|MemoryAllocator|IncrementalMarking|LocalHeap)|GCTracer/.test(
      sym,
    )
  )
    return "V8 garbage collector and handles";
  if (/^v8::|v8::internal/.test(sym)) return "V8 runtime (C++)";
  if (/sqlite/i.test(sym)) return "SQLite (D1, storage)";
  if (sym.includes("jsg::")) return "workerd JS bindings (jsg)";
  if (sym.includes("workerd::api")) return "workerd API objects (fetch, Headers, streams)";
  if (sym.includes("workerd::")) return "workerd other";
  if (/kj::|capnp::/.test(sym)) return "kj / capnp (event loop, HTTP, RPC)";
  return "other";
}

/**
 * Starts sampling `pids`; `stop()` ends it and resolves with the share of samples per part
 * (null, with the reason, when perf is missing or cannot attach).
 */
export function startPerf(pids) {
  if (spawnSync("perf", ["--version"]).status !== 0)
    return { stop: async () => ({ error: "perf not found (Debian: apt-get install linux-perf)" }) };
  const dir = mkdtempSync(join(tmpdir(), "vigil-perf-"));
  const data = join(dir, "perf.data");
  const rec = spawn("perf", ["record", "-q", "-e", "cpu-clock", "-F", "997", "-p", pids.join(","), "-o", data], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  rec.stderr.on("data", (d) => (stderr += d));
  const ended = new Promise((r) => rec.on("close", r));
  return {
    async stop() {
      rec.kill("SIGINT");
      await ended;
      try {
        const out = spawnSync(
          "perf",
          ["report", "-i", data, "--stdio", "--no-children", "-n", "--sort", "dso,sym", "-g", "none", "--percent-limit", "0"],
          { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 },
        );
        if (out.status !== 0) return { error: `perf report failed: ${(out.stderr || stderr).trim().split("\n").at(-1)}` };
        const samples = new Map(PARTS.map(([p]) => [p, 0]));
        let total = 0;
        for (const line of out.stdout.split("\n")) {
          const m = /^\s*[\d.]+%\s+(\d+)\s+(\S+)\s+\[(.)\]\s+(.*)$/.exec(line);
          if (!m) continue;
          const n = Number(m[1]);
          total += n;
          const part = partOf(m[2], m[3], m[4]);
          samples.set(part, samples.get(part) + n);
        }
        if (!total) return { error: `perf recorded no samples${stderr ? `: ${stderr.trim().split("\n").at(-1)}` : ""}` };
        return { total, shares: PARTS.map(([part, isolate]) => ({ part, isolate, share: samples.get(part) / total })) };
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
