/**
 * Spawn kind "tls": a real Node TLS server (OpenSSL) with a certificate made at test time.
 *
 * Options: `days` until expiry (negative: expired), `keyType` "rsa" | "ec", `names` (SANs),
 * `selfSigned`, `minVersion` / `maxVersion`, `ecdhCurve` (e.g. "P-256" to force a
 * HelloRetryRequest), `ciphers` (OpenSSL cipher list; TLS 1.3 suite names work too), and `cutAfterBytes`: put a proxy in
 * front that forwards only that many bytes of the server's answer, then closes.
 *
 * Info: the port, OpenSSL's reading of the leaf (notAfter, subject, issuer, fingerprint) and a
 * `statsPort` whose HTTP answer counts connections, completed handshakes, application-data
 * bytes received, TLS client errors and the SNI names received.
 */
import { createServer as createHttpServer } from "node:http";
import { createServer as createNetServer, connect as netConnect, type AddressInfo, type Server, type Socket } from "node:net";
import { createServer as createTlsServer, type SecureVersion } from "node:tls";
import { issueCertificate, type KeyType } from "./certs";
import type { Spawned } from "./index";

export interface TlsServerOptions {
  days?: number;
  keyType?: KeyType;
  names?: string[];
  commonName?: string;
  selfSigned?: boolean;
  minVersion?: SecureVersion;
  maxVersion?: SecureVersion;
  ecdhCurve?: string;
  ciphers?: string;
  cutAfterBytes?: number;
}

const DAY = 86_400_000;

const listen = (server: Server | ReturnType<typeof createHttpServer>) =>
  new Promise<number>((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)));

export async function spawnTls(options: TlsServerOptions): Promise<Spawned> {
  const now = Date.now();
  const days = options.days ?? 90;
  const keyType = options.keyType ?? "ec";
  const names = options.names ?? ["localhost", "good.test", "127.0.0.1"];
  const notBefore = new Date(Math.min(now - 30 * DAY, now + days * DAY - 60 * DAY));
  // An hour of slack so that "3 days" still reads as 3 whole days when the probe runs.
  const notAfter = new Date(now + days * DAY + (days >= 0 ? 1 : -1) * 3_600_000);
  const ca = options.selfSigned
    ? undefined
    : issueCertificate({
        keyType: "ec",
        commonName: "Vigil Test CA",
        sans: [],
        notBefore: new Date(now - 400 * DAY),
        notAfter: new Date(now + 400 * DAY),
        isCa: true,
      });
  const leaf = issueCertificate({
    keyType,
    commonName: options.commonName ?? names[0] ?? "localhost",
    sans: names,
    notBefore,
    notAfter,
    ...(ca && { issuer: ca }),
  });

  const stats = { connections: 0, handshakes: 0, applicationDataBytes: 0, clientErrors: [] as string[], serverNames: [] as string[] };
  const server = createTlsServer({
    key: leaf.keyPem,
    cert: leaf.certPem + (ca?.certPem ?? ""),
    ...(options.minVersion && { minVersion: options.minVersion }),
    ...(options.maxVersion && { maxVersion: options.maxVersion }),
    ...(options.ecdhCurve && { ecdhCurve: options.ecdhCurve }),
    ...(options.ciphers && { ciphers: options.ciphers }),
    SNICallback: (servername, cb) => {
      stats.serverNames.push(servername);
      cb(null, undefined); // the default context
    },
  });
  const sockets = new Set<Socket>();
  server.on("connection", (s: Socket) => {
    stats.connections++;
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  server.on("secureConnection", (s) => {
    stats.handshakes++;
    s.on("data", (d: Buffer) => (stats.applicationDataBytes += d.byteLength));
    s.on("error", () => {});
  });
  server.on("tlsClientError", (err) => stats.clientErrors.push(err.message));
  let port = await listen(server);

  // Optional proxy that cuts the server's answer short.
  let proxy: Server | undefined;
  if (options.cutAfterBytes !== undefined) {
    const cut = options.cutAfterBytes;
    const tlsPort = port;
    proxy = createNetServer((client) => {
      const upstream = netConnect(tlsPort, "127.0.0.1");
      let forwarded = 0;
      client.on("data", (d) => upstream.write(d));
      upstream.on("data", (d: Buffer) => {
        const room = cut - forwarded;
        if (room > 0) client.write(d.subarray(0, room));
        forwarded += d.byteLength;
        if (forwarded >= cut) {
          client.destroy();
          upstream.destroy();
        }
      });
      client.on("error", () => upstream.destroy());
      upstream.on("error", () => client.destroy());
      client.on("close", () => upstream.destroy());
    });
    port = await listen(proxy);
  }

  const statsServer = createHttpServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(stats));
  });
  const statsPort = await listen(statsServer);

  return {
    info: {
      port,
      statsPort,
      notAfter: new Date(leaf.openssl.validTo).toISOString(),
      subject: leaf.openssl.subject,
      issuer: leaf.openssl.issuer,
      subjectAltName: leaf.openssl.subjectAltName,
      fingerprint256: leaf.openssl.fingerprint256,
      chainLength: ca ? 2 : 1,
    },
    async close() {
      for (const s of sockets) s.destroy();
      await Promise.all([server, statsServer, ...(proxy ? [proxy] : [])].map((s) => new Promise<void>((r) => s.close(() => r()))));
    },
  };
}
