/**
 * Signed, expiring action links for notifications:
 * `<publicUrl>/a/<incident>/<action>?ep=…&exp=…&sig=…`. The signature is HMAC-SHA256 over
 * `<action>:<incident>:<episode>:<exp>` with `VIGIL_LINK_SECRET` (or the admin token when
 * unset), checked in constant time with `crypto.subtle.verify`. The episode is the time the
 * incident (re)opened: a reopen keeps the incident's id, and a link sent for an earlier
 * episode must not acknowledge the new one.
 * Opening a link shows a confirmation page; only its POST acts, so mail scanners and link
 * previews that fetch the URL acknowledge nothing.
 */
import { fromBase64, toBase64Url, utf8 } from "../../lib/encoding";
import { hmacKey } from "../../lib/hmac";

export type LinkAction = "ack" | "resolve";

/** How long a link in a notification stays valid. */
export const LINK_TTL_MS = 24 * 3_600_000;

const key = (secret: string, usage: "sign" | "verify") => hmacKey(`vigil-link:${secret}`, usage);

/** The text a link's MAC covers. */
const signed = (action: LinkAction, incidentId: string, episode: number, exp: number) => `${action}:${incidentId}:${episode}:${exp}`;

/** A link for `action` on the incident's episode that (re)opened at `episode` (ms). */
export async function signLink(
  publicUrl: string,
  secret: string,
  incidentId: string,
  action: LinkAction,
  expiresAt: number,
  episode: number,
): Promise<string> {
  const exp = Math.floor(expiresAt / 1000);
  const sig = toBase64Url(await crypto.subtle.sign("HMAC", await key(secret, "sign"), utf8(signed(action, incidentId, episode, exp))));
  return `${publicUrl.replace(/\/$/, "")}/a/${encodeURIComponent(incidentId)}/${action}?ep=${episode}&exp=${exp}&sig=${sig}`;
}

/** A MAC in base64url is 43 characters; anything much longer is not one. */
const MAX_SIG_CHARS = 64;
const DIGITS = /^\d{1,15}$/;

export interface LinkParams {
  exp: string | undefined;
  sig: string | undefined;
  /** The episode the link was signed for (`ep=`). */
  ep: string | undefined;
}

/**
 * Checks a link against the incident's current episode (`openedAt`, ms). Shape first (digits,
 * a MAC-sized signature), then the MAC, then expiry and episode.
 */
export async function verifyLink(
  secret: string,
  incidentId: string,
  action: LinkAction,
  params: LinkParams,
  openedAt: number,
  now: number,
): Promise<{ ok: true } | { ok: false; reason: string }> {
  const { exp, sig, ep } = params;
  if (!exp || !DIGITS.test(exp)) return { ok: false, reason: "the link has no valid expiry" };
  if (!ep || !DIGITS.test(ep)) return { ok: false, reason: "the link names no incident episode (it predates episode-bound links)" };
  const mac = sig && sig.length <= MAX_SIG_CHARS ? fromBase64(sig) : null;
  if (!mac) return { ok: false, reason: "the link has no valid signature" };
  const expSeconds = Number(exp);
  const episode = Number(ep);
  const valid = await crypto.subtle.verify("HMAC", await key(secret, "verify"), mac, utf8(signed(action, incidentId, episode, expSeconds)));
  if (!valid) return { ok: false, reason: "the link's signature does not match" };
  if (expSeconds * 1000 < now) return { ok: false, reason: "the link has expired" };
  if (episode !== openedAt) {
    return {
      ok: false,
      reason: `the link is from an earlier episode of this incident (it reopened at ${new Date(openedAt).toISOString()}); use the link of the latest page`,
    };
  }
  return { ok: true };
}

/** The secret links are signed with. */
export function linkSecret(env: Record<string, unknown>): string | null {
  const s = env.VIGIL_LINK_SECRET ?? env.VIGIL_ADMIN_TOKEN;
  return typeof s === "string" && s !== "" ? s : null;
}
