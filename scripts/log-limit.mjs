// Bounding a long-running process's log: `npm start` passes workerd's and wrangler's output
// through this, so a failure that repeats thousands of times a second is printed once, then
// counted, and the count printed once a minute:
//
//   kj/async-io-unix.c++:918: overloaded: ::socket(...): Too many open files ×12,400 in the last minute
//
// - An entry is a line and the indented lines after it (a stack trace, wrangler's boxed
//   errors); a suppressed entry's indented lines are dropped with it.
// - Entries are keyed by their first line with numbers, hex and ids blanked, so the same
//   failure on another socket or at another time is the same entry.
// - Per key and per window (a minute): the worker's own JSON event lines (`{"msg":…}`) pass
//   up to `eventAllowance` times (a tick and its queue batches are one line each), anything
//   else `allowance` times (once); the rest are counted, and each count is printed when the
//   window closes, on one line.
// - At most `maxKeys` keys are tracked in a window; entries past that are counted together.
// Node built-ins only (runs before `npm install`).

// biome-ignore lint/suspicious/noControlCharactersInRegex: matches ANSI colour codes
const ANSI = /\x1b\[[0-9;]*m/g;

/** The first line of an entry with what varies between repeats blanked out. */
export function logKey(line) {
  const plain = line.replace(ANSI, "").trim();
  if (plain.startsWith("{")) {
    const msg = /"msg"\s*:\s*"([^"]{1,80})"/.exec(plain)?.[1];
    if (msg) return `event:${msg}`;
  }
  return plain
    .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, "<id>")
    .replace(/\b0x[0-9a-f]+\b/gi, "<hex>")
    .replace(/\b[0-9a-f]{16,}\b/gi, "<hex>")
    .replace(/\d+(?:[.,]\d+)*/g, "#")
    .slice(0, 200);
}

/**
 * @param {{ write: (text: string) => void, windowMs?: number, allowance?: number,
 *   eventAllowance?: number, maxKeys?: number, timer?: boolean }} options
 * @returns {{ line: (text: string) => void, flush: () => void, close: () => void }}
 */
export function createLogLimiter(options) {
  const { write, windowMs = 60_000, allowance = 1, eventAllowance = 200, maxKeys = 5_000 } = options;
  const window = windowMs === 60_000 ? "minute" : `${Math.round(windowMs / 1000)} s`;
  /** key → { shown, suppressed, head } for the current window */
  let seen = new Map();
  let overflow = 0;
  let printing = true; // whether the current entry's indented lines are printed

  const flush = () => {
    for (const entry of seen.values()) {
      if (entry.suppressed > 0) write(`${entry.head} ×${entry.suppressed.toLocaleString("en-US")} in the last ${window}\n`);
    }
    if (overflow > 0) write(`vigil: ${overflow.toLocaleString("en-US")} other log lines in the last ${window} not shown\n`);
    seen = new Map();
    overflow = 0;
  };

  const line = (text) => {
    const isContinuation = /^\s/.test(text) && text.trim() !== "";
    if (isContinuation) {
      if (printing) write(`${text}\n`);
      return;
    }
    if (text.trim() === "") {
      if (printing) write("\n");
      return;
    }
    const key = logKey(text);
    let entry = seen.get(key);
    if (!entry) {
      if (seen.size >= maxKeys) {
        overflow++;
        printing = false;
        return;
      }
      const head = text.replace(ANSI, "").trim();
      // An event's count must not read as an event itself (the bench parses `{"msg":…}` lines).
      const shown = key.startsWith("event:")
        ? `vigil: more "${key.slice(6)}" event lines`
        : head.length > 200
          ? `${head.slice(0, 200)}…`
          : head;
      entry = { shown: 0, suppressed: 0, head: shown };
      seen.set(key, entry);
    }
    const limit = key.startsWith("event:") ? eventAllowance : allowance;
    if (entry.shown < limit) {
      entry.shown++;
      printing = true;
      write(`${text}\n`);
    } else {
      entry.suppressed++;
      printing = false;
    }
  };

  const interval = options.timer === false ? undefined : setInterval(flush, windowMs);
  interval?.unref();
  return {
    line,
    flush,
    close() {
      if (interval) clearInterval(interval);
      flush();
    },
  };
}

/** Splits a stream's chunks into lines for `onLine` (the last partial line is held back). */
export function lineSplitter(onLine) {
  let partial = "";
  return {
    push(chunk) {
      partial += chunk;
      const parts = partial.split("\n");
      partial = parts.pop() ?? "";
      for (const p of parts) onLine(p.endsWith("\r") ? p.slice(0, -1) : p);
      // A line without its end for 64 KiB: pass it on as it is.
      if (partial.length > 65_536) {
        onLine(partial);
        partial = "";
      }
    },
    end() {
      if (partial) onLine(partial);
      partial = "";
    },
  };
}
