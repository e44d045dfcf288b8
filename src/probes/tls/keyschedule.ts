/**
 * The TLS 1.3 key schedule up to the handshake traffic keys (RFC 8446 §7.1, §7.3), and
 * opening protected records (§5.2). HKDF is built from WebCrypto HMAC because WebCrypto's
 * HKDF always runs Extract and Expand together, and TLS needs them separately.
 */
import { ByteWriter, TlsDecodeError, concat } from "./bytes";
import { ContentType, type TlsRecord } from "./records";

export type HashName = "SHA-256" | "SHA-384";

export interface CipherSuiteParams {
  name: string;
  hash: HashName;
  hashLength: number;
  keyLength: number;
}

/** The TLS 1.3 suites Vigil can open: AES-GCM only (WebCrypto has no ChaCha20-Poly1305). */
export const CIPHER_SUITES: Record<number, CipherSuiteParams> = {
  4865: { name: "TLS_AES_128_GCM_SHA256", hash: "SHA-256", hashLength: 32, keyLength: 16 },
  4866: { name: "TLS_AES_256_GCM_SHA384", hash: "SHA-384", hashLength: 48, keyLength: 32 },
};

const subtle = () => crypto.subtle;
/**
 * Bytes as WebCrypto takes them. The cast only widens the type: Node's DOM typings (src/probes
 * is also type-checked for Node, through the config) want an ArrayBuffer-backed view.
 */
const buf = (bytes: Uint8Array) => bytes as BufferSource;

export async function hmac(hash: HashName, key: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  const k = await subtle().importKey("raw", buf(key), { name: "HMAC", hash }, false, ["sign"]);
  return new Uint8Array(await subtle().sign("HMAC", k, buf(data)));
}

export async function digest(hash: HashName, data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await subtle().digest(hash, buf(data)));
}

/** RFC 5869 §2.2. */
export function hkdfExtract(hash: HashName, salt: Uint8Array, ikm: Uint8Array): Promise<Uint8Array> {
  return hmac(hash, salt, ikm);
}

/** RFC 5869 §2.3. */
export async function hkdfExpand(hash: HashName, prk: Uint8Array, info: Uint8Array, length: number): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  let previous: Uint8Array = new Uint8Array(0);
  for (let i = 1, at = 0; at < length; i++) {
    previous = await hmac(hash, prk, concat(previous, info, Uint8Array.of(i)));
    out.set(previous.subarray(0, Math.min(previous.byteLength, length - at)), at);
    at += previous.byteLength;
  }
  return out;
}

/** RFC 8446 §7.1: HKDF-Expand-Label with the "tls13 " prefix. */
export function hkdfExpandLabel(hash: HashName, secret: Uint8Array, label: string, context: Uint8Array, length: number) {
  const info = new ByteWriter()
    .u16(length)
    .vec(1, (w) => w.bytes(new TextEncoder().encode(`tls13 ${label}`)))
    .vec(1, (w) => w.bytes(context))
    .finish();
  return hkdfExpand(hash, secret, info, length);
}

export interface TrafficKeys {
  key: CryptoKey;
  iv: Uint8Array;
}

export interface HandshakeSecrets {
  client: Uint8Array;
  server: Uint8Array;
}

/**
 * RFC 8446 §7.1, from the (EC)DHE shared secret and the transcript hash of
 * ClientHello…ServerHello to the two handshake traffic secrets. No PSK: the early secret is
 * HKDF-Extract(0, 0).
 */
export async function handshakeSecrets(
  suite: CipherSuiteParams,
  sharedSecret: Uint8Array,
  helloHash: Uint8Array,
): Promise<HandshakeSecrets> {
  const zeros = new Uint8Array(suite.hashLength);
  const early = await hkdfExtract(suite.hash, zeros, zeros);
  const derived = await hkdfExpandLabel(suite.hash, early, "derived", await digest(suite.hash, new Uint8Array(0)), suite.hashLength);
  const handshake = await hkdfExtract(suite.hash, derived, sharedSecret);
  const [client, server] = await Promise.all([
    hkdfExpandLabel(suite.hash, handshake, "c hs traffic", helloHash, suite.hashLength),
    hkdfExpandLabel(suite.hash, handshake, "s hs traffic", helloHash, suite.hashLength),
  ]);
  return { client, server };
}

/** RFC 8446 §7.3: the write key and IV from a traffic secret. */
export async function trafficKeys(suite: CipherSuiteParams, secret: Uint8Array): Promise<TrafficKeys> {
  const [keyBytes, iv] = await Promise.all([
    hkdfExpandLabel(suite.hash, secret, "key", new Uint8Array(0), suite.keyLength),
    hkdfExpandLabel(suite.hash, secret, "iv", new Uint8Array(0), 12),
  ]);
  const key = await subtle().importKey("raw", buf(keyBytes), "AES-GCM", false, ["encrypt", "decrypt"]);
  return { key, iv };
}

/** RFC 8446 §5.3: the per-record nonce is the IV XOR the 64-bit sequence number. */
export function recordNonce(iv: Uint8Array, seq: number): Uint8Array {
  const nonce = iv.slice();
  let s = BigInt(seq);
  for (let i = nonce.byteLength - 1; i >= nonce.byteLength - 8; i--) {
    nonce[i]! ^= Number(s & 0xffn);
    s >>= 8n;
  }
  return nonce;
}

/** Opens protected records in order (RFC 8446 §5.2), tracking the sequence number. */
export class RecordOpener {
  private seq = 0;
  constructor(private readonly keys: TrafficKeys) {}

  async open(record: TlsRecord): Promise<{ type: number; content: Uint8Array }> {
    if (record.type !== ContentType.applicationData)
      throw new TlsDecodeError(`expected a protected record, got content type ${record.type}`);
    let plain: Uint8Array;
    try {
      const iv = recordNonce(this.keys.iv, this.seq++);
      plain = new Uint8Array(
        await subtle().decrypt({ name: "AES-GCM", iv: buf(iv), additionalData: buf(record.header) }, this.keys.key, buf(record.fragment)),
      );
    } catch {
      throw new TlsDecodeError("could not decrypt the server's handshake (bad record MAC): the key exchange went wrong");
    }
    // TLSInnerPlaintext: content ‖ type ‖ zero padding.
    let end = plain.byteLength - 1;
    while (end >= 0 && plain[end] === 0) end--;
    if (end < 0) throw new TlsDecodeError("server sent a protected record with no content type");
    return { type: plain[end]!, content: plain.subarray(0, end) };
  }
}

/** Seals records in order; used only for the closing alert, never for application data. */
export class RecordSealer {
  private seq = 0;
  constructor(private readonly keys: TrafficKeys) {}

  async seal(type: number, content: Uint8Array): Promise<Uint8Array> {
    const inner = concat(content, Uint8Array.of(type));
    const header = new ByteWriter()
      .u8(ContentType.applicationData)
      .u16(0x0303)
      .u16(inner.byteLength + 16)
      .finish();
    const iv = recordNonce(this.keys.iv, this.seq++);
    const sealed = new Uint8Array(
      await subtle().encrypt({ name: "AES-GCM", iv: buf(iv), additionalData: buf(header) }, this.keys.key, buf(inner)),
    );
    return concat(header, sealed);
  }
}
