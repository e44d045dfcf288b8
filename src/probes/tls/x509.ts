/**
 * What an operator needs to know about a certificate chain, read with @peculiar/asn1-x509
 * (RFC 5280 structures). @peculiar/x509 itself is not used: it needs a global Reflect
 * polyfill that does not belong in a worker.
 */
import { AsnConvert } from "@peculiar/asn1-schema";
import {
  AuthorityKeyIdentifier,
  Certificate,
  SubjectAlternativeName,
  SubjectKeyIdentifier,
  id_ce_authorityKeyIdentifier,
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
  return {
    subject: formatName(tbs.subject),
    issuer: formatName(tbs.issuer),
    sans,
    notBefore: tbs.validity.notBefore.getTime(),
    notAfter: tbs.validity.notAfter.getTime(),
    selfSigned: sameName && keysAgree,
    serialNumber: toHex(new Uint8Array(tbs.serialNumber)),
  };
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
