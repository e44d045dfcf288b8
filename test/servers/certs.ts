/**
 * Test certificates made at test time, with the validity, names and key type a test asks for.
 * Built with @peculiar/asn1-x509 and signed by node:crypto; Node's own X509Certificate
 * (OpenSSL) reads each one back, so what tests assert comes from an independent parser.
 */
import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import * as x from "@peculiar/asn1-x509";
import { X509Certificate, createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from "node:crypto";

export type KeyType = "rsa" | "ec";

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
}

function name(commonName: string): x.Name {
  const rdn = (type: string, value: string) =>
    new x.RelativeDistinguishedName([new x.AttributeTypeAndValue({ type, value: new x.AttributeValue({ utf8String: value }) })]);
  return new x.Name([rdn("2.5.4.6", "KR"), rdn("2.5.4.10", "Vigil Test"), rdn("2.5.4.3", commonName)]);
}

function extension(oid: string, value: unknown, critical = false): x.Extension {
  return new x.Extension({ extnID: oid, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });
}

const toPem = (der: ArrayBuffer, label: string) =>
  `-----BEGIN ${label}-----\n${Buffer.from(der).toString("base64").replace(/.{64}/g, "$&\n")}\n-----END ${label}-----\n`;

/** Whole seconds: X.509 times have no fractions. */
export const seconds = (d: Date) => new Date(Math.floor(d.getTime() / 1000) * 1000);

export function issueCertificate(o: CertOptions): Issued {
  const pair =
    o.keyType === "rsa" ? generateKeyPairSync("rsa", { modulusLength: 2048 }) : generateKeyPairSync("ec", { namedCurve: "P-256" });
  const spki = AsnConvert.parse(pair.publicKey.export({ type: "spki", format: "der" }), x.SubjectPublicKeyInfo);
  const keyIdBytes = createHash("sha1").update(Buffer.from(spki.subjectPublicKey)).digest();
  const keyId = keyIdBytes.buffer.slice(keyIdBytes.byteOffset, keyIdBytes.byteOffset + keyIdBytes.byteLength);
  const signer = o.issuer ?? { name: name(o.commonName), key: pair.privateKey, keyId };
  const signerType = signer.key.asymmetricKeyType === "rsa" ? "rsa" : "ec";
  const algorithm =
    signerType === "rsa"
      ? new x.AlgorithmIdentifier({ algorithm: "1.2.840.113549.1.1.11", parameters: null }) // sha256WithRSAEncryption
      : new x.AlgorithmIdentifier({ algorithm: "1.2.840.10045.4.3.2" }); // ecdsa-with-SHA256
  const sans = o.sans.map((s) => (/^\d+\.\d+\.\d+\.\d+$/.test(s) ? new x.GeneralName({ iPAddress: s }) : new x.GeneralName({ dNSName: s })));
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
  const signature = sign("sha256", tbsDer, signer.key);
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
