/**
 * Reading and writing the TLS presentation language (RFC 8446 §3): big-endian integers and
 * length-prefixed vectors. A read past the end throws `TlsDecodeError` naming what was read.
 */

/** A message from the server that does not parse. */
export class TlsDecodeError extends Error {
  override readonly name = "TlsDecodeError";
}

export class ByteReader {
  private at = 0;
  constructor(
    private readonly buf: Uint8Array,
    /** Names the structure in errors: "ServerHello". */
    private readonly what: string,
  ) {}

  get remaining(): number {
    return this.buf.byteLength - this.at;
  }

  bytes(n: number): Uint8Array {
    if (n > this.remaining) throw new TlsDecodeError(`${this.what} is truncated (needed ${n} more bytes, had ${this.remaining})`);
    const out = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }

  u8(): number {
    return this.bytes(1)[0]!;
  }

  u16(): number {
    const b = this.bytes(2);
    return (b[0]! << 8) | b[1]!;
  }

  u24(): number {
    const b = this.bytes(3);
    return (b[0]! << 16) | (b[1]! << 8) | b[2]!;
  }

  /** A vector with a 1-, 2- or 3-byte length prefix. */
  vec(lengthBytes: 1 | 2 | 3): Uint8Array {
    const n = lengthBytes === 1 ? this.u8() : lengthBytes === 2 ? this.u16() : this.u24();
    return this.bytes(n);
  }

  /** Throws unless everything was read: trailing bytes mean we misread the structure. */
  end(): void {
    if (this.remaining !== 0) throw new TlsDecodeError(`${this.what} has ${this.remaining} unexpected trailing bytes`);
  }
}

export class ByteWriter {
  private readonly chunks: number[] = [];

  u8(n: number): this {
    this.chunks.push(n & 0xff);
    return this;
  }

  u16(n: number): this {
    return this.u8(n >> 8).u8(n);
  }

  u24(n: number): this {
    return this.u8(n >> 16)
      .u8(n >> 8)
      .u8(n);
  }

  bytes(b: Uint8Array | readonly number[]): this {
    for (const x of b) this.chunks.push(x);
    return this;
  }

  /** Writes what `body` writes, prefixed by its length in `lengthBytes` bytes. */
  vec(lengthBytes: 1 | 2 | 3, body: (w: ByteWriter) => void): this {
    const inner = new ByteWriter();
    body(inner);
    const bytes = inner.finish();
    if (bytes.byteLength >= 2 ** (8 * lengthBytes))
      throw new RangeError(`vector of ${bytes.byteLength} bytes does not fit a ${lengthBytes}-byte length`);
    if (lengthBytes === 1) this.u8(bytes.byteLength);
    else if (lengthBytes === 2) this.u16(bytes.byteLength);
    else this.u24(bytes.byteLength);
    return this.bytes(bytes);
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.chunks);
  }
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

export { toHex } from "../../../lib/encoding";

export function fromHex(hex: string): Uint8Array {
  const clean = hex.replace(/\s+/g, "");
  return Uint8Array.from(clean.match(/../g) ?? [], (h) => parseInt(h, 16));
}
