/**
 * Request signing shared by the agent and the worker.
 *
 * `Vigil-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`
 * (the same construction as Stripe's, so the timestamp is covered by the MAC).
 * Uses WebCrypto only, so it runs unchanged in workerd and in Node ≥ 20.
 */
import { equalBytes, fromHex, toHex } from "../../lib/encoding";
import { hmacKey as importHmacKey } from "../../lib/hmac";

export const SIGNATURE_HEADER = "Vigil-Signature";
/** How far a signature's timestamp may be from the receiver's clock, in seconds. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

const encoder = new TextEncoder();

/** Imported keys by usage and secret: an import per request was a measurable part of ingest. */
const keys = new Map<string, Promise<CryptoKey>>();
const MAX_CACHED_KEYS = 4096;

function hmacKey(secret: string | Uint8Array<ArrayBuffer>, usage: "sign"): Promise<CryptoKey> {
  const importKey = () => importHmacKey(secret, usage);
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

export type SignatureCheck = { ok: true; timestamp: number } | { ok: false; reason: string };

/** `v1=` values one header may carry: a key rotation needs two; more is an attack on CPU. */
export const MAX_SIGNATURES = 4;
/** A header longer than this is refused before it is parsed (4 MACs and `t=` fit in ~300). */
export const MAX_SIGNATURE_HEADER_CHARS = 1024;
/** A `v1=` value: HMAC-SHA256 as hex. */
const MAC_HEX = /^[0-9a-f]{64}$/i;

/**
 * Checks a `Vigil-Signature` header. Cheap shape checks come first and bound the work: the
 * header's length, one `t=`, at most {@link MAX_SIGNATURES} `v1=` values of exactly 64 hex
 * digits; only then is the body MACed, once, and compared with each candidate in constant
 * time (`equalBytes`, lib/encoding.ts).
 */
export async function verifyReportSignature(
  secret: string,
  body: string,
  header: string | null | undefined,
  nowSeconds: number,
  toleranceSeconds = SIGNATURE_TOLERANCE_SECONDS,
): Promise<SignatureCheck> {
  if (!header) return { ok: false, reason: `missing ${SIGNATURE_HEADER} header` };
  if (header.length > MAX_SIGNATURE_HEADER_CHARS) {
    return { ok: false, reason: `${SIGNATURE_HEADER} is too long (${header.length} characters; at most ${MAX_SIGNATURE_HEADER_CHARS})` };
  }
  const times: string[] = [];
  const candidates: string[] = [];
  for (const item of header.split(",")) {
    const eq = item.indexOf("=");
    if (eq <= 0) continue;
    const k = item.slice(0, eq).trim();
    if (k === "t") times.push(item.slice(eq + 1).trim());
    else if (k === "v1") candidates.push(item.slice(eq + 1).trim());
  }
  if (times.length > 1) return { ok: false, reason: `${SIGNATURE_HEADER} must have exactly one t=<unix seconds>, got ${times.length}` };
  const t = /^\d{1,12}$/.test(times[0] ?? "") ? Number(times[0]) : NaN;
  if (!Number.isInteger(t)) return { ok: false, reason: `${SIGNATURE_HEADER} has no valid t=<unix seconds>` };
  if (Math.abs(nowSeconds - t) > toleranceSeconds) {
    return { ok: false, reason: `signature timestamp is ${nowSeconds - t} s from the server clock (allowed ±${toleranceSeconds} s)` };
  }
  if (candidates.length === 0) return { ok: false, reason: `${SIGNATURE_HEADER} has no v1=<hex> signature` };
  if (candidates.length > MAX_SIGNATURES) {
    return { ok: false, reason: `${SIGNATURE_HEADER} has ${candidates.length} v1= values; at most ${MAX_SIGNATURES} are accepted` };
  }
  const macs: Uint8Array<ArrayBuffer>[] = [];
  for (const hex of candidates) {
    const mac = MAC_HEX.test(hex) ? fromHex(hex) : null;
    if (!mac) return { ok: false, reason: `every v1= value must be 64 hex digits (HMAC-SHA256), got ${hex.length} characters` };
    macs.push(mac);
  }
  const key = await hmacKey(secret, "sign");
  const expected = await crypto.subtle.sign("HMAC", key, encoder.encode(`${t}.${body}`));
  let match = false;
  for (const mac of macs) match = equalBytes(new Uint8Array(expected), mac) || match;
  return match ? { ok: true, timestamp: t } : { ok: false, reason: "signature does not match the body" };
}
