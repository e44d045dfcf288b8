/**
 * The TLS record layer (RFC 8446 §5, RFC 5246 §6.2) as far as a certificate reader needs it:
 * framing records out of a byte stream, reassembling handshake messages that span records,
 * and naming alerts.
 */
import { ByteReader, ByteWriter, TlsDecodeError, concat } from "./bytes";

export const ContentType = { changeCipherSpec: 20, alert: 21, handshake: 22, applicationData: 23 } as const;

export const HandshakeType = {
  clientHello: 1,
  serverHello: 2,
  newSessionTicket: 4,
  encryptedExtensions: 8,
  certificate: 11,
  serverKeyExchange: 12,
  certificateRequest: 13,
  serverHelloDone: 14,
  certificateVerify: 15,
  finished: 20,
  /** RFC 8446 §4.4.1: stands in for ClientHello1 in the transcript after a HelloRetryRequest. */
  messageHash: 254,
} as const;

/** RFC 8446 §5.1: a record is at most 2^14 bytes, plus 256 of AEAD expansion when protected. */
const MAX_RECORD = 2 ** 14 + 256;

export interface TlsRecord {
  type: number;
  /** The 5-byte header: the additional data of a TLS 1.3 protected record. */
  header: Uint8Array;
  fragment: Uint8Array;
}

/** The server answered with bytes that are not TLS records (a plain-text service, say). */
export class NotTlsError extends Error {
  override readonly name = "NotTlsError";
  constructor(readonly firstBytes: Uint8Array) {
    super(`server did not answer with TLS; it sent ${describeBytes(firstBytes)}`);
  }
}

/** The server sent an alert: "server sent alert handshake_failure (40)". */
export class TlsAlertError extends Error {
  override readonly name = "TlsAlertError";
  constructor(
    readonly level: number,
    readonly description: number,
  ) {
    super(`server sent alert ${alertName(description)} (${description})`);
  }
}

/** RFC 8446 §6 and RFC 5246 §7.2 alert descriptions. */
const ALERTS: Record<number, string> = {
  0: "close_notify",
  10: "unexpected_message",
  20: "bad_record_mac",
  21: "decryption_failed",
  22: "record_overflow",
  40: "handshake_failure",
  41: "no_certificate",
  42: "bad_certificate",
  43: "unsupported_certificate",
  44: "certificate_revoked",
  45: "certificate_expired",
  46: "certificate_unknown",
  47: "illegal_parameter",
  48: "unknown_ca",
  49: "access_denied",
  50: "decode_error",
  51: "decrypt_error",
  70: "protocol_version",
  71: "insufficient_security",
  80: "internal_error",
  86: "inappropriate_fallback",
  90: "user_canceled",
  100: "no_renegotiation",
  109: "missing_extension",
  110: "unsupported_extension",
  112: "unrecognized_name",
  113: "bad_certificate_status_response",
  115: "unknown_psk_identity",
  116: "certificate_required",
  120: "no_application_protocol",
};

export function alertName(description: number): string {
  return ALERTS[description] ?? "unknown_alert";
}

/** Parses an alert fragment and returns the error to throw. */
export function alertError(fragment: Uint8Array): TlsAlertError {
  const r = new ByteReader(fragment, "alert");
  const level = r.u8();
  const description = r.u8();
  return new TlsAlertError(level, description);
}

/** Quotes printable bytes ("HTTP/1.1 400 Bad Request"), shows others as hex. */
export function describeBytes(bytes: Uint8Array): string {
  const head = bytes.subarray(0, 40);
  const printable = head.every((b) => b === 9 || b === 10 || b === 13 || (b >= 32 && b < 127));
  if (printable && head.byteLength > 0) {
    const text = new TextDecoder().decode(head).split(/\r?\n/)[0]!;
    return `"${text}${text.length < head.byteLength || bytes.byteLength > head.byteLength ? "…" : ""}"`;
  }
  const hex = Array.from(bytes.subarray(0, 16), (b) => b.toString(16).padStart(2, "0")).join(" ");
  return `bytes ${hex}${bytes.byteLength > 16 ? " …" : ""}`;
}

/** Builds one plaintext record. */
export function encodeRecord(type: number, fragment: Uint8Array, version = 0x0303): Uint8Array {
  return new ByteWriter()
    .u8(type)
    .u16(version)
    .vec(2, (w) => w.bytes(fragment))
    .finish();
}

/** Cuts records out of bytes as they arrive. */
export class RecordFramer {
  private buf: Uint8Array = new Uint8Array(0);
  private sawRecord = false;

  push(bytes: Uint8Array): void {
    this.buf = concat(this.buf, bytes);
  }

  /** Bytes received but not yet framed (for error messages). */
  get pending(): Uint8Array {
    return this.buf;
  }

  /** The next complete record, or null if more bytes are needed. */
  next(): TlsRecord | null {
    if (this.buf.byteLength < 5) {
      // Fail fast on a first byte no TLS server sends, without waiting for five bytes.
      if (!this.sawRecord && this.buf.byteLength > 0 && !isContentType(this.buf[0]!)) throw new NotTlsError(this.buf);
      return null;
    }
    const type = this.buf[0]!;
    const major = this.buf[1]!;
    const length = (this.buf[3]! << 8) | this.buf[4]!;
    if (!isContentType(type) || major !== 3 || length > MAX_RECORD) {
      if (!this.sawRecord) throw new NotTlsError(this.buf);
      throw new TlsDecodeError(`server sent a malformed TLS record (type ${type}, version ${major}.${this.buf[2]}, ${length} bytes)`);
    }
    if (this.buf.byteLength < 5 + length) return null;
    const record = { type, header: this.buf.slice(0, 5), fragment: this.buf.slice(5, 5 + length) };
    this.buf = this.buf.slice(5 + length);
    this.sawRecord = true;
    return record;
  }
}

function isContentType(b: number): boolean {
  return b >= ContentType.changeCipherSpec && b <= ContentType.applicationData;
}

export interface HandshakeMessage {
  type: number;
  body: Uint8Array;
  /** Type, length and body: what goes into the transcript hash. */
  raw: Uint8Array;
}

/** Reassembles handshake messages: one record may hold several, one message may span records. */
export class HandshakeReassembler {
  private buf: Uint8Array = new Uint8Array(0);

  push(fragment: Uint8Array): void {
    this.buf = concat(this.buf, fragment);
  }

  /** True when a message is partly received (a key change must not split a message). */
  get partial(): boolean {
    return this.buf.byteLength > 0;
  }

  next(): HandshakeMessage | null {
    if (this.buf.byteLength < 4) return null;
    const length = (this.buf[1]! << 16) | (this.buf[2]! << 8) | this.buf[3]!;
    if (length > 1 << 20) throw new TlsDecodeError(`server sent a handshake message of ${length} bytes (limit 1 MiB)`);
    if (this.buf.byteLength < 4 + length) return null;
    const raw = this.buf.slice(0, 4 + length);
    this.buf = this.buf.slice(4 + length);
    return { type: raw[0]!, body: raw.subarray(4), raw };
  }
}
