/**
 * Request signing shared by the agent and the worker.
 *
 * `Vigil-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`
 * (the same construction as Stripe's, so the timestamp is covered by the MAC).
 * Uses WebCrypto only, so it runs unchanged in workerd and in Node ≥ 20.
 */

export const SIGNATURE_HEADER = "Vigil-Signature";
/** How far a signature's timestamp may be from the receiver's clock, in seconds. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

const encoder = new TextEncoder();

/** Imported keys by usage and secret: an import per request was a measurable part of ingest. */
const keys = new Map<string, Promise<CryptoKey>>();
const MAX_CACHED_KEYS = 4096;

function hmacKey(secret: string | Uint8Array<ArrayBuffer>, usage: "sign" | "verify"): Promise<CryptoKey> {
  const raw = typeof secret === "string" ? encoder.encode(secret) : secret;
  const importKey = () => crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, [usage]);
  if (typeof secret !== "string") return importKey();
  const id = `${usage}\u0000${secret}`;
  let key = keys.get(id);
  if (!key) {
    if (keys.size >= MAX_CACHED_KEYS) keys.clear();
    key = importKey();
    keys.set(id, key);
    key.catch(() => keys.delete(id));
  }
  return key;
}

function toHex(buf: ArrayBuffer): string {
  return [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function fromHex(hex: string): Uint8Array<ArrayBuffer> | null {
  if (hex.length % 2 !== 0 || !/^[0-9a-f]*$/i.test(hex)) return null;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** The text the MAC covers: the timestamp and the raw body. */
export const signedText = (body: string, unixSeconds: number) => `${unixSeconds}.${body}`;

/** The header value for a MAC (lower-case hex) made over {@link signedText}. */
export const signatureHeader = (macHex: string, unixSeconds: number) => `t=${unixSeconds},v1=${macHex}`;

/** Signs `body` at `unixSeconds`; returns the header value. */
export async function signReport(secret: string, body: string, unixSeconds: number): Promise<string> {
  const key = await hmacKey(secret, "sign");
  const mac = await crypto.subtle.sign("HMAC", key, encoder.encode(signedText(body, unixSeconds)));
  return signatureHeader(toHex(mac), unixSeconds);
}

export type SignatureCheck =
  | { ok: true; timestamp: number }
  | { ok: false; reason: string };

/**
 * Checks a `Vigil-Signature` header. The MAC comparison is constant time: it goes through
 * `crypto.subtle.verify`, which compares inside the crypto implementation.
 */
export async function verifyReportSignature(
  secret: string,
  body: string,
  header: string | null | undefined,
  nowSeconds: number,
  toleranceSeconds = SIGNATURE_TOLERANCE_SECONDS,
): Promise<SignatureCheck> {
  if (!header) return { ok: false, reason: `missing ${SIGNATURE_HEADER} header` };
  const parts = new Map<string, string[]>();
  for (const item of header.split(",")) {
    const eq = item.indexOf("=");
    if (eq <= 0) continue;
    const k = item.slice(0, eq).trim();
    parts.set(k, [...(parts.get(k) ?? []), item.slice(eq + 1).trim()]);
  }
  const t = Number(parts.get("t")?.[0]);
  if (!Number.isInteger(t)) return { ok: false, reason: `${SIGNATURE_HEADER} has no valid t=<unix seconds>` };
  if (Math.abs(nowSeconds - t) > toleranceSeconds) {
    return { ok: false, reason: `signature timestamp is ${nowSeconds - t} s from the server clock (allowed ±${toleranceSeconds} s)` };
  }
  const candidates = parts.get("v1") ?? [];
  if (candidates.length === 0) return { ok: false, reason: `${SIGNATURE_HEADER} has no v1=<hex> signature` };
  const key = await hmacKey(secret, "verify");
  const data = encoder.encode(`${t}.${body}`);
  for (const hex of candidates) {
    const sig = fromHex(hex);
    if (sig && (await crypto.subtle.verify("HMAC", key, sig, data))) return { ok: true, timestamp: t };
  }
  return { ok: false, reason: "signature does not match the body" };
}
