/**
 * The TLS probe inside workerd against real Node (OpenSSL) TLS servers on loopback, with
 * certificates made at test time. What the probe reports is compared with OpenSSL's own
 * reading of the same certificate.
 */
import { describe, expect, it } from "vitest";
import { runProbe } from "../../../src/probes";
import { Deadline } from "../../../src/probes/deadline";
import { openTcp } from "../../../src/probes/socket";
import { readCertificateChain } from "../../../src/probes/tls/handshake";
import { acceptsLegacyVersions } from "../../../src/probes/tls/legacy";
import { spawn } from "../fixtures";
import { monitor } from "./spec";

interface ServerInfo {
  port: number;
  statsPort: number;
  notAfter: string;
  subject: string;
  issuer: string;
  subjectAltName: string;
  chainLength: number;
}
interface ServerStats {
  connections: number;
  handshakes: number;
  applicationDataBytes: number;
  clientErrors: string[];
  serverNames: string[];
}

const server = (options: Record<string, unknown> = {}) => spawn("tls", options) as Promise<ServerInfo & Record<string, unknown>>;
const stats = async (s: ServerInfo): Promise<ServerStats> => (await fetch(`http://127.0.0.1:${s.statsPort}/`)).json();
const probe = (port: number, fields: Record<string, unknown> = {}) =>
  runProbe(monitor("tls", { host: "127.0.0.1", servername: "good.test", port, ...fields }), {});
/** OpenSSL's "C=KR\nO=Vigil Test\nCN=x" as RFC 4514, most specific first. */
const rfc4514 = (openssl: string) => openssl.split("\n").reverse().join(", ");
const date = (iso: string) => iso.slice(0, 10);

describe("tls probe: a healthy certificate", () => {
  it("reads an ECDSA P-256 chain over TLS 1.3 and reports what OpenSSL reads", async () => {
    const s = await server({ days: 40, keyType: "ec" });
    const r = await probe(s.port);
    expect(r).toMatchObject({ status: "up" });
    expect(r.reason).toBeUndefined();
    expect(r.tls).toEqual({
      notAfter: s.notAfter,
      daysLeft: 40,
      subject: rfc4514(s.subject),
      sans: ["localhost", "good.test", "127.0.0.1"],
      issuer: rfc4514(s.issuer),
      chainLength: 2,
      hostnameMatches: true,
      selfSigned: false,
      protocol: "TLSv1.3",
      cipherSuite: "TLS_AES_256_GCM_SHA384",
      key: { type: "EC", bits: 256, curve: "P-256" },
      signatureAlgorithm: "ecdsa-with-SHA256",
      chainComplete: true,
      legacyProtocol: "none",
      weaknesses: [],
    });
    expect(s.subjectAltName).toBe("DNS:localhost, DNS:good.test, IP Address:127.0.0.1");
  });

  it("reads an RSA 2048 certificate from a TLS-1.2-only server (certificate in clear)", async () => {
    const s = await server({ days: 40, keyType: "rsa", maxVersion: "TLSv1.2" });
    const r = await probe(s.port);
    expect(r).toMatchObject({ status: "up", tls: { protocol: "TLSv1.2", notAfter: s.notAfter, daysLeft: 40, chainLength: 2 } });
    expect(r.tls).toMatchObject({
      cipherSuite: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
      key: { type: "RSA", bits: 2048 },
      signatureAlgorithm: "ecdsa-with-SHA256", // signed by the EC test CA
      chainComplete: true,
      weaknesses: [],
    });
  });

  it("reads an RSA 2048 certificate over TLS 1.3", async () => {
    const s = await server({ days: 40, keyType: "rsa", minVersion: "TLSv1.3" });
    expect(await probe(s.port)).toMatchObject({ status: "up", tls: { protocol: "TLSv1.3", notAfter: s.notAfter } });
  });

  it("answers a HelloRetryRequest with a P-256 key share (a TLS-1.3-only server whose only group is P-256)", async () => {
    const s = await server({ days: 40, minVersion: "TLSv1.3", ecdhCurve: "P-256" });
    expect(await probe(s.port)).toMatchObject({ status: "up", tls: { protocol: "TLSv1.3", notAfter: s.notAfter } });
    // The handshake itself shows the retry happened.
    const deadline = new Deadline(3_000);
    const socket = await openTcp("127.0.0.1", s.port, deadline);
    try {
      const hs = await readCertificateChain(socket.transport, { serverName: "good.test" });
      expect(hs).toMatchObject({ protocol: "TLSv1.3", helloRetry: true, group: "secp256r1" });
      expect(hs.certificates).toHaveLength(2);
    } finally {
      socket.close();
      deadline.clear();
    }
  });

  it("uses X25519 without a retry, with both the SHA-384 and the SHA-256 key schedule", async () => {
    for (const [ciphers, suite] of [
      [undefined, 0x1302],
      ["TLS_AES_128_GCM_SHA256", 0x1301],
    ] as const) {
      const s = await server({ days: 40, minVersion: "TLSv1.3", ...(ciphers && { ciphers }) });
      const deadline = new Deadline(3_000);
      const socket = await openTcp("127.0.0.1", s.port, deadline);
      try {
        expect(await readCertificateChain(socket.transport, { serverName: "good.test" })).toMatchObject({
          helloRetry: false,
          group: "x25519",
          cipherSuite: suite,
        });
      } finally {
        socket.close();
        deadline.clear();
      }
    }
  });

  it("always sends SNI, and never completes the handshake or sends application data", async () => {
    const s = await server({ days: 40 });
    await probe(s.port, { security: "off" });
    await probe(s.port, { servername: "localhost", security: "off" });
    const tls12 = await server({ days: 40, maxVersion: "TLSv1.2" });
    await probe(tls12.port, { security: "off" });
    for (const [srv, names] of [
      [s, ["good.test", "localhost"]],
      [tls12, ["good.test"]],
    ] as const) {
      const seen = await stats(srv);
      expect(seen.serverNames).toEqual(names);
      expect(seen.connections).toBe(names.length);
      expect(seen.handshakes).toBe(0);
      expect(seen.applicationDataBytes).toBe(0);
    }
  });

  it("checks an IP address against IP SANs and sends no SNI for it", async () => {
    const s = await server({ days: 40 });
    const r = await runProbe(monitor("tls", { host: "127.0.0.1", port: s.port }), {});
    expect(r).toMatchObject({ status: "up", tls: { hostnameMatches: true } });
    expect((await stats(s)).serverNames).toEqual([]);
  });
});

describe("tls probe: expiry thresholds", () => {
  it("is down for an expired certificate", async () => {
    const s = await server({ days: -3 });
    const r = await probe(s.port);
    expect(r).toMatchObject({
      status: "down",
      reason: `certificate expired 3 days ago (${date(s.notAfter)})`,
      tls: { daysLeft: -4, notAfter: s.notAfter },
    });
  });

  it("is down 3 days before expiry (critical: 7 days by default)", async () => {
    const s = await server({ days: 3 });
    const r = await probe(s.port);
    expect(r).toMatchObject({
      status: "down",
      reason: `certificate expires in 3 days (${date(s.notAfter)}), under the 7 days critical threshold`,
      tls: { daysLeft: 3 },
    });
  });

  it("is degraded inside the warning window (21 days by default) and up outside it", async () => {
    const s = await server({ days: 15 });
    expect(await probe(s.port)).toMatchObject({
      status: "degraded",
      reason: `certificate expires in 15 days (${date(s.notAfter)}), under the 21 days warning threshold`,
    });
    const forty = await server({ days: 40 });
    expect((await probe(forty.port)).status).toBe("up");
    expect(await probe(forty.port, { warnDays: 45, criticalDays: 10 })).toMatchObject({ status: "degraded" });
    expect(await probe(forty.port, { warnDays: 60, criticalDays: 45 })).toMatchObject({ status: "down" });
  });
});

describe("tls probe: wrong certificates", () => {
  it("reports a hostname mismatch and what the certificate covers", async () => {
    const s = await server({ days: 40, names: ["other.test", "*.other.test"] });
    const r = await probe(s.port);
    expect(r).toMatchObject({
      status: "down",
      reason: "certificate does not cover 'good.test' (it covers other.test, *.other.test)",
      tls: { hostnameMatches: false },
    });
    expect(await probe(s.port, { servername: "api.other.test" })).toMatchObject({ status: "up", tls: { hostnameMatches: true } });
  });

  it("reports a self-signed certificate unless it is allowed", async () => {
    const s = await server({ days: 40, selfSigned: true, keyType: "rsa" });
    const r = await probe(s.port);
    expect(r).toMatchObject({
      status: "down",
      reason: `certificate is self-signed (${rfc4514(s.subject)})`,
      tls: { selfSigned: true, chainLength: 1 },
    });
    expect(r.tls!.issuer).toBe(r.tls!.subject);
    expect(await probe(s.port, { allowSelfSigned: true })).toMatchObject({ status: "up", tls: { selfSigned: true } });
  });
});

describe("tls probe: servers that fail", () => {
  it("names the alert a server sends (no common cipher suite)", async () => {
    const s = await server({ minVersion: "TLSv1.3", ciphers: "TLS_CHACHA20_POLY1305_SHA256" });
    expect(await probe(s.port)).toMatchObject({ status: "down", reason: "TLS handshake failed: server sent alert handshake_failure (40)" });
  });

  it("says when a server answers with something that is not TLS", async () => {
    const { port } = await spawn("tcp-script", { behaviour: "garbage" });
    expect(await probe(port)).toMatchObject({
      status: "down",
      reason: 'TLS handshake failed: server did not answer with TLS; it sent "HTTP/1.1 400 Bad Request…"',
    });
  });

  it("says when a server closes mid-handshake", async () => {
    const afterHello = await server({ cutAfterBytes: 200 });
    expect(await probe(afterHello.port)).toMatchObject({
      status: "down",
      reason:
        "TLS handshake failed: server closed the connection in the middle of a TLS record after the ServerHello, before sending its certificate",
    });
    const early = await server({ cutAfterBytes: 3 });
    expect(await probe(early.port)).toMatchObject({
      status: "down",
      reason: "TLS handshake failed: server closed the connection in the middle of a TLS record before answering the ClientHello",
    });
  });

  it("times out on a server that never answers", async () => {
    const { port } = await spawn("tcp-script", { behaviour: "silent" });
    const started = Date.now();
    expect(await probe(port, { timeout: "800ms" })).toMatchObject({
      status: "down",
      reason: "timed out after 800 ms waiting for the server's certificate",
    });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("says when nothing listens", async () => {
    const { port } = await spawn("closed-port");
    expect(await probe(port)).toMatchObject({ status: "down", reason: `connection refused by 127.0.0.1:${port}` });
  });
});

describe("failed connections leave no unhandled rejection behind", () => {
  // A rejection nobody handles (a socket's `closed`, a read cancelled by `close()`, the loser of
  // a timeout race) is logged by the runtime as an error for every probe run.
  it("after an alert, a non-TLS answer, a close mid-handshake, a timeout, a refused connection and a refused https:// or wss:// certificate", async () => {
    const rejections: unknown[] = [];
    const listener = (event: PromiseRejectionEvent) => void rejections.push(event.reason);
    globalThis.addEventListener("unhandledrejection", listener);
    try {
      const alert = await server({ minVersion: "TLSv1.3", ciphers: "TLS_CHACHA20_POLY1305_SHA256" });
      const garbage = await spawn("tcp-script", { behaviour: "garbage" });
      const afterHello = await server({ cutAfterBytes: 200 });
      const early = await server({ cutAfterBytes: 3 });
      const silent = await spawn("tcp-script", { behaviour: "silent" });
      const closed = await spawn("closed-port");
      const expired = await server({ days: -3 });
      for (const [port, fields] of [
        [alert.port],
        [garbage.port],
        [afterHello.port],
        [early.port],
        [silent.port, { timeout: "300ms" }],
        [closed.port],
      ] as const) {
        expect(await probe(port as number, fields)).toMatchObject({ status: "down" });
      }
      expect(await runProbe(monitor("http", { url: `https://localhost:${expired.port}/`, timeout: "2s" }), {})).toMatchObject({
        status: "down",
      });
      expect(await runProbe(monitor("websocket", { url: `wss://localhost:${expired.port}/`, timeout: "2s" }), {})).toMatchObject({
        status: "down",
      });
      // Late rejections (a pending read cancelled by the socket's close) arrive after the probe returns.
      await new Promise((resolve) => setTimeout(resolve, 250));
      expect(rejections.map(String)).toEqual([]);
    } finally {
      globalThis.removeEventListener("unhandledrejection", listener);
    }
  });
});

describe("https:// and wss:// failures are explained with the TLS reader", () => {
  // The runtime's fetch refuses these certificates with only "internal error; reference = …".
  it("says an HTTPS endpoint's certificate expired", async () => {
    const s = await server({ days: -3 });
    const r = await runProbe(monitor("http", { url: `https://localhost:${s.port}/health` }), {});
    expect(r).toMatchObject({
      status: "down",
      reason: `TLS handshake with localhost:${s.port} failed: certificate expired 3 days ago (${date(s.notAfter)})`,
    });
  });

  it("says a WSS endpoint's certificate is for another name", async () => {
    const s = await server({ days: 40, names: ["other.test"] });
    const r = await runProbe(monitor("websocket", { url: `wss://localhost:${s.port}/sync` }), {});
    expect(r).toMatchObject({
      status: "down",
      reason: `TLS handshake with localhost:${s.port} failed: certificate does not cover 'localhost' (it covers other.test)`,
    });
  });

  it("points at the chain when the certificate itself looks fine", async () => {
    const s = await server({ days: 40 });
    const r = await runProbe(monitor("http", { url: `https://localhost:${s.port}/` }), {});
    expect(r.reason).toBe(
      `TLS handshake with localhost:${s.port} failed: certificate is not trusted (issuer ${rfc4514(s.issuer)}; it is in date and covers localhost, so its chain does not lead to a trusted authority)`,
    );
  });

  it("follows an http → https redirect to explain the failure where it happened", async () => {
    const s = await server({ days: -1, selfSigned: true });
    const { port } = await spawn("http-lab");
    const r = await runProbe(
      monitor("http", { url: `http://127.0.0.1:${port}/redirect-to?url=${encodeURIComponent(`https://localhost:${s.port}/`)}` }),
      {},
    );
    expect(r.reason).toBe(`TLS handshake with localhost:${s.port} failed: certificate expired 1 day ago (${date(s.notAfter)})`);
  });
});

describe("tls probe: the TLS baseline (security)", () => {
  // OpenSSL refuses weak keys, SHA-1 and TLS 1.0 at its default security level: the servers
  // that show them run at level 0.
  const weak = { ciphers: "DEFAULT@SECLEVEL=0" };
  const intermediate = "CN=Vigil Test Intermediate, O=Vigil Test, C=KR";

  it("a good TLS 1.2 / 1.3 server passes, and the old-versions ClientHello gets an alert", async () => {
    const s = await server({ days: 40 });
    const r = await probe(s.port);
    expect(r).toMatchObject({ status: "up", tls: { legacyProtocol: "none", weaknesses: [], chainComplete: true } });
    const seen = await stats(s);
    expect(seen.connections).toBe(2); // the certificate, then the TLS 1.0 / 1.1 offer
    expect(seen.handshakes).toBe(0);
    expect(seen.clientErrors.join("\n")).toMatch(/unsupported protocol/);
  });

  it("flags a server that accepts TLS 1.0 / 1.1: degraded by default, down with fail, unchecked with off", async () => {
    const s = await server({ days: 40, minVersion: "TLSv1", ...weak });
    const r = await probe(s.port);
    expect(r).toMatchObject({
      status: "degraded",
      reason: "weak TLS setup: accepts TLS 1.1",
      tls: { protocol: "TLSv1.3", legacyProtocol: "TLSv1.1", weaknesses: ["accepts TLS 1.1"] },
    });
    expect(await probe(s.port, { security: "fail" })).toMatchObject({ status: "down", reason: "weak TLS setup: accepts TLS 1.1" });
    const off = await probe(s.port, { security: "off" });
    expect(off.status).toBe("up");
    expect(off.tls).not.toHaveProperty("legacyProtocol");
    expect(off.tls).not.toHaveProperty("weaknesses");
    const only10 = await server({ days: 40, minVersion: "TLSv1", maxVersion: "TLSv1.2", ...weak });
    expect((await probe(only10.port)).tls).toMatchObject({ protocol: "TLSv1.2", legacyProtocol: "TLSv1.1" });
  });

  it("flags an RSA key under 2048 bits", async () => {
    const s = await server({ days: 40, keyType: "rsa", rsaBits: 1024, ...weak });
    expect(await probe(s.port)).toMatchObject({
      status: "degraded",
      reason: "weak TLS setup: 1024-bit RSA key on the leaf (under 2048)",
      tls: { key: { type: "RSA", bits: 1024 }, legacyProtocol: "none" },
    });
  });

  it("flags a SHA-1 signature, and reports it after an expiry warning", async () => {
    const s = await server({ days: 15, hash: "sha1", ...weak });
    expect(await probe(s.port)).toMatchObject({
      status: "degraded",
      reason: `certificate expires in 15 days (${date(s.notAfter)}), under the 21 days warning threshold; weak TLS setup: SHA-1 signature on the leaf (ecdsa-with-SHA1)`,
      tls: { signatureAlgorithm: "ecdsa-with-SHA1" },
    });
    expect(await probe(s.port, { security: "fail" })).toMatchObject({ status: "down" });
  });

  it("names an RSA CA's SHA-1 signature, and reads an Ed25519 key", async () => {
    const s = await server({ days: 40, hash: "sha1", caKeyType: "rsa", ...weak });
    expect(await probe(s.port, { security: "fail" })).toMatchObject({
      status: "down",
      reason: "weak TLS setup: SHA-1 signature on the leaf (sha1WithRSAEncryption)",
      tls: { signatureAlgorithm: "sha1WithRSAEncryption", key: { type: "EC", curve: "P-256" } },
    });
    const ed = await server({ days: 40, keyType: "ed25519" });
    expect(await probe(ed.port)).toMatchObject({ status: "up", tls: { key: { type: "Ed25519", bits: 256 }, weaknesses: [] } });
  });

  it("flags a leaf served without its intermediate, and passes the same chain served whole", async () => {
    const missing = await server({ days: 40, intermediate: "omitted" });
    expect(await probe(missing.port)).toMatchObject({
      status: "degraded",
      reason: `weak TLS setup: incomplete chain: the issuer ${intermediate} was not sent`,
      tls: { chainLength: 1, chainComplete: false, issuer: intermediate },
    });
    const whole = await server({ days: 40, intermediate: "sent" });
    expect(await probe(whole.port)).toMatchObject({ status: "up", tls: { chainLength: 2, chainComplete: true, weaknesses: [] } });
  });

  it("builds the path from the leaf whatever the order, and names the missing link", async () => {
    const shuffled = await server({ days: 40, serve: ["leaf", "root", "intermediate"] });
    expect(await probe(shuffled.port)).toMatchObject({ status: "up", tls: { chainLength: 3, chainComplete: true } });
    const withRoot = await server({ days: 40, serve: ["leaf", "intermediate", "root"] });
    expect(await probe(withRoot.port)).toMatchObject({ status: "up", tls: { chainLength: 3, chainComplete: true } });
    const gap = await server({ days: 40, serve: ["leaf", "root"] });
    expect(await probe(gap.port)).toMatchObject({
      status: "degraded",
      reason: `weak TLS setup: incomplete chain: the issuer ${intermediate} was not sent`,
      tls: { chainLength: 2, chainComplete: false },
    });
  });

  it("reads the old-versions ClientHello's answer: a ServerHello, an alert, a close, or not TLS", async () => {
    const ask = async (port: number) => {
      const deadline = new Deadline(3_000);
      const socket = await openTcp("127.0.0.1", port, deadline);
      try {
        return await acceptsLegacyVersions(socket.transport, "good.test");
      } finally {
        socket.close();
        deadline.clear();
      }
    };
    expect(await ask((await server({ days: 40, minVersion: "TLSv1", ...weak })).port)).toBe("TLSv1.1");
    expect(await ask((await server({ days: 40, minVersion: "TLSv1", maxVersion: "TLSv1", ...weak })).port)).toBe("TLSv1");
    expect(await ask((await server({ days: 40 })).port)).toBe("none");
    expect(await ask((await server({ days: 40, cutAfterBytes: 0 })).port)).toBe("none");
    await expect(ask((await spawn("tcp-script", { behaviour: "garbage" })).port)).rejects.toThrow(/did not answer with TLS/);
  });

  it("does not check the baseline of a certificate that is already down", async () => {
    const s = await server({ days: -2, minVersion: "TLSv1", ...weak });
    const r = await probe(s.port);
    expect(r).toMatchObject({ status: "down", reason: `certificate expired 2 days ago (${date(s.notAfter)})`, tls: { weaknesses: [] } });
    expect(r.tls).not.toHaveProperty("legacyProtocol");
    expect((await stats(s)).connections).toBe(1);
  });

  it("keeps the second connection within the probe's timeout: a server that never answers it leaves the result as it was", async () => {
    const s = await server({ days: 40, silentAfter: 1 });
    const started = Date.now();
    const r = await probe(s.port, { timeout: "1s" });
    expect(Date.now() - started).toBeLessThan(1_800);
    expect(r).toMatchObject({ status: "up", tls: { weaknesses: [] } });
    expect(r.tls).not.toHaveProperty("legacyProtocol");
  });
});
