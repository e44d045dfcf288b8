/**
 * Test certificates made at test time, with the validity, names and key type a test asks for.
 * Built with @peculiar/asn1-x509 and signed by node:crypto; Node's own X509Certificate
 * (OpenSSL) reads each one back, so what tests assert comes from an independent parser.
 */
import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import * as x from "@peculiar/asn1-x509";
import { X509Certificate, createHash, createPrivateKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type RequestListener } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";

export type KeyType = "rsa" | "ec" | "ed25519";

export interface Issued {
  certPem: string;
  keyPem: string;
  /** OpenSSL's reading of the certificate. */
  openssl: X509Certificate;
  name: x.Name;
  key: KeyObject;
  keyId: ArrayBuffer;
}

export interface CertOptions {
  keyType: KeyType;
  commonName: string;
  /** DNS names and IPv4 addresses. */
  sans: string[];
  notBefore: Date;
  notAfter: Date;
  /** Signs with this CA; without one the certificate is self-signed. */
  issuer?: Issued;
  isCa?: boolean;
  /** RSA modulus size. Default 2048. */
  rsaBits?: number;
  /** The signature's hash. Default sha256. */
  hash?: "sha256" | "sha1";
}

function name(commonName: string): x.Name {
  const rdn = (type: string, value: string) =>
    new x.RelativeDistinguishedName([new x.AttributeTypeAndValue({ type, value: new x.AttributeValue({ utf8String: value }) })]);
  return new x.Name([rdn("2.5.4.6", "KR"), rdn("2.5.4.10", "Vigil Test"), rdn("2.5.4.3", commonName)]);
}

function extension(oid: string, value: unknown, critical = false): x.Extension {
  return new x.Extension({ extnID: oid, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });
}

/** 64-character lines and no blank one (OpenSSL refuses a PEM whose base64 is a multiple of 64 long followed by an empty line). */
const toPem = (der: ArrayBuffer, label: string) =>
  `-----BEGIN ${label}-----\n${Buffer.from(der)
    .toString("base64")
    .match(/.{1,64}/g)!
    .join("\n")}\n-----END ${label}-----\n`;

/** Whole seconds: X.509 times have no fractions. */
export const seconds = (d: Date) => new Date(Math.floor(d.getTime() / 1000) * 1000);

export function issueCertificate(o: CertOptions): Issued {
  const pair =
    o.keyType === "rsa"
      ? generateKeyPairSync("rsa", { modulusLength: o.rsaBits ?? 2048 })
      : o.keyType === "ed25519"
        ? generateKeyPairSync("ed25519")
        : generateKeyPairSync("ec", { namedCurve: "P-256" });
  const spki = AsnConvert.parse(pair.publicKey.export({ type: "spki", format: "der" }), x.SubjectPublicKeyInfo);
  const keyIdBytes = createHash("sha1").update(Buffer.from(spki.subjectPublicKey)).digest();
  const keyId = keyIdBytes.buffer.slice(keyIdBytes.byteOffset, keyIdBytes.byteOffset + keyIdBytes.byteLength);
  const signer = o.issuer ?? { name: name(o.commonName), key: pair.privateKey, keyId };
  const signerType = signer.key.asymmetricKeyType === "rsa" ? "rsa" : signer.key.asymmetricKeyType === "ed25519" ? "ed25519" : "ec";
  const hash = o.hash ?? "sha256";
  const algorithm =
    signerType === "ed25519"
      ? new x.AlgorithmIdentifier({ algorithm: "1.3.101.112" }) // Ed25519 (RFC 8410: no parameters)
      : signerType === "rsa"
        ? new x.AlgorithmIdentifier({ algorithm: hash === "sha1" ? "1.2.840.113549.1.1.5" : "1.2.840.113549.1.1.11", parameters: null }) // sha1/sha256WithRSAEncryption
        : new x.AlgorithmIdentifier({ algorithm: hash === "sha1" ? "1.2.840.10045.4.1" : "1.2.840.10045.4.3.2" }); // ecdsa-with-SHA1/SHA256
  const sans = o.sans.map((s) =>
    /^\d+\.\d+\.\d+\.\d+$/.test(s) ? new x.GeneralName({ iPAddress: s }) : new x.GeneralName({ dNSName: s }),
  );
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x40; // positive, and minimal DER (no leading zero byte)
  const tbs = new x.TBSCertificate({
    version: x.Version.v3,
    serialNumber: serial.buffer.slice(serial.byteOffset, serial.byteOffset + 16),
    signature: algorithm,
    issuer: signer.name,
    validity: new x.Validity({ notBefore: seconds(o.notBefore), notAfter: seconds(o.notAfter) }),
    subject: name(o.commonName),
    subjectPublicKeyInfo: spki,
    extensions: new x.Extensions([
      extension(x.id_ce_basicConstraints, new x.BasicConstraints({ cA: o.isCa ?? false }), true),
      extension(x.id_ce_subjectKeyIdentifier, new x.SubjectKeyIdentifier(keyId)),
      extension(x.id_ce_authorityKeyIdentifier, new x.AuthorityKeyIdentifier({ keyIdentifier: new x.KeyIdentifier(signer.keyId) })),
      ...(sans.length > 0 ? [extension(x.id_ce_subjectAltName, new x.SubjectAlternativeName(sans))] : []),
    ]),
  });
  const tbsDer = Buffer.from(AsnConvert.serialize(tbs));
  const signature = sign(signerType === "ed25519" ? null : hash, tbsDer, signer.key);
  const cert = new x.Certificate({
    tbsCertificate: tbs,
    signatureAlgorithm: algorithm,
    signatureValue: signature.buffer.slice(signature.byteOffset, signature.byteOffset + signature.byteLength),
  });
  const certPem = toPem(AsnConvert.serialize(cert), "CERTIFICATE");
  return {
    certPem,
    keyPem: pair.privateKey.export({ type: "pkcs8", format: "pem" }) as string,
    openssl: new X509Certificate(certPem),
    name: name(o.commonName),
    key: pair.privateKey,
    keyId,
  };
}

/**
 * The test CA that workerd trusts. vitest.config.ts makes it once (`ensureTestCa`) in a
 * gitignored cache directory, hands its certificate to the worker's outbound network as a
 * trusted certificate, and exports its paths as VIGIL_TEST_CA_KEY / VIGIL_TEST_CA_CERT; the
 * loopback servers sign "trusted" leaf certificates with it (`testCa`).
 */
export const TEST_CA_ENV = { key: "VIGIL_TEST_CA_KEY", cert: "VIGIL_TEST_CA_CERT" } as const;

export interface TestCaFiles {
  keyPath: string;
  certPath: string;
  certPem: string;
}

const TEST_CA_NAME = "Vigil Test Root CA";
const DAY_MS = 86_400_000;

/**
 * Returns the CA in `dir`, making it first when it is missing, unreadable or within 30 days of
 * expiry. Several test runs may start at once in one tree: a new CA is written to a private
 * directory and renamed into place, so a run sees either no CA or a whole one.
 */
export function ensureTestCa(dir: string): TestCaFiles {
  const keyPath = join(dir, "ca.key.pem");
  const certPath = join(dir, "ca.cert.pem");
  const read = (): TestCaFiles | null => {
    try {
      const certPem = readFileSync(certPath, "utf8");
      const cert = new X509Certificate(certPem);
      const key = createPrivateKey(readFileSync(keyPath, "utf8"));
      if (!cert.ca || !cert.checkPrivateKey(key) || Date.parse(cert.validTo) - Date.now() < 30 * DAY_MS) return null;
      return { keyPath, certPath, certPem };
    } catch {
      return null;
    }
  };
  const existing = read();
  if (existing) return existing;
  const now = Date.now();
  const ca = issueCertificate({
    keyType: "ec",
    commonName: TEST_CA_NAME,
    sans: [],
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + 3650 * DAY_MS),
    isCa: true,
  });
  mkdirSync(dirname(dir), { recursive: true });
  const staging = mkdtempSync(`${dir}.tmp-`);
  writeFileSync(join(staging, "ca.key.pem"), ca.keyPem, { mode: 0o600 });
  writeFileSync(join(staging, "ca.cert.pem"), ca.certPem);
  try {
    if (existsSync(dir) && !read()) rmSync(dir, { recursive: true, force: true }); // a stale or broken CA
    renameSync(staging, dir);
  } catch {
    rmSync(staging, { recursive: true, force: true }); // another run got there first
  }
  const made = read();
  if (!made) throw new Error(`could not create the test CA in ${dir}`);
  return made;
}

let cachedCa: Issued | undefined;

/** The CA named by VIGIL_TEST_CA_KEY / VIGIL_TEST_CA_CERT; throws, saying so, when they are not set. */
export function testCa(): Issued {
  const keyPath = process.env[TEST_CA_ENV.key];
  const certPath = process.env[TEST_CA_ENV.cert];
  if (!keyPath || !certPath)
    throw new Error(
      `a trusted certificate needs the test CA: ${TEST_CA_ENV.key} and ${TEST_CA_ENV.cert} are not set (vitest.config.ts sets them)`,
    );
  if (cachedCa && cachedCa.certPem === readFileSync(certPath, "utf8")) return cachedCa;
  const certPem = readFileSync(certPath, "utf8");
  const keyPem = readFileSync(keyPath, "utf8");
  const openssl = new X509Certificate(certPem);
  const cert = AsnConvert.parse(openssl.raw, x.Certificate);
  const keyIdBytes = createHash("sha1").update(Buffer.from(cert.tbsCertificate.subjectPublicKeyInfo.subjectPublicKey)).digest();
  cachedCa = {
    certPem,
    keyPem,
    openssl,
    name: cert.tbsCertificate.subject,
    key: createPrivateKey(keyPem),
    keyId: keyIdBytes.buffer.slice(keyIdBytes.byteOffset, keyIdBytes.byteOffset + keyIdBytes.byteLength),
  };
  return cachedCa;
}

/** How a loopback HTTPS / WSS server's certificate is made (spawn option `tls`). */
export interface ServerTlsOptions {
  /** "test-ca" (default): signed by the CA workerd trusts; "self-signed": signed by itself. */
  trust?: "test-ca" | "self-signed";
  /** Days until expiry (negative: expired). Default 90. */
  days?: number;
  /** SANs; default localhost and 127.0.0.1. */
  names?: string[];
}

/** Key and certificate chain for a loopback server, per `ServerTlsOptions`. */
export function serverCredentials(o: ServerTlsOptions): { key: string; cert: string; leaf: Issued } {
  const now = Date.now();
  const days = o.days ?? 90;
  const names = o.names ?? ["localhost", "127.0.0.1"];
  const issuer = o.trust === "self-signed" ? undefined : testCa();
  const leaf = issueCertificate({
    keyType: "ec",
    commonName: names[0] ?? "localhost",
    sans: names,
    notBefore: new Date(Math.min(now - 30 * DAY_MS, now + days * DAY_MS - 60 * DAY_MS)),
    notAfter: new Date(now + days * DAY_MS + (days >= 0 ? 1 : -1) * 3_600_000),
    ...(issuer && { issuer }),
  });
  return { key: leaf.keyPem, cert: leaf.certPem + (issuer?.certPem ?? ""), leaf };
}

/**
 * An HTTPS server per `tls`, or plain HTTP without it. `listen()` takes a loopback port and
 * answers what a spawned fixture reports: the port and, over TLS, when the certificate expires.
 */
export function httpOrHttpsServer(tls: ServerTlsOptions | undefined, handler: RequestListener) {
  const credentials = tls && serverCredentials(tls);
  const server = credentials ? createHttpsServer(credentials, handler) : createServer(handler);
  async function listen(): Promise<{ port: number; notAfter?: string }> {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return {
      port: (server.address() as AddressInfo).port,
      ...(credentials && { notAfter: new Date(credentials.leaf.openssl.validTo).toISOString() }),
    };
  }
  return { server, listen };
}
