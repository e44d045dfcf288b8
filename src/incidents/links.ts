/**
 * Signed, expiring action links for notifications: `<publicUrl>/a/<incident>/<action>?exp=…&sig=…`.
 * The signature is HMAC-SHA256 over `<action>:<incident>:<exp>` with `VIGIL_LINK_SECRET`
 * (or the admin token when unset), checked in constant time with `crypto.subtle.verify`.
 * Opening a link shows a confirmation page; only its POST acts, so mail scanners and link
 * previews that fetch the URL acknowledge nothing.
 */
export type LinkAction = "ack" | "resolve";

/** How long a link in a notification stays valid. */
export const LINK_TTL_MS = 24 * 3_600_000;

const enc = new TextEncoder();

function key(secret: string, usage: "sign" | "verify") {
  return crypto.subtle.importKey("raw", enc.encode(`vigil-link:${secret}`), { name: "HMAC", hash: "SHA-256" }, false, [usage]);
}

const b64url = (buf: ArrayBuffer) => btoa(String.fromCharCode(...new Uint8Array(buf))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

function fromB64url(text: string): Uint8Array | null {
  try {
    const bin = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(bin, (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

export async function signLink(publicUrl: string, secret: string, incidentId: string, action: LinkAction, expiresAt: number): Promise<string> {
  const exp = Math.floor(expiresAt / 1000);
  const sig = b64url(await crypto.subtle.sign("HMAC", await key(secret, "sign"), enc.encode(`${action}:${incidentId}:${exp}`)));
  return `${publicUrl.replace(/\/$/, "")}/a/${encodeURIComponent(incidentId)}/${action}?exp=${exp}&sig=${sig}`;
}

export async function verifyLink(
  secret: string,
  incidentId: string,
  action: LinkAction,
  exp: string | undefined,
  sig: string | undefined,
  now: number,
): Promise<{ ok: true } | { ok: false; reason: string }> {
  const expSeconds = Number(exp);
  if (!exp || !Number.isInteger(expSeconds)) return { ok: false, reason: "the link has no valid expiry" };
  const mac = sig ? fromB64url(sig) : null;
  if (!mac) return { ok: false, reason: "the link has no valid signature" };
  const valid = await crypto.subtle.verify("HMAC", await key(secret, "verify"), mac, enc.encode(`${action}:${incidentId}:${expSeconds}`));
  if (!valid) return { ok: false, reason: "the link's signature does not match" };
  if (expSeconds * 1000 < now) return { ok: false, reason: "the link has expired" };
  return { ok: true };
}

/** The secret links are signed with. */
export function linkSecret(env: Record<string, unknown>): string | null {
  const s = env.VIGIL_LINK_SECRET ?? env.VIGIL_ADMIN_TOKEN;
  return typeof s === "string" && s !== "" ? s : null;
}
