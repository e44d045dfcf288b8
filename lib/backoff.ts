/** Retry timing shared by the worker's notification queue and the agent's pusher. */

/**
 * Exponential backoff with "equal" jitter: the ceiling `base · 2^(attempt−1)`, capped at `cap`;
 * half of it fixed (so a retry budget always spans a real outage), half random (so many
 * failures do not retry in lockstep). Attempt 1 (or less) → base/2 … base. Unrounded, in the unit of
 * `base` and `cap`; `random` is passed in so it is testable.
 */
export function backoff(attempt: number, base: number, cap: number, random: () => number = Math.random): number {
  const ceiling = Math.min(cap, base * 2 ** Math.min(Math.max(attempt - 1, 0), 30));
  return ceiling / 2 + (ceiling / 2) * random();
}

/**
 * `Retry-After` as delay-seconds (fractional ones too: Discord sends them) or an HTTP date
 * (RFC 9110 §10.2.3), in ms from `now`; null when absent or unreadable.
 */
export function retryAfterMs(value: string | readonly string[] | null | undefined, now = Date.now()): number | null {
  const v = (typeof value === "string" ? value : value?.[0])?.trim();
  if (!v) return null;
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}
