/**
 * Retries on network failures only (issue #21, point 4): which failures are the network's, and
 * the retry loop, with the wait injected.
 */
import { describe, expect, it } from "vitest";
import { failureClass, retryNetworkFailures, worstCaseRunMs, type Classifiable } from "../../../src/engine/retry";
import { reasons, cloudflareErrorReason } from "../../../src/probes/connect-failure";
import { TimeoutError } from "../../../src/probes/deadline";

const down = (reason: string, statusCode?: number): Classifiable => ({
  status: "down",
  reason,
  ...(statusCode !== undefined && { statusCode }),
});

describe("failureClass", () => {
  const cases: [string, Classifiable, ReturnType<typeof failureClass>][] = [
    ["up", { status: "up" }, null],
    ["degraded (slow) is not a failure", { status: "degraded", reason: "took 1.2 s, over the 1 s degraded threshold (degradedMs)" }, null],
    // The network's failures: retried.
    ["refused", down(reasons.refused("127.0.0.1:9")), "network"],
    ["no such host", down(reasons.noSuchHost("api.vigil.invalid")), "network"],
    ["closed before answering", down(reasons.closed("127.0.0.1:9")), "network"],
    ["connect timeout", down(reasons.connectTimeout(10_000, "127.0.0.1:9")), "network"],
    ["unreachable", down(reasons.unreachable("127.0.0.1:9")), "network"],
    ["timeout waiting for headers", down(new TimeoutError(500, "waiting for the response headers").message), "network"],
    ["timeout reading the body", down(new TimeoutError(2_500, "while reading the body").message), "network"],
    ["closed while sending the body", down("127.0.0.1:9 closed the connection while sending the body"), "network"],
    ["failed before any response", down("connection to 127.0.0.1:9 failed before any response"), "network"],
    ["accepted, then nothing", down("request to 127.0.0.1:9 failed before any response (the server accepts connections)"), "network"],
    ["TLS handshake failed (alert)", down("TLS handshake failed: server sent alert 40 (handshake_failure)"), "network"],
    [
      "https handshake failed, no TLS",
      down("TLS handshake with 127.0.0.1:9 failed: 127.0.0.1:9 closed the connection before answering"),
      "network",
    ],
    ["resolver unreachable (dns probe)", down(`resolver: ${reasons.refused("127.0.0.1:53")}`), "network"],
    ["resolver closed", down("resolver 127.0.0.1:53 closed the connection while sending its answer"), "network"],
    ["one sample of three", down(`sample 2 of 3: ${reasons.refused("127.0.0.1:9")}`), "network"],
    ["a region's refusal, combined", down(`down from 2 of 3 regions (eu, us: ${reasons.refused("127.0.0.1:9")})`), "network"],
    ["websocket dropped", down("WebSocket connection failed after it opened"), "network"],
    [
      "edge: name does not resolve (1016)",
      down(`expected status 200, got 530: ${cloudflareErrorReason(530, "error code: 1016", "api.vigil.invalid")}`, 530),
      "network",
    ],
    [
      "edge: origin refused (521)",
      down(`expected status 200, got 521: ${cloudflareErrorReason(521, "error code: 521", "api.test")}`, 521),
      "network",
    ],
    [
      "edge: TLS handshake (525)",
      down(`expected status 200, got 525: ${cloudflareErrorReason(525, "error code: 525", "api.test")}`, 525),
      "network",
    ],
    // The target answered: never retried.
    ["HTTP 500", down("expected status 200, got 500", 500), "answer"],
    ["HTTP 503", down("expected status 2xx, got 503", 503), "answer"],
    [
      "edge: invalid certificate (526)",
      down(`expected status 200, got 526: ${cloudflareErrorReason(526, "error code: 526", "api.test")}`, 526),
      "answer",
    ],
    ["keyword", down("body lacks 'ok'", 200), "answer"],
    ["json assertion", down("$.status: expected 'ok', got 'degraded'", 200), "answer"],
    ["websocket upgrade refused", down("expected a WebSocket upgrade (101), got 404", 404), "answer"],
    ["websocket reply", down("reply 'pong!' is not 'pong'", 101), "answer"],
    ["websocket closed by the server", down("server closed the WebSocket (1011 oops) before replying", 101), "answer"],
    ["certificate expired", down("certificate expired 3 days ago (2026-11-19)"), "answer"],
    ["https: certificate expired", down("TLS handshake with api.test failed: certificate expired 3 days ago (2026-11-19)"), "answer"],
    ["https: certificate not trusted", down("TLS handshake with api.test failed: certificate is not trusted (issuer CN=x; …)"), "answer"],
    ["tls: name not covered", down("certificate does not cover 'api.test' (it covers 'x.test')"), "answer"],
    ["empty chain", down("TLS handshake failed: server sent an empty certificate chain"), "answer"],
    ["NXDOMAIN", down("resolver answered NXDOMAIN for A api.test"), "answer"],
    ["dns answer", down("expected an answer containing 192.0.2.1, got 192.0.2.2"), "answer"],
    ["resolver HTTP 502", down("resolver 127.0.0.1:8053 answered HTTP 502", 502), "answer"],
    ["over downMs", down("took 5.1 s, over the 4 s limit (downMs)", 200), "answer"],
    ["unknown phrase: when in doubt, no retry", down("something new"), "answer"],
    // Vigil's own fault.
    ["probe crashed", down("internal error in the http probe: undefined is not a function"), "internal"],
  ];
  it.each(cases)("%s", (_name, result, want) => expect(failureClass(result)).toBe(want));
});

describe("retryNetworkFailures", () => {
  /** Attempts answer from a script; the waits are recorded, not slept. */
  function scripted(script: Classifiable[]) {
    const waits: number[] = [];
    const calls: number[] = [];
    const attempt = async (n: number) => {
      calls.push(n);
      return script[Math.min(n, script.length) - 1]!;
    };
    const sleep = async (ms: number) => void waits.push(ms);
    return { attempt, sleep, waits, calls };
  }
  const refused = down(reasons.refused("127.0.0.1:9"));
  const http500 = down("expected status 200, got 500", 500);
  const up: Classifiable = { status: "up" };

  it("a network failure, then success: up, after 2 attempts, one wait", async () => {
    const s = scripted([refused, up]);
    expect(await retryNetworkFailures(s.attempt, { count: 2, delay: 1_000 }, s.sleep)).toEqual({ result: up, attempts: 2 });
    expect(s.waits).toEqual([1_000]);
  });
  it("an HTTP 500 is never retried", async () => {
    const s = scripted([http500, up]);
    expect(await retryNetworkFailures(s.attempt, { count: 3, delay: 1_000 }, s.sleep)).toEqual({ result: http500, attempts: 1 });
    expect(s.waits).toEqual([]);
  });
  it("a network failure followed by a 500 stops at the 500", async () => {
    const s = scripted([refused, http500, up]);
    expect(await retryNetworkFailures(s.attempt, { count: 3, delay: 0 }, s.sleep)).toEqual({ result: http500, attempts: 2 });
  });
  it("network failures to the end: the last one, after 1 + count attempts", async () => {
    const s = scripted([refused]);
    expect(await retryNetworkFailures(s.attempt, { count: 2, delay: 500 }, s.sleep)).toEqual({ result: refused, attempts: 3 });
    expect(s.calls).toEqual([1, 2, 3]);
    expect(s.waits).toEqual([500, 500]);
  });
  it("no policy, or count 0: one attempt", async () => {
    for (const policy of [undefined, { count: 0, delay: 1_000 }]) {
      const s = scripted([refused, up]);
      expect(await retryNetworkFailures(s.attempt, policy, s.sleep)).toEqual({ result: refused, attempts: 1 });
    }
  });
  it("an internal error is not retried (it is Vigil's fault, not the network's)", async () => {
    const crashed = down("internal error in the tcp probe: boom");
    const s = scripted([crashed, up]);
    expect((await retryNetworkFailures(s.attempt, { count: 2, delay: 0 }, s.sleep)).attempts).toBe(1);
  });
});

describe("worstCaseRunMs", () => {
  it.each([
    [10_000, 1, undefined, 10_000],
    [10_000, 1, { count: 2, delay: 1_000 }, 32_000],
    [5_000, 3, { count: 1, delay: 500 }, 31_500],
  ] as const)("timeout %i × samples %i with %j → %i ms", (timeout, samples, policy, want) =>
    expect(worstCaseRunMs(timeout, samples, policy)).toBe(want),
  );
});
