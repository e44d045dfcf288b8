/**
 * Bytes as text and back (hex, base64, base64url) and a constant-time comparison, with what
 * workerd and Node ≥ 20 both have (`btoa`, `atob`, `TextEncoder`); no Buffer.
 */

export const utf8 = (text: string) => new TextEncoder().encode(text) as Uint8Array<ArrayBuffer>;

const bytesOf = (data: ArrayBuffer | Uint8Array) => (data instanceof Uint8Array ? data : new Uint8Array(data));

/** Lower-case hex. */
export function toHex(data: ArrayBuffer | Uint8Array): string {
  return Array.from(bytesOf(data), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Hex (either case) to bytes; `null` when it is not an even run of hex digits. */
export function fromHex(hex: string): Uint8Array<ArrayBuffer> | null {
  if (hex.length % 2 !== 0 || !/^[0-9a-f]*$/i.test(hex)) return null;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** Standard base64 with padding (RFC 4648 §4). */
export function toBase64(data: ArrayBuffer | Uint8Array): string {
  let bin = "";
  for (const b of bytesOf(data)) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** Base64url without padding (RFC 4648 §5). */
export const toBase64Url = (data: ArrayBuffer | Uint8Array) => toBase64(data).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

/** Base64 or base64url, padded or not, to bytes; `null` when it is neither. */
export function fromBase64(text: string): Uint8Array<ArrayBuffer> | null {
  try {
    const bin = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(bin, (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

/**
 * Constant-time equality of two byte strings of the same length: every byte is looked at
 * whatever differs (workerd's `crypto.subtle.timingSafeEqual` is not in Node).
 */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  let diff = 0;
  for (let i = 0; i < a.byteLength; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
