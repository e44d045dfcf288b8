/**
 * The domain probe inside workerd against a loopback RDAP server (test/servers/rdap.ts) that
 * answers domain lookups the way registries do: JSON with events, 404, redirects to the
 * registrar's server, and the broken answers a probe must word. IANA's bootstrap registry
 * itself is out of reach here (no traffic beyond loopback): `rdapBaseFor` is tested against a
 * loopback copy of its format.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { monitorSpec } from "../../../src/config";
import { runProbe } from "../../../src/probes";
import { Deadline } from "../../../src/probes/deadline";
import { clearBootstrapCache, rdapBaseFor, rdapDomainUrl } from "../../../src/probes/domain";
import { spawn } from "../fixtures";
import { monitor } from "./spec";

const DAY = 86_400_000;
/** An expiry `n` whole days ahead (an hour of slack so the probe still counts `n`). */
const inDays = (n: number) => new Date(Date.now() + n * DAY + (n >= 0 ? 1 : -1) * 3_600_000).toISOString().replace(/\.\d+Z$/, "Z");
const date = (iso: string) => iso.slice(0, 10);

const soon = inDays(20);
const critical = inDays(3);
const expired = inDays(-2);
const later = inDays(200);

async function rdap() {
  const s = await spawn("rdap", {
    domains: {
      "example.test": { expires: later, registrar: "Example Registrar, Inc." },
      "soon.test": { expires: soon },
      "critical.test": { expires: critical },
      "expired.test": { expires: expired },
      "redeem.test": { expires: later, status: ["redemption period"] },
      "no-expiry.test": {},
      "moved.test": { expires: later, redirect: true },
    },
  });
  return { ...s, url: s.url as string, requests: async (): Promise<string[]> => (await fetch(`${s.url}/requests`)).json() };
}

const probe = (base: string, domain: string, fields: Record<string, unknown> = {}) =>
  runProbe(monitor("domain", { domain, rdap: base, ...fields }), {});

describe("domain probe: registration expiry over RDAP", () => {
  it("reads the expiration event, the registrar and the status", async () => {
    const s = await rdap();
    const r = await probe(`${s.url}/`, "example.test");
    expect(r).toMatchObject({ status: "up" });
    expect(r.reason).toBeUndefined();
    expect(r.domain).toEqual({
      expiresAt: new Date(later).toISOString(),
      daysLeft: 200,
      registrar: "Example Registrar, Inc.",
      status: ["active"],
      rdapUrl: `${s.url}/domain/example.test`,
    });
    // A base without the trailing slash RFC 9224 asks for works the same.
    expect((await probe(s.url, "Example.Test.")).domain?.rdapUrl).toBe(`${s.url}/domain/example.test`);
  });

  it("is degraded under warnDays (30 by default) and down under criticalDays (7) or once expired", async () => {
    const s = await rdap();
    expect(await probe(s.url, "soon.test")).toMatchObject({
      status: "degraded",
      reason: `domain soon.test expires in 20 days (${date(soon)}), under the 30 days warning threshold`,
      domain: { daysLeft: 20 },
    });
    expect(await probe(s.url, "soon.test", { warnDays: 15 })).toMatchObject({ status: "up" });
    expect(await probe(s.url, "soon.test", { warnDays: 60, criticalDays: 21 })).toMatchObject({ status: "down" });
    expect(await probe(s.url, "critical.test")).toMatchObject({
      status: "down",
      reason: `domain critical.test expires in 3 days (${date(critical)}), under the 7 days critical threshold`,
    });
    expect(await probe(s.url, "expired.test")).toMatchObject({
      status: "down",
      reason: `domain expired.test expired 2 days ago (${date(expired)})`,
      domain: { daysLeft: -3 },
    });
  });

  it("is down for a registration in redemption", async () => {
    const s = await rdap();
    expect(await probe(s.url, "redeem.test")).toMatchObject({
      status: "down",
      reason: "domain redeem.test is in redemption period (RDAP status)",
    });
  });

  it("follows a redirect to the registrar's server", async () => {
    const s = await rdap();
    const r = await probe(s.url, "moved.test");
    expect(r).toMatchObject({ status: "up", domain: { rdapUrl: `${s.url}/registrar/domain/moved.test`, daysLeft: 200 } });
    expect(await s.requests()).toEqual(["/domain/moved.test", "/registrar/domain/moved.test"]);
  });
});

describe("domain probe: answers that are not a registration", () => {
  it("words each one", async () => {
    const s = await rdap();
    const host = `127.0.0.1:${s.port}`;
    const cases: [string, string, string][] = [
      [s.url, "nope.test", `no such domain: nope.test (RDAP server ${host} answered 404)`],
      [s.url, "no-expiry.test", `RDAP record for no-expiry.test has no expiration event (${host})`],
      [`${s.url}/html/`, "example.test", `RDAP answer from ${host} is not JSON (text/html)`],
      [`${s.url}/big/`, "example.test", `RDAP answer from ${host} is over 256 KiB`],
      [`${s.url}/error/`, "example.test", `RDAP server ${host} answered HTTP 503`],
      [`${s.url}/loop/`, "example.test", `RDAP redirect loop: ${s.url}/loop/domain/example.test → ${s.url}/loop/domain/example.test`],
    ];
    for (const [base, domain, reason] of cases) expect(await probe(base, domain)).toMatchObject({ status: "down", reason });
  });

  it("times out on a server that never answers, within the timeout", async () => {
    const s = await rdap();
    const started = Date.now();
    expect(await probe(`${s.url}/silent/`, "example.test", { timeout: "1s" })).toMatchObject({
      status: "down",
      reason: `timed out after 1 s waiting for the RDAP server 127.0.0.1:${s.port}`,
    });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("says when nothing listens", async () => {
    const { port } = await spawn("closed-port");
    expect(await probe(`http://127.0.0.1:${port}/`, "example.test")).toMatchObject({
      status: "down",
      reason: `RDAP server: connection refused by 127.0.0.1:${port}`,
    });
  });
});

describe("domain monitor config", () => {
  const parse = (fields: Record<string, unknown>) =>
    monitorSpec.safeParse({ id: "d", service: "s", type: "domain", domain: "example.com", ...fields });

  it("checks every 6 hours by default, with 30 / 7 day thresholds", () => {
    const r = parse({});
    expect(r.success && r.data).toMatchObject({ interval: 6 * 3_600_000, timeout: 10_000, warnDays: 30, criticalDays: 7 });
    expect(parse({ interval: "1h" }).data).toMatchObject({ interval: 3_600_000 });
  });

  it("names the field that is wrong", () => {
    const issues = (fields: Record<string, unknown>) => parse(fields).error?.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    expect(issues({ domain: "localhost" })).toEqual(["domain: expected a registered domain such as example.com"]);
    expect(issues({ rdap: "ftp://rdap.example/" })).toEqual(["rdap: Invalid url: expected an http:// or https:// URL"]);
    expect(issues({ warnDays: 10, criticalDays: 10 })).toEqual(["criticalDays: must be below warnDays (10), got 10"]);
  });
});

describe("the RDAP bootstrap registry (RFC 9224)", () => {
  beforeEach(() => clearBootstrapCache());

  it("finds a TLD's server, keeps the registry a day, and says when a TLD has none", async () => {
    const s = await spawn("rdap", { tlds: ["test", "example"] });
    const source = `${s.url}/dns.json`;
    const requests = async (): Promise<string[]> => (await fetch(`${s.url}/requests`)).json();
    const deadline = new Deadline(3_000);
    try {
      const now = Date.now();
      expect(await rdapBaseFor("www.Shop.test", deadline, { source, now })).toBe(`${s.url}/`);
      expect(await rdapBaseFor("a.example", deadline, { source, now: now + 1_000 })).toBe(`${s.url}/`);
      expect(await requests()).toEqual(["/dns.json"]);
      await expect(rdapBaseFor("a.zz", deadline, { source, now })).rejects.toThrow(
        "no RDAP server for .zz in IANA's bootstrap registry; set rdap to the registry's RDAP URL",
      );
      await rdapBaseFor("a.test", deadline, { source, now: now + DAY + 1 });
      expect(await requests()).toEqual(["/dns.json", "/dns.json"]);
      expect(rdapDomainUrl(`${s.url}/`, "a.test").href).toBe(`${s.url}/domain/a.test`);
    } finally {
      deadline.clear();
    }
  });

  it("words a registry it cannot read, and asks again only after 5 minutes", async () => {
    const s = await spawn("rdap");
    const source = `${s.url}/not-there.json`;
    const requests = async (): Promise<string[]> => (await fetch(`${s.url}/requests`)).json();
    const deadline = new Deadline(3_000);
    try {
      const now = Date.now();
      const failure = `cannot read IANA's RDAP bootstrap registry (${source}): HTTP 400`;
      await expect(rdapBaseFor("a.test", deadline, { source, now })).rejects.toThrow(failure);
      await expect(rdapBaseFor("a.test", deadline, { source, now: now + 60_000 })).rejects.toThrow(failure);
      expect(await requests()).toEqual(["/not-there.json"]);
      await expect(rdapBaseFor("a.test", deadline, { source, now: now + 5 * 60_000 + 1 })).rejects.toThrow(failure);
      expect(await requests()).toEqual(["/not-there.json", "/not-there.json"]);
      await expect(rdapBaseFor("a.test", deadline, { source: `${s.url}/html/domain/x` })).rejects.toThrow(/: it is not JSON$/);
    } finally {
      deadline.clear();
    }
  });
});
