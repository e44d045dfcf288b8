/**
 * What `npm start` prints of `wrangler dev`'s output (scripts/narrate.mjs): one human line per
 * check state change, incident event, page and delivery outcome, and none of wrangler's noise or
 * workerd's stack traces for network failures a probe reports anyway.
 */
import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs script
import { clock, createNarrator, describeLog } from "../../scripts/narrate.mjs";
// @ts-expect-error: a plain .mjs script
import { maskPingKeys } from "../../scripts/lib.mjs";

const at = new Date(2026, 11, 6, 12, 4, 31).getTime();
const t = clock(at);
const line = (o: Record<string, unknown>) => describeLog(o, at);

describe("narration of the worker's log lines", () => {
  it("a check's state change, with its reason", () => {
    expect(line({ msg: "check.state", check: "demo", service: "demo", from: "up", to: "down", reason: "connection refused", at })).toBe(
      `${t} demo DOWN (connection refused)`,
    );
    expect(line({ msg: "check.state", check: "demo", from: "down", to: "up", reason: null, at })).toBe(`${t} demo UP`);
    expect(line({ msg: "check.state", check: "demo", from: "unknown", to: "up", reason: null, at })).toBe(`${t} demo UP (first result)`);
  });

  it("incident events and the page that goes with them", () => {
    const base = { incident: "inc_demo_1", service: "demo", title: "Demo: demo down — connection refused" };
    expect(line({ msg: "incident.event", ...base, event: "incident.opened", detail: { check: "demo" } })).toBe(
      `${t} incident inc_demo_1 opened: Demo: demo down — connection refused`,
    );
    expect(line({ msg: "incident.page", ...base, event: "incident.opened", level: 1, channels: ["local-webhook"], reason: null })).toBe(
      `${t} incident inc_demo_1 opened → L1 paged via local-webhook`,
    );
    expect(line({ msg: "incident.event", ...base, event: "incident.paged", detail: { level: 1 } })).toBeNull();
    expect(
      line({
        msg: "incident.page",
        ...base,
        event: "incident.escalated",
        level: 2,
        channels: ["oncall-sms"],
        reason: "not acknowledged within 15m",
      }),
    ).toBe(`${t} incident inc_demo_1 escalated → L2 paged via oncall-sms (not acknowledged within 15m)`);
    expect(line({ msg: "incident.event", ...base, event: "incident.resolved", detail: { reason: "all checks recovered" } })).toBe(
      `${t} incident inc_demo_1 resolved (all checks recovered)`,
    );
    expect(line({ msg: "incident.page", ...base, event: "incident.resolved", level: 1, channels: ["local-webhook"] })).toBe(
      `${t} incident inc_demo_1 resolved → L1 told via local-webhook`,
    );
  });

  it("each delivery outcome", () => {
    const d = {
      msg: "delivery",
      channel: "local-webhook",
      event: "incident.opened",
      incident: "inc_1",
      level: 1,
      attempt: 1,
      latencyMs: 12,
    };
    expect(line({ ...d, outcome: "delivered", httpStatus: 204 })).toBe(
      `${t} delivered incident.opened L1 to local-webhook (HTTP 204, 12 ms)`,
    );
    expect(line({ ...d, outcome: "retry", error: "connection refused", retryInSeconds: 30 })).toBe(
      `${t} delivery of incident.opened L1 to local-webhook failed (attempt 1: connection refused); retrying in 30s`,
    );
    expect(line({ ...d, outcome: "failed", httpStatus: 404, error: "HTTP 404 Not Found" })).toBe(
      `${t} delivery of incident.opened L1 to local-webhook failed for good: HTTP 404 Not Found`,
    );
    expect(line({ ...d, outcome: "dead", attempt: 15, error: "HTTP 503" })).toBe(
      `${t} delivery of incident.opened L1 to local-webhook given up after 15 attempts: HTTP 503`,
    );
  });

  it("a tick that went as planned says nothing; anything else is shown with its fields", () => {
    expect(line({ msg: "tick", planned: 7, executed: 7 })).toBeNull();
    expect(line({ msg: "probe batch failed", minute: 1, error: "boom" })).toBe(`${t} probe batch failed: minute=1 error=boom`);
  });
});

describe("the filter over wrangler dev's output", () => {
  const run = (lines: string[], verbose = false) => {
    const narrate = createNarrator({ verbose, now: () => at });
    return lines.flatMap((l) => narrate(l));
  };

  it("drops workerd's trace of a failed connection, and nothing after it", () => {
    const out = run([
      "\u001b[31m✘ \u001b[41;31m[\u001b[41;97mERROR\u001b[41;31m]\u001b[0m \u001b[1me = kj/async-io-unix.c++:1298: failed: DNS lookup failed.; params.host = safework.example.com\u001b[0m",
      "",
      "  stack: /x/workerd@51f50be /x/workerd@51f5bb0",
      "",
      "✘ [ERROR] Socket proxy disconnected abruptly; e = kj/async-io-unix.c++:1298: failed: connect() failed: Connection refused",
      "  stack: /x/workerd@1",
      "exception = kj/async-io-unix.c++:1538: disconnected: connect(): Connection refused",
      "stack: /x/workerd@52008e2 /x/workerd@5200ac5",
      JSON.stringify({ msg: "check.state", check: "demo", from: "up", to: "down", reason: "connection refused", at }),
      "✘ [ERROR] Uncaught TypeError: something real broke",
    ]);
    expect(out).toEqual([`${t} demo DOWN (connection refused)`, "✘ [ERROR] Uncaught TypeError: something real broke"]);
  });

  it("keeps workerd running out of sockets, for the limiter to count", () => {
    const line = "exception = kj/async-io-unix.c++:918: overloaded: ::socket(pf, type, 0): Too many open files";
    expect(run([line])).toEqual([line]);
  });

  it("drops the request log, the queue log and the bindings table", () => {
    const out = run([
      "[wrangler:info] GET /health 200 OK (26ms)",
      "[wrangler:info] QUEUE vigil-notify 1/1 (75ms)",
      "[wrangler:info] Ready on http://127.0.0.1:8801",
      "Your Worker has access to the following bindings:",
      "Binding                                         Resource                  Mode",
      "env.DB (vigil)                                  D1 Database               local",
      "Using secrets defined in .dev.vars",
      "⎔ Starting local server...",
      "[wrangler:warn] something wrangler wants you to know",
    ]);
    expect(out).toEqual(["[wrangler:warn] something wrangler wants you to know"]);
  });

  it("VIGIL_VERBOSE shows everything as it comes", () => {
    expect(run(["[wrangler:info] GET /health 200 OK (26ms)", '{"msg":"tick"}'], true)).toEqual([
      "[wrangler:info] GET /health 200 OK (26ms)",
      '{"msg":"tick"}',
    ]);
  });
});

describe("ping keys in wrangler's request log", () => {
  const key = "0123456789abcdef0123456789abcdef0123456789abcdef";
  it.each([
    [`[wrangler:info] POST /ping/${key} 200 OK (12ms)`, "[wrangler:info] POST /ping/*** 200 OK (12ms)"],
    [`[wrangler:info] GET /ping/${key}/start 200 OK (3ms)`, "[wrangler:info] GET /ping/***/start 200 OK (3ms)"],
    [`[wrangler:info] PUT /ping/${key}?x=1 404 Not Found (1ms)`, "[wrangler:info] PUT /ping/***?x=1 404 Not Found (1ms)"],
  ])("are masked before a line is shown, verbose too: %s", (raw, masked) => {
    const verbose = createNarrator({ verbose: true });
    const shown = verbose(maskPingKeys(raw)).join("\n");
    expect(shown).toBe(masked);
    expect(shown).not.toContain(key);
  });
});
