/** HMAC-SHA256 and SHA-256 with Web Crypto (`crypto.subtle`), the same in workerd and Node ≥ 20. */
import { utf8 } from "./encoding";

/** An HMAC-SHA256 key for `usage`; `secret` as text is UTF-8 encoded. */
export function hmacKey(secret: string | Uint8Array<ArrayBuffer>, usage: "sign" | "verify" = "sign"): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", typeof secret === "string" ? utf8(secret) : secret, { name: "HMAC", hash: "SHA-256" }, false, [
    usage,
  ]);
}

/** HMAC-SHA256 of `message` (UTF-8) under `key` (a key, or a secret to import). */
export async function hmacSha256(key: CryptoKey | string | Uint8Array<ArrayBuffer>, message: string): Promise<Uint8Array<ArrayBuffer>> {
  const k = typeof key === "string" || key instanceof Uint8Array ? await hmacKey(key, "sign") : key;
  return new Uint8Array(await crypto.subtle.sign("HMAC", k, utf8(message)));
}

/** SHA-256 of `text` (UTF-8). */
export async function sha256(text: string): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", utf8(text)));
}
