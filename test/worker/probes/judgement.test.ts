/**
 * Pure judgement, table-driven: assertions (and their validation by the same evaluator),
 * latency over samples, certificate thresholds, DNS answers and wire format.
 */
import { describe, expect, it } from "vitest";
import { formatIssues, monitorSpec } from "../../../src/config";
import type { ProbeResult } from "../../../src/contract/probe";
import { checkHeader, checkJson, parsePath } from "../../../src/probes/assertions";
import { judgeAnswers } from "../../../src/probes/dns";
import { base64url, decodeResponse, encodeQuery, formatIpv6, parseIpv6 } from "../../../src/probes/dns/wire";
import { judgeLatency, percentile } from "../../../src/probes/latency";
import { judgeCertificate } from "../../../src/probes/tls";
import { fromHex, toHex } from "../../../src/probes/tls/bytes";

describe("JSON assertions", () => {
  const doc = {
    status: "UP",
    db: { status: "down", pool: 12 },
    items: [{ name: "a" }, { name: "b" }],
    tags: ["x", "y"],
    n: "42",
    "odd key": true,
    off: false,
    none: null,
  };
  const cases: [string, Parameters<typeof checkJson>[0], string | null][] = [
    ["== string", { path: "$.status", op: "==", value: "UP" }, null],
    ["== fails with the issue's wording", { path: "$.db.status", op: "==", value: "up" }, "$.db.status == 'up' failed: got 'down'"],
    ["== number against numeric string", { path: "$.n", op: "==", value: 42 }, null],
    ["!=", { path: "$.db.status", op: "!=", value: "down" }, "$.db.status != 'down' failed: got 'down'"],
    ["<", { path: "$.db.pool", op: "<", value: 10 }, "$.db.pool < 10 failed: got 12"],
    ["<= numeric string", { path: "$.n", op: "<=", value: 42 }, null],
    ["> not a number", { path: "$.status", op: ">", value: 1 }, "$.status > 1 failed: got 'UP', which is not a number"],
    [">=", { path: "$.items[1].name", op: ">=", value: 1 }, "$.items[1].name >= 1 failed: got 'b', which is not a number"],
    ["contains text", { path: "$.status", op: "contains", value: "U" }, null],
    ["contains list", { path: "$.tags", op: "contains", value: "z" }, `$.tags contains 'z' failed: got ["x","y"]`],
    [
      "contains on an object",
      { path: "$.db", op: "contains", value: "x" },
      `$.db contains 'x' failed: got {"status":"down","pool":12}, which is neither text nor a list`,
    ],
    ["matches", { path: "$.items[0].name", op: "matches", value: "^[a-z]$" }, null],
    ["matches fails", { path: "$.status", op: "matches", value: "^down$" }, "$.status matches /^down$/ failed: got 'UP'"],
    ["exists", { path: "$.db.pool", op: "exists" }, null],
    ["exists false on null value (present)", { path: "$.none", op: "exists", value: false }, "$.none must not exist failed: got null"],
    ["quoted key", { path: '$["odd key"]', op: "==", value: true }, null],
    ["false equals false", { path: "$.off", op: "==", value: false }, null],
    ["missing", { path: "$.cache.status", op: "==", value: "up" }, "$.cache.status == 'up' failed: $.cache.status is missing"],
    ["index out of range", { path: "$.items[5]", op: "exists" }, "$.items[5] exists failed: $.items[5] is missing"],
    ["whole document", { path: "$", op: "exists" }, null],
  ];
  for (const [name, assertion, want] of cases) it(name, () => expect(checkJson(assertion, doc)).toBe(want));

  it("parses paths", () => {
    expect(parsePath("$.a.b[0]['c d'][\"e\"]")).toEqual(["a", "b", 0, "c d", "e"]);
    expect(() => parsePath("$.a..b")).toThrow('cannot read path "$.a..b" at character 4 ("..b"); use $.key, $[0] or $["key"]');
  });

  it("checks headers case-insensitively", () => {
    const h = new Headers({ "Content-Type": "application/json; charset=utf-8", "X-Count": "7" });
    expect(checkHeader({ name: "content-type", op: "contains", value: "json" }, h)).toBeNull();
    expect(checkHeader({ name: "X-Count", op: "<", value: 5 }, h)).toBe("header x-count < 5 failed: got '7'");
    expect(checkHeader({ name: "etag", op: "exists" }, h)).toBe("header etag exists failed: header etag is missing");
  });
});

describe("assertion validation runs the evaluator on an empty response", () => {
  const issues = (fields: Record<string, unknown>) => {
    const r = monitorSpec.safeParse({ id: "m", service: "s", type: "http", url: "https://example.com/health", ...fields });
    return r.success ? [] : formatIssues(r.error.issues);
  };
  it("accepts every valid operator/value pair", () => {
    expect(
      issues({
        json: [
          { path: "$.a", op: "exists" },
          { path: "$.b", op: "exists", value: false },
          { path: "$.c", op: "<", value: 3 },
          { path: "$.d", op: "matches", value: "^ok$" },
          { path: "$.e", op: "==", value: null },
        ],
      }),
    ).toEqual([]);
  });
  it("names each broken assertion by path", () => {
    expect(
      issues({
        json: [
          { path: "status", op: "==", value: "up" },
          { path: "$.a", op: "==" },
          { path: "$.b", op: ">", value: "10" },
          { path: "$.c", op: "matches", value: "(" },
          { path: "$.d", op: "exists", value: "yes" },
          { path: "$.e", op: "=~", value: "x" },
        ],
        responseHeaders: [{ name: "content type", op: "exists" }],
        matches: "[",
      }),
    ).toEqual([
      "matches: not a valid regular expression: Invalid regular expression: /[/: Unterminated character class",
      'json[0].path: path must start with "$" (like "$.status"), got "status"',
      'json[1].value: operator "==" needs a value',
      "json[2].value: operator \">\" needs a number, got '10'",
      "json[3].value: not a valid regular expression: Invalid regular expression: /(/: Unterminated group",
      "json[4].value: operator \"exists\" takes true, false or no value, got 'yes'",
      "json[5].op: expected one of == != < <= > >= contains matches exists",
      'responseHeaders[0].name: "content type" is not a valid header name',
    ]);
  });
});

describe("cross-field rules", () => {
  it("refuses a body on GET and a wildcard servername", () => {
    const http = monitorSpec.safeParse({ id: "m", service: "s", type: "http", url: "https://example.com/", body: "x" });
    expect(http.success ? [] : formatIssues(http.error.issues)).toEqual(["body: a GET request cannot have a body; use POST, PUT or PATCH"]);
    const tls = monitorSpec.safeParse({ id: "m", service: "s", type: "tls", host: "example.com", servername: "*.example.com", port: 0 });
    expect(tls.success ? [] : formatIssues(tls.error.issues)).toEqual([
      "port: Too small: expected number to be >=1",
      "servername: expected a DNS name such as api.example.com",
    ]);
  });
});

describe("latency over samples", () => {
  const sample = (latencyMs: number, status: ProbeResult["status"] = "up", reason?: string): ProbeResult => ({
    status,
    latencyMs,
    checkedAt: "2026-11-22T14:00:00.000Z",
    ...(reason && { reason }),
  });

  it("uses the nearest-rank p50", () => {
    expect(percentile([5], 50)).toBe(5);
    expect(percentile([30, 10, 20], 50)).toBe(20);
    expect(percentile([40, 10, 30, 20], 50)).toBe(20);
  });

  const cases: [string, ProbeResult[], { samples: number; degradedMs?: number; downMs?: number }, Partial<ProbeResult>][] = [
    ["one fast sample", [sample(120)], { samples: 1, degradedMs: 1000 }, { status: "up", latencyMs: 120 }],
    [
      "one slow sample: degraded",
      [sample(1500)],
      { samples: 1, degradedMs: 1000, downMs: 5000 },
      { status: "degraded", reason: "took 1.5 s, over the 1 s degraded threshold (degradedMs)" },
    ],
    [
      "the runbook's level 3: over 5 s is down",
      [sample(5200)],
      { samples: 1, degradedMs: 1000, downMs: 5000 },
      { status: "down", reason: "took 5.2 s, over the 5 s limit (downMs)" },
    ],
    [
      "p50 decides, max is reported",
      [sample(100), sample(3000), sample(120)],
      { samples: 3, degradedMs: 1000 },
      { status: "up", latencyMs: 120, latency: { samples: 3, p50Ms: 120, maxMs: 3000 } },
    ],
    [
      "slow p50 over samples",
      [sample(1200), sample(1300), sample(900)],
      { samples: 3, degradedMs: 1000 },
      { status: "degraded", latencyMs: 1200, reason: "p50 1.2 s over 3 samples (max 1.3 s), over the 1 s degraded threshold (degradedMs)" },
    ],
    [
      "a down sample decides",
      [sample(100), sample(50, "down", "expected status 2xx, got 503")],
      { samples: 3 },
      {
        status: "down",
        latencyMs: 50,
        reason: "sample 2 of 3: expected status 2xx, got 503",
        latency: { samples: 2, p50Ms: 50, maxMs: 100 },
      },
    ],
    [
      "a degraded result keeps its reason and gains the slowness",
      [sample(1500, "degraded", "certificate expires in 10 days (2026-12-02), under the 21 days warning threshold")],
      { samples: 1, degradedMs: 1000 },
      {
        status: "degraded",
        reason:
          "took 1.5 s, over the 1 s degraded threshold (degradedMs); certificate expires in 10 days (2026-12-02), under the 21 days warning threshold",
      },
    ],
  ];
  for (const [name, samples, policy, want] of cases) it(name, () => expect(judgeLatency(samples, policy)).toMatchObject(want));
});

describe("certificate thresholds", () => {
  const now = Date.parse("2026-11-22T12:00:00Z");
  const DAY = 86_400_000;
  const info = (daysLeft: number, extra: Record<string, unknown> = {}) => ({
    notAfter: new Date(now + daysLeft * DAY + 3_600_000).toISOString(),
    daysLeft,
    subject: "CN=api.example.com",
    sans: ["api.example.com"],
    issuer: "CN=R11, O=Let's Encrypt, C=US",
    chainLength: 2,
    hostnameMatches: true,
    selfSigned: false,
    protocol: "TLSv1.3" as const,
    ...extra,
  });
  const policy = { warnDays: 21, criticalDays: 7, allowSelfSigned: false };
  const judge = (i: ReturnType<typeof info>, notBefore = new Date(now - 30 * DAY)) =>
    judgeCertificate(i, notBefore, "api.example.com", policy, now);

  it.each([
    [40, { status: "up" }],
    [21, { status: "up" }],
    [20, { status: "degraded", reason: "certificate expires in 20 days (2026-12-12), under the 21 days warning threshold" }],
    [7, { status: "degraded", reason: "certificate expires in 7 days (2026-11-29), under the 21 days warning threshold" }],
    [6, { status: "down", reason: "certificate expires in 6 days (2026-11-28), under the 7 days critical threshold" }],
    [1, { status: "down", reason: "certificate expires in 1 day (2026-11-23), under the 7 days critical threshold" }],
  ])("%i days left", (days, want) => expect(judge(info(days))).toEqual(want));

  it("puts expiry before everything else", () => {
    expect(judge({ ...info(0), notAfter: new Date(now - 2 * DAY).toISOString(), daysLeft: -2, hostnameMatches: false })).toEqual({
      status: "down",
      reason: "certificate expired 2 days ago (2026-11-20)",
    });
    expect(judge({ ...info(0), notAfter: new Date(now - 3_600_000).toISOString(), daysLeft: -1 })).toEqual({
      status: "down",
      reason: "certificate expired today (2026-11-22)",
    });
    expect(judge(info(40), new Date(now + DAY))).toEqual({
      status: "down",
      reason: "certificate is not valid until 2026-11-23T12:00:00.000Z",
    });
  });

  it("then the name, then self-signature", () => {
    expect(judge(info(40, { hostnameMatches: false, sans: [] }))).toEqual({
      status: "down",
      reason: "certificate does not cover 'api.example.com' (it covers no subjectAltName; subject CN=api.example.com)",
    });
    expect(judge(info(3, { selfSigned: true }))).toEqual({ status: "down", reason: "certificate is self-signed (CN=api.example.com)" });
    expect(
      judgeCertificate(info(40, { selfSigned: true }), new Date(now - DAY), "api.example.com", { ...policy, allowSelfSigned: true }, now),
    ).toEqual({ status: "up" });
  });
});

describe("DNS", () => {
  it("encodes a query exactly (RFC 1035 §4.1, id 0 per RFC 8484 §4.1)", () => {
    expect(toHex(encodeQuery("example.com", "AAAA"))).toBe("000001000001000000000000" + "076578616d706c6503636f6d00" + "001c0001");
    expect(base64url(fromHex("fbff"))).toBe("-_8");
  });

  it("decodes compressed answers", () => {
    // Response to "a.test A": a CNAME to b.test, its A record and an MX, names compressed.
    const built = buildResponse();
    expect(decodeResponse(built)).toEqual({
      id: 0,
      rcode: "NOERROR",
      truncated: false,
      answers: [
        { name: "a.test", type: 5, ttl: 300, value: "b.test" },
        { name: "b.test", type: 1, ttl: 300, value: "192.0.2.1" },
        { name: "a.test", type: 15, ttl: 60, value: "10 mx.b.test" },
      ],
    });
  });

  it("refuses what is not a DNS response", () => {
    expect(() => decodeResponse(fromHex("0000"))).toThrow("response is 2 bytes, shorter than a DNS header");
    expect(() => decodeResponse(encodeQuery("a.test", "A"))).toThrow("message is a query, not a response");
    const loop = Uint8Array.from([0, 0, 0x81, 0x80, 0, 0, 0, 1, 0, 0, 0, 0, 0xc0, 12]);
    expect(() => decodeResponse(loop)).toThrow("name compression loop");
  });

  it("formats and parses IPv6 per RFC 5952", () => {
    expect(formatIpv6(parseIpv6("2001:0DB8:0:0:0:0:0:1")!)).toBe("2001:db8::1");
    expect(formatIpv6(parseIpv6("::")!)).toBe("::");
    expect(formatIpv6(parseIpv6("1:0:0:2:0:0:0:3")!)).toBe("1:0:0:2::3");
    expect(formatIpv6(parseIpv6("1:2:3:4:5:6:7:8")!)).toBe("1:2:3:4:5:6:7:8");
    expect(parseIpv6("1::2::3")).toBeNull();
  });

  it("judges answers", () => {
    const spec = { name: "a.test", recordType: "MX" as const, expected: ["mx.b.test"], match: "contains" as const };
    expect(judgeAnswers(spec, ["10 mx.b.test"])).toBeNull();
    expect(judgeAnswers({ ...spec, expected: ["20 mx.b.test"] }, ["10 mx.b.test"])).toBe("MX a.test lacks 20 mx.b.test (got 10 mx.b.test)");
    expect(judgeAnswers({ ...spec, expected: [] }, [])).toBe("no MX records for a.test");
  });
});

/** A response built by hand, with name compression, for the decoder test. */
function buildResponse(): Uint8Array {
  const b: number[] = [0, 0, 0x81, 0x80, 0, 1, 0, 3, 0, 0, 0, 0];
  b.push(1, 0x61, 4, ...new TextEncoder().encode("test"), 0, 0, 1, 0, 1); // a.test A IN at 12
  const rr = (namePtr: number[], type: number, ttl: number, rdata: number[]) => {
    b.push(
      ...namePtr,
      0,
      type,
      0,
      1,
      (ttl >>> 24) & 255,
      (ttl >>> 16) & 255,
      (ttl >>> 8) & 255,
      ttl & 255,
      rdata.length >> 8,
      rdata.length & 255,
      ...rdata,
    );
  };
  const cnameAt = b.length + 12; // rdata offset of the first record
  rr([0xc0, 12], 5, 300, [1, 0x62, 0xc0, 14]); // b + pointer to "test" (offset 14)
  rr([0xc0, cnameAt], 1, 300, [192, 0, 2, 1]); // name: pointer to "b.test" in the CNAME rdata
  rr([0xc0, 12], 15, 60, [0, 10, 2, 0x6d, 0x78, 0xc0, cnameAt]); // 10 mx.<b.test>
  return Uint8Array.from(b);
}
