/**
 * The handshake messages a certificate reader sends and reads: ClientHello out;
 * ServerHello / HelloRetryRequest and Certificate in (RFC 8446 §4.1, §4.4.2; RFC 5246 §7.4).
 */
import { ByteReader, ByteWriter, TlsDecodeError, fromHex, toHex } from "./bytes";
import { HandshakeType } from "./records";

/** Named groups (RFC 8446 §4.2.7) that Vigil can compute a key share for with WebCrypto. */
export const Group = { secp256r1: 0x0017, secp384r1: 0x0018, x25519: 0x001d } as const;
export type GroupId = (typeof Group)[keyof typeof Group];

export function groupName(id: number): string {
  return (Object.entries(Group).find(([, v]) => v === id)?.[0] ?? `0x${id.toString(16).padStart(4, "0")}`) as string;
}

/** TLS 1.3 suites whose AEAD WebCrypto has (not ChaCha20-Poly1305). */
export const TLS13_SUITES = [0x1301, 0x1302] as const;

/**
 * TLS 1.2 suites: offered only so that 1.2 servers answer; Vigil never gets as far as using
 * them (the 1.2 certificate arrives before any key exchange).
 */
const TLS12_SUITES = [0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc009, 0xc013, 0xc00a, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035];

/** IANA names of the suites Vigil offers (the only ones a server may choose). */
const CIPHER_SUITE_NAMES = new Map<number, string>([
  [0x1301, "TLS_AES_128_GCM_SHA256"],
  [0x1302, "TLS_AES_256_GCM_SHA384"],
  [0xc02b, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"],
  [0xc02f, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"],
  [0xc02c, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"],
  [0xc030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"],
  [0xcca9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"],
  [0xcca8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"],
  [0xc009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"],
  [0xc013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"],
  [0xc00a, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA"],
  [0xc014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"],
  [0x009c, "TLS_RSA_WITH_AES_128_GCM_SHA256"],
  [0x009d, "TLS_RSA_WITH_AES_256_GCM_SHA384"],
  [0x002f, "TLS_RSA_WITH_AES_128_CBC_SHA"],
  [0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA"],
  [0x000a, "TLS_RSA_WITH_3DES_EDE_CBC_SHA"],
]);

/** A cipher suite's IANA name, or its number in hex ("0x1303") when Vigil does not know it. */
export function cipherSuiteName(id: number): string {
  return CIPHER_SUITE_NAMES.get(id) ?? `0x${id.toString(16).padStart(4, "0")}`;
}

/** Signature schemes (RFC 8446 §4.2.3) we say we accept, broad so that any server picks one. */
const SIGNATURE_SCHEMES = [
  0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0804, 0x0805, 0x0806, 0x0809, 0x080a, 0x080b, 0x0401, 0x0501, 0x0601, 0x0203, 0x0201,
];

export const Ext = {
  serverName: 0,
  supportedGroups: 10,
  ecPointFormats: 11,
  signatureAlgorithms: 13,
  extendedMasterSecret: 23,
  supportedVersions: 43,
  cookie: 44,
  pskKeyExchangeModes: 45,
  keyShare: 51,
  renegotiationInfo: 0xff01,
} as const;

/** RFC 8446 §4.1.3: a ServerHello with this random is a HelloRetryRequest (SHA-256 of "HelloRetryRequest"). */
export const HELLO_RETRY_RANDOM = fromHex("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c");

export interface KeyShareEntry {
  group: number;
  /** X25519: 32 bytes; NIST curves: the uncompressed point (0x04 ‖ X ‖ Y). */
  key: Uint8Array;
}

export interface ClientHelloOptions {
  random: Uint8Array;
  /** 32 random bytes: "middlebox compatibility mode" (RFC 8446 §D.4), which servers expect. */
  sessionId: Uint8Array;
  /** Sent as SNI. Omitted only for an IP address, which RFC 6066 §3 forbids in SNI. */
  serverName?: string;
  keyShares: KeyShareEntry[];
  /** Echoed from a HelloRetryRequest. */
  cookie?: Uint8Array;
}

/** Builds a ClientHello handshake message (header included) offering TLS 1.3 and 1.2. */
export function encodeClientHello(o: ClientHelloOptions): Uint8Array {
  const ext = (w: ByteWriter, type: number, body: (w: ByteWriter) => void) => w.u16(type).vec(2, body);
  const body = new ByteWriter()
    .u16(0x0303) // legacy_version: TLS 1.2 (RFC 8446 §4.1.2)
    .bytes(o.random)
    .vec(1, (w) => w.bytes(o.sessionId))
    .vec(2, (w) => [...TLS13_SUITES, ...TLS12_SUITES].forEach((s) => w.u16(s)))
    .vec(1, (w) => w.u8(0)) // compression: null only
    .vec(2, (w) => {
      if (o.serverName !== undefined) {
        const name = new TextEncoder().encode(o.serverName);
        ext(w, Ext.serverName, (e) => e.vec(2, (l) => l.u8(0).vec(2, (n) => n.bytes(name))));
      }
      ext(w, Ext.supportedGroups, (e) => e.vec(2, (l) => [Group.x25519, Group.secp256r1, Group.secp384r1].forEach((g) => l.u16(g))));
      ext(w, Ext.ecPointFormats, (e) => e.vec(1, (l) => l.u8(0)));
      ext(w, Ext.signatureAlgorithms, (e) => e.vec(2, (l) => SIGNATURE_SCHEMES.forEach((s) => l.u16(s))));
      ext(w, Ext.extendedMasterSecret, () => {});
      ext(w, Ext.renegotiationInfo, (e) => e.vec(1, () => {}));
      ext(w, Ext.supportedVersions, (e) => e.vec(1, (l) => l.u16(0x0304).u16(0x0303)));
      ext(w, Ext.pskKeyExchangeModes, (e) => e.vec(1, (l) => l.u8(1))); // psk_dhe_ke
      ext(w, Ext.keyShare, (e) => e.vec(2, (l) => o.keyShares.forEach((k) => l.u16(k.group).vec(2, (v) => v.bytes(k.key)))));
      if (o.cookie) ext(w, Ext.cookie, (e) => e.vec(2, (c) => c.bytes(o.cookie!)));
    })
    .finish();
  return new ByteWriter()
    .u8(HandshakeType.clientHello)
    .vec(3, (w) => w.bytes(body))
    .finish();
}

export type ProtocolVersion = "TLSv1.2" | "TLSv1.3";

export interface ServerHello {
  /** The negotiated version; anything older than 1.2 is refused while parsing. */
  version: ProtocolVersion;
  isHelloRetryRequest: boolean;
  cipherSuite: number;
  /** TLS 1.3 ServerHello: the server's key share. */
  keyShare?: KeyShareEntry;
  /** HelloRetryRequest: the group the server wants a key share for. */
  selectedGroup?: number;
  /** HelloRetryRequest: a cookie to echo. */
  cookie?: Uint8Array;
}

const VERSION_NAMES: Record<number, string> = { 768: "SSL 3.0", 769: "TLS 1.0", 770: "TLS 1.1" };

/** Parses a ServerHello body (RFC 8446 §4.1.3; RFC 5246 §7.4.1.3, where extensions are optional). */
export function parseServerHello(body: Uint8Array): ServerHello {
  const r = new ByteReader(body, "ServerHello");
  const legacyVersion = r.u16();
  const random = r.bytes(32);
  r.vec(1); // legacy_session_id_echo
  const cipherSuite = r.u16();
  const compression = r.u8();
  if (compression !== 0) throw new TlsDecodeError(`ServerHello chose compression method ${compression}; only null is offered`);
  const isHelloRetryRequest = toHex(random) === toHex(HELLO_RETRY_RANDOM);
  let selectedVersion: number | undefined;
  const out: Omit<ServerHello, "version"> = { isHelloRetryRequest, cipherSuite };
  if (r.remaining > 0) {
    const exts = new ByteReader(r.vec(2), "ServerHello extensions");
    while (exts.remaining > 0) {
      const type = exts.u16();
      const data = new ByteReader(exts.vec(2), `ServerHello extension ${type}`);
      if (type === Ext.supportedVersions) selectedVersion = data.u16();
      else if (type === Ext.keyShare && isHelloRetryRequest) out.selectedGroup = data.u16();
      else if (type === Ext.keyShare) out.keyShare = { group: data.u16(), key: data.vec(2) };
      else if (type === Ext.cookie) out.cookie = data.vec(2);
      else continue;
      data.end();
    }
  }
  r.end();
  const version = selectedVersion ?? legacyVersion;
  if (version === 0x0304) return { ...out, version: "TLSv1.3" };
  if (version === 0x0303) {
    if (isHelloRetryRequest) throw new TlsDecodeError("server sent a HelloRetryRequest without choosing TLS 1.3");
    return { ...out, version: "TLSv1.2" };
  }
  const name = VERSION_NAMES[version] ?? `version 0x${version.toString(16)}`;
  throw new TlsDecodeError(`server chose ${name}, which is obsolete; Vigil reads TLS 1.2 and 1.3 only`);
}

/** Parses a Certificate message body into DER certificates, leaf first. */
export function parseCertificateMessage(body: Uint8Array, version: ProtocolVersion): Uint8Array[] {
  const r = new ByteReader(body, "Certificate");
  if (version === "TLSv1.3") r.vec(1); // certificate_request_context (RFC 8446 §4.4.2)
  const list = new ByteReader(r.vec(3), "certificate_list");
  r.end();
  const certs: Uint8Array[] = [];
  while (list.remaining > 0) {
    certs.push(list.vec(3));
    if (version === "TLSv1.3") list.vec(2); // per-certificate extensions (OCSP, SCT)
  }
  return certs;
}
