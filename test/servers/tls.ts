/**
 * Spawn kind "tls": a real Node TLS server (OpenSSL) with a certificate made at test time.
 *
 * Options: `days` until expiry (negative: expired), `keyType` "rsa" | "ec", `names` (SANs),
 * `selfSigned`, `minVersion` / `maxVersion`, `ecdhCurve` (e.g. "P-256" to force a
 * HelloRetryRequest), `ciphers` (OpenSSL cipher list; TLS 1.3 suite names work too),
 * `rsaBits` (the leaf's RSA key size), `caKeyType` (the CA's, default "ec"), `hash` ("sha1":
 * the leaf's signature),
 * `intermediate` ("sent" or "omitted": a root → intermediate → leaf chain, the intermediate
 * served or not), `serve` (that chain, sending these in this order: ["leaf", "root",
 * "intermediate"]), `cutAfterBytes` (a proxy in front forwards only that many bytes of the
 * server's answer, then closes) and `silentAfter` (a proxy in front forwards that many
 * connections and holds later ones open without a byte). Weak keys, SHA-1 and TLS 1.0 need
 * `ciphers: "DEFAULT@SECLEVEL=0"` (OpenSSL refuses them otherwise).
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
  rsaBits?: number;
  caKeyType?: KeyType;
  hash?: "sha256" | "sha1";
  intermediate?: "sent" | "omitted";
  serve?: ("leaf" | "intermediate" | "root")[];
  cutAfterBytes?: number;
  silentAfter?: number;
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
        keyType: options.caKeyType ?? "ec",
        commonName: "Vigil Test CA",
        sans: [],
        notBefore: new Date(now - 400 * DAY),
        notAfter: new Date(now + 400 * DAY),
        isCa: true,
      });
  const intermediate =
    ca && (options.intermediate || options.serve)
      ? issueCertificate({
          keyType: "ec",
          commonName: "Vigil Test Intermediate",
          sans: [],
          notBefore: new Date(now - 300 * DAY),
          notAfter: new Date(now + 300 * DAY),
          isCa: true,
          issuer: ca,
        })
      : undefined;
  const leaf = issueCertificate({
    keyType,
    commonName: options.commonName ?? names[0] ?? "localhost",
    sans: names,
    notBefore,
    notAfter,
    ...(options.rsaBits && { rsaBits: options.rsaBits }),
    ...(options.hash && { hash: options.hash }),
    ...((intermediate ?? ca) && { issuer: intermediate ?? ca }),
  });
  // Leaf first, then its issuer: the CA, or the intermediate (unless omitted).
  const chain = options.serve
    ? options.serve.map((c) => (c === "leaf" ? leaf : c === "root" ? ca! : intermediate!))
    : intermediate
      ? options.intermediate === "sent"
        ? [leaf, intermediate]
        : [leaf]
      : ca
        ? [leaf, ca]
        : [leaf];

  const stats = { connections: 0, handshakes: 0, applicationDataBytes: 0, clientErrors: [] as string[], serverNames: [] as string[] };
  const server = createTlsServer({
    key: leaf.keyPem,
    cert: chain.map((c) => c.certPem).join(""),
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
  if (options.cutAfterBytes !== undefined || options.silentAfter !== undefined) {
    const cut = options.cutAfterBytes ?? Infinity;
    const tlsPort = port;
    let forwardedConnections = 0;
    proxy = createNetServer((client) => {
      sockets.add(client);
      client.on("close", () => sockets.delete(client));
      client.on("error", () => {});
      if (options.silentAfter !== undefined && forwardedConnections++ >= options.silentAfter) return;
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
      chainLength: chain.length,
    },
    async close() {
      for (const s of sockets) s.destroy();
      await Promise.all([server, statsServer, ...(proxy ? [proxy] : [])].map((s) => new Promise<void>((r) => s.close(() => r()))));
    },
  };
}
