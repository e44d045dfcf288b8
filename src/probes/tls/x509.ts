/**
 * What an operator needs to know about a certificate chain, read with @peculiar/asn1-x509
 * (RFC 5280 structures). @peculiar/x509 itself is not used: it needs a global Reflect
 * polyfill that does not belong in a worker.
 */
import { AsnConvert } from "@peculiar/asn1-schema";
import {
  AuthorityKeyIdentifier,
  BasicConstraints,
  Certificate,
  SubjectAlternativeName,
  SubjectKeyIdentifier,
  id_ce_authorityKeyIdentifier,
  id_ce_basicConstraints,
  id_ce_subjectAltName,
  id_ce_subjectKeyIdentifier,
  type Name,
} from "@peculiar/asn1-x509";
import { TlsDecodeError, toHex } from "./bytes";

export interface CertificateSummary {
  /** RFC 4514 style, most specific first: "CN=example.com, O=Example, C=US". */
  subject: string;
  issuer: string;
  /** DNS names and IP addresses from subjectAltName. */
  sans: string[];
  notBefore: Date;
  notAfter: Date;
  /** Issuer and subject are the same name (and the key identifiers, when present, agree). */
  selfSigned: boolean;
  serialNumber: string;
  /** DER of the subject and issuer names, hex: how a chain's links are matched. */
  subjectDer: string;
  issuerDer: string;
  /** subjectKeyIdentifier and authorityKeyIdentifier, hex, when present. */
  subjectKeyId?: string;
  authorityKeyId?: string;
  /** basicConstraints cA: the certificate may issue others. */
  isCa: boolean;
  /** The certificate's signature algorithm: "sha256WithRSAEncryption", "ecdsa-with-SHA256", … (a dotted OID when unknown). */
  signatureAlgorithm: string;
  /** The weak hash in that signature, if any. */
  weakHash?: "SHA-1" | "MD5" | "MD2";
  key: PublicKeySummary;
}

/** A certificate's public key: RSA with its modulus size, EC with its curve, Ed25519, … */
export interface PublicKeySummary {
  type: "RSA" | "EC" | "Ed25519" | "Ed448" | "DSA" | "unknown";
  /** RSA: modulus bits; EC: the curve's size. */
  bits?: number;
  /** EC: "P-256", "P-384", "P-521" (a dotted OID or the DER hex when unknown). */
  curve?: string;
}

/** RFC 3279, 4055, 5758, 8410 signature algorithms, with the weak hash they use. */
const SIGNATURE_ALGORITHMS: Record<string, [name: string, weak?: "SHA-1" | "MD5" | "MD2"]> = {
  "1.2.840.113549.1.1.2": ["md2WithRSAEncryption", "MD2"],
  "1.2.840.113549.1.1.4": ["md5WithRSAEncryption", "MD5"],
  "1.2.840.113549.1.1.5": ["sha1WithRSAEncryption", "SHA-1"],
  "1.3.14.3.2.29": ["sha1WithRSAEncryption", "SHA-1"],
  "1.2.840.113549.1.1.10": ["rsassa-pss"],
  "1.2.840.113549.1.1.11": ["sha256WithRSAEncryption"],
  "1.2.840.113549.1.1.12": ["sha384WithRSAEncryption"],
  "1.2.840.113549.1.1.13": ["sha512WithRSAEncryption"],
  "1.2.840.113549.1.1.14": ["sha224WithRSAEncryption"],
  "1.2.840.10045.4.1": ["ecdsa-with-SHA1", "SHA-1"],
  "1.2.840.10045.4.3.1": ["ecdsa-with-SHA224"],
  "1.2.840.10045.4.3.2": ["ecdsa-with-SHA256"],
  "1.2.840.10045.4.3.3": ["ecdsa-with-SHA384"],
  "1.2.840.10045.4.3.4": ["ecdsa-with-SHA512"],
  "1.2.840.10040.4.3": ["dsa-with-sha1", "SHA-1"],
  "2.16.840.1.101.3.4.3.2": ["dsa-with-sha256"],
  "1.3.101.112": ["Ed25519"],
  "1.3.101.113": ["Ed448"],
};

/** Named curves by the DER of their OID (the EC key's algorithm parameters). */
const CURVES: Record<string, [name: string, bits: number]> = {
  "06082a8648ce3d030107": ["P-256", 256],
  "06052b81040022": ["P-384", 384],
  "06052b81040023": ["P-521", 521],
  "06052b8104000a": ["secp256k1", 256],
  "06092b2403030208010107": ["brainpoolP256r1", 256],
};

/** Reads one DER length-prefixed element at `at`: its tag, where its content starts and its length. */
function derElement(der: Uint8Array, at: number): { tag: number; start: number; length: number } {
  const tag = der[at]!;
  let length = der[at + 1]!;
  let start = at + 2;
  if (length & 0x80) {
    const n = length & 0x7f;
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + der[start + i]!;
    start += n;
  }
  if (start + length > der.byteLength) throw new TlsDecodeError("certificate's public key is truncated");
  return { tag, start, length };
}

/** RSA modulus size in bits, from RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }. */
function rsaModulusBits(key: Uint8Array): number {
  const seq = derElement(key, 0);
  const modulus = derElement(key, seq.start);
  let start = modulus.start;
  let length = modulus.length;
  while (length > 0 && key[start] === 0) {
    start++;
    length--;
  }
  return length === 0 ? 0 : (length - 1) * 8 + (32 - Math.clz32(key[start]!));
}

function publicKeySummary(cert: Certificate): PublicKeySummary {
  const spki = cert.tbsCertificate.subjectPublicKeyInfo;
  const oid = spki.algorithm.algorithm;
  try {
    if (oid === "1.2.840.113549.1.1.1" || oid === "1.2.840.113549.1.1.10")
      return { type: "RSA", bits: rsaModulusBits(new Uint8Array(spki.subjectPublicKey)) };
    if (oid === "1.2.840.10045.2.1") {
      const params = spki.algorithm.parameters ? toHex(new Uint8Array(spki.algorithm.parameters)) : "";
      const curve = CURVES[params];
      return curve ? { type: "EC", bits: curve[1], curve: curve[0] } : { type: "EC", curve: params || "(none)" };
    }
  } catch {
    return { type: oid === "1.2.840.10045.2.1" ? "EC" : "RSA" };
  }
  if (oid === "1.3.101.112") return { type: "Ed25519", bits: 256 };
  if (oid === "1.3.101.113") return { type: "Ed448", bits: 456 };
  if (oid === "1.2.840.10040.4.1") return { type: "DSA" };
  return { type: "unknown" };
}

/** RFC 4519 short names; anything else prints as its dotted OID. */
const ATTRIBUTE_NAMES: Record<string, string> = {
  "2.5.4.3": "CN",
  "2.5.4.5": "serialNumber",
  "2.5.4.6": "C",
  "2.5.4.7": "L",
  "2.5.4.8": "ST",
  "2.5.4.9": "street",
  "2.5.4.10": "O",
  "2.5.4.11": "OU",
  "2.5.4.97": "organizationIdentifier",
  "0.9.2342.19200300.100.1.25": "DC",
  "1.2.840.113549.1.9.1": "emailAddress",
};

/** RFC 4514 §2: the last RDN of the sequence first, special characters escaped. */
export function formatName(name: Name): string {
  return [...name]
    .reverse()
    .map((rdn) =>
      [...rdn]
        .map((atv) => {
          const value = atv.value.toString().replace(/([,+"\\<>;])/g, "\\$1");
          return `${ATTRIBUTE_NAMES[atv.type] ?? atv.type}=${value}`;
        })
        .join("+"),
    )
    .join(", ");
}

function extension<T>(cert: Certificate, oid: string, type: new () => T): T | undefined {
  const ext = cert.tbsCertificate.extensions?.find((e) => e.extnID === oid);
  return ext ? AsnConvert.parse(ext.extnValue, type) : undefined;
}

export function readCertificate(der: Uint8Array): CertificateSummary {
  let cert: Certificate;
  try {
    cert = AsnConvert.parse(der, Certificate);
  } catch (err) {
    throw new TlsDecodeError(`server sent a certificate that is not valid DER X.509 (${(err as Error).message})`);
  }
  const tbs = cert.tbsCertificate;
  const sans: string[] = [];
  for (const name of extension(cert, id_ce_subjectAltName, SubjectAlternativeName) ?? []) {
    if (name.dNSName !== undefined) sans.push(name.dNSName);
    else if (name.iPAddress !== undefined) sans.push(name.iPAddress);
  }
  const sameName = toHex(new Uint8Array(AsnConvert.serialize(tbs.subject))) === toHex(new Uint8Array(AsnConvert.serialize(tbs.issuer)));
  const aki = extension(cert, id_ce_authorityKeyIdentifier, AuthorityKeyIdentifier)?.keyIdentifier;
  const ski = extension(cert, id_ce_subjectKeyIdentifier, SubjectKeyIdentifier);
  const keysAgree = !aki || !ski || toHex(new Uint8Array(aki.buffer)) === toHex(new Uint8Array(ski.buffer));
  const signature = SIGNATURE_ALGORITHMS[cert.signatureAlgorithm.algorithm];
  return {
    subject: formatName(tbs.subject),
    issuer: formatName(tbs.issuer),
    sans,
    notBefore: tbs.validity.notBefore.getTime(),
    notAfter: tbs.validity.notAfter.getTime(),
    selfSigned: sameName && keysAgree,
    serialNumber: toHex(new Uint8Array(tbs.serialNumber)),
    subjectDer: toHex(new Uint8Array(AsnConvert.serialize(tbs.subject))),
    issuerDer: toHex(new Uint8Array(AsnConvert.serialize(tbs.issuer))),
    ...(ski && { subjectKeyId: toHex(new Uint8Array(ski.buffer)) }),
    ...(aki && { authorityKeyId: toHex(new Uint8Array(aki.buffer)) }),
    isCa: extension(cert, id_ce_basicConstraints, BasicConstraints)?.cA ?? false,
    signatureAlgorithm: signature?.[0] ?? cert.signatureAlgorithm.algorithm,
    ...(signature?.[1] && { weakHash: signature[1] }),
    key: publicKeySummary(cert),
  };
}

/**
 * Whether the chain the server sent is complete, judged without a root store (the edge has
 * none): starting at the leaf, each certificate's issuer must be among those sent (its subject
 * name equal to the issuer name, and the key identifiers agreeing when both are present),
 * until the path reaches a self-signed certificate (a root, sent needlessly but harmlessly) or
 * an intermediate CA whose issuer is not sent (taken to be a root the client holds). A leaf
 * whose issuer is not sent is incomplete, even when a root issued it directly: public CAs never
 * do, and Vigil cannot tell that from a missing intermediate. A path that stops at an
 * intermediate one short of the root (a missing second intermediate) is not seen. Certificates
 * are matched by name, not by verifying their signatures.
 */
export function chainCompleteness(chain: readonly CertificateSummary[]): { complete: boolean; missing?: string } {
  const used = new Set<number>([0]);
  let at = 0;
  for (;;) {
    const cert = chain[at]!;
    if (cert.selfSigned) return { complete: true };
    const next = chain.findIndex(
      (c, i) =>
        !used.has(i) &&
        c.subjectDer === cert.issuerDer &&
        (cert.authorityKeyId === undefined || c.subjectKeyId === undefined || cert.authorityKeyId === c.subjectKeyId),
    );
    if (next < 0) return at > 0 && cert.isCa ? { complete: true } : { complete: false, missing: cert.issuer };
    used.add(next);
    at = next;
  }
}

/** The subject's common name, for certificates without subjectAltName. */
export function commonName(subject: string): string | undefined {
  return /(?:^|, )CN=((?:\\.|[^,])*)/.exec(subject)?.[1]?.replace(/\\(.)/g, "$1");
}

const isIp = (host: string) => /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(":");

/**
 * RFC 6125 §6.4: case-insensitive; a wildcard only as the whole leftmost label, matching
 * exactly one label (so `*.example.com` covers `a.example.com`, not `example.com` or
 * `a.b.example.com`). IP addresses match IP SANs only. Like browsers, the subject CN is not
 * consulted when the certificate has SANs.
 */
export function hostnameMatches(host: string, sans: readonly string[]): boolean {
  const want = host
    .toLowerCase()
    .replace(/\.$/, "")
    .replace(/^\[|\]$/g, "");
  return sans.some((san) => {
    const name = san.toLowerCase().replace(/\.$/, "");
    if (isIp(want) || isIp(name)) return isIp(want) && isIp(name) && normalizeIp(want) === normalizeIp(name);
    if (!name.startsWith("*.")) return name === want;
    const rest = name.slice(2);
    const dot = want.indexOf(".");
    return dot > 0 && want.slice(dot + 1) === rest && rest.includes(".");
  });
}

function normalizeIp(ip: string): string {
  if (!ip.includes(":")) return ip;
  // Expand "::" so that different spellings of one IPv6 address compare equal.
  const [head, tail] = ip.split("::") as [string, string | undefined];
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
  return groups.map((g) => parseInt(g, 16).toString(16)).join(":");
}
