// What `npm start` prints of `wrangler dev`'s output: one human line per check state change,
// incident event, page and delivery outcome (from the worker's structured log lines, src/log.ts),
// without wrangler's request log, bindings table and workerd's stack traces for network failures
// a probe reports anyway. `VIGIL_VERBOSE=1` shows everything as it comes.
import { stripVTControlCharacters } from "node:util";

/** `12:04:31`, local time. */
export function clock(ms = Date.now()) {
  const d = new Date(ms);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, "0")).join(":");
}

const STATUS = { up: "UP", down: "DOWN", degraded: "DEGRADED", unknown: "UNKNOWN", stale: "STALE" };
const statusWord = (s) => STATUS[s] ?? String(s).toUpperCase();

/** `incident.opened` → `opened`. */
const verb = (event) =>
  String(event)
    .replace(/^incident\./, "")
    .replace(/[._]/g, " ");

/**
 * One worker log object as a human line, or null when it is not worth a line (a tick that
 * went as planned). Unknown messages are shown with their fields.
 * @param {Record<string, any>} o
 */
export function describeLog(o, now = Date.now()) {
  switch (o.msg) {
    case "check.state": {
      const why = o.reason ? ` (${o.reason})` : o.from === "unknown" ? " (first result)" : "";
      return `${clock(o.at ?? now)} ${o.check} ${statusWord(o.to)}${why}`;
    }
    case "incident.event": {
      const d = o.detail ?? {};
      const head = `${clock(now)} incident ${o.incident}`;
      switch (o.event) {
        case "incident.opened":
        case "incident.reopened":
          return `${head} ${verb(o.event)}: ${o.title}`;
        case "incident.resolved":
          return `${head} resolved${d.reason ? ` (${d.reason})` : ""}`;
        case "incident.acknowledged":
          return `${head} acknowledged by ${d.by}`;
        case "pages.held":
          return `${head} pages held: ${d.reason}${d.detail ? ` (${d.detail})` : ""}`;
        case "pages.suppressed":
          return `${head} pages suppressed: ${d.reason}${Array.isArray(d.rootCause) ? ` (root cause ${d.rootCause.join(", ")})` : ""}`;
        // Pages are told by the `incident.page` line that follows.
        case "incident.paged":
        case "incident.escalated":
        case "incident.repeated":
          return null;
        default:
          return `${head} ${verb(o.event)}${d.check ? ` (${d.check})` : ""}`;
      }
    }
    case "incident.page": {
      const channels = Array.isArray(o.channels) && o.channels.length > 0 ? o.channels.join(", ") : "no channel";
      const why = o.reason ? ` (${o.reason})` : "";
      const paged = ["incident.opened", "incident.escalated", "incident.repeated"].includes(o.event) ? "paged" : "told";
      return `${clock(now)} incident ${o.incident} ${verb(o.event)} → L${o.level} ${paged} via ${channels}${why}`;
    }
    case "delivery": {
      const what = `${o.event}${o.level ? ` L${o.level}` : ""} to ${o.channel}`;
      const status = o.httpStatus ? `HTTP ${o.httpStatus}, ` : "";
      switch (o.outcome) {
        case "delivered":
          return `${clock(now)} delivered ${what} (${status}${o.latencyMs} ms)`;
        case "retry":
          return `${clock(now)} delivery of ${what} failed (attempt ${o.attempt}: ${o.error ?? `HTTP ${o.httpStatus}`}); retrying in ${o.retryInSeconds}s`;
        case "failed":
          return `${clock(now)} delivery of ${what} failed for good: ${o.error ?? `HTTP ${o.httpStatus}`}`;
        default:
          return `${clock(now)} delivery of ${what} given up after ${o.attempt} attempts: ${o.error ?? `HTTP ${o.httpStatus}`}`;
      }
    }
    case "tick":
    case "probe-batch":
      return null;
    default: {
      const { msg, ...rest } = o;
      const fields = Object.entries(rest)
        .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
        .join(" ");
      return `${clock(now)} ${msg}${fields ? `: ${fields}` : ""}`;
    }
  }
}

/** Lines of wrangler's own output that tell a user of `npm start` nothing. */
const NOISE = [
  /^\[wrangler:info\] (GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) /, // the request log
  /^\[wrangler:info\] Ready on /, // npm start prints its own
  /^\[wrangler:info\] QUEUE \S+ \d+\/\d+ /, // queue deliveries: the delivery lines tell them
  /^⎔ (Starting|Reloading) local server/,
  /^⎔ Local server updated and ready/,
  /^Your Worker has access to the following bindings:/,
  /^Binding\s+Resource\s+Mode/,
  /^env\.\S+ \(.*\)\s+\S/,
  /^Service bindings, Durable Object bindings, and Tail consumers connect/,
  /^Using (secrets|vars) defined in /,
  /^🪵 {1,2}(Logs were written|Writing logs) to/,
  /^No bindings found\.?$/,
];

/**
 * workerd's report of a failed outbound connection: the probe reports it as its result. Not
 * workerd running out of something (`overloaded: ::socket(...): Too many open files`): that is
 * Vigil's own trouble, shown, and counted once a minute by scripts/log-limit.mjs.
 */
const NETWORK_ERROR =
  /^(?!.*(overloaded|Too many open files))(✘ \[ERROR\] |exception = ).*(kj\/async-io|DNS lookup failed|connect\(\) failed|Connection refused|Socket proxy disconnected|Network connection lost|peer disconnected|TLS peer)/;

/**
 * A line filter for `wrangler dev`'s stdout and stderr.
 * @param {{ verbose?: boolean, now?: () => number }} [options]
 * @returns {(raw: string) => string[]} the lines to print for one line of output
 */
export function createNarrator(options = {}) {
  const now = options.now ?? Date.now;
  let skippingTrace = false;
  return (raw) => {
    const line = stripVTControlCharacters(raw).replace(/\s+$/, "");
    if (options.verbose) return [raw];
    if (line.startsWith("{")) {
      try {
        const o = JSON.parse(line);
        if (o && typeof o.msg === "string") {
          skippingTrace = false;
          const text = describeLog(o, now());
          return text ? [text] : [];
        }
      } catch {
        // not one of ours
      }
    }
    if (NETWORK_ERROR.test(line)) {
      skippingTrace = true;
      return [];
    }
    if (skippingTrace) {
      if (line === "" || /^\s*stack:/.test(line)) return [];
      skippingTrace = false;
    }
    if (line === "" || NOISE.some((re) => re.test(line))) return [];
    return [raw.replace(/\s+$/, "")];
  };
}
