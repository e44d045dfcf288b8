/**
 * Every channel answers one of three outcomes; retry, backoff and `Retry-After` live here once
 * (their arithmetic, shared with the agent, in lib/backoff.ts).
 */
import { backoff, retryAfterMs } from "../../lib/backoff";

export type DeliveryOutcome =
  | { kind: "ok"; httpStatus?: number }
  | { kind: "retryable"; error: string; httpStatus?: number; retryAfterSeconds?: number }
  | { kind: "permanent"; error: string; httpStatus?: number };

/** Classifies an HTTP answer the way providers mean it: 2xx ok; 408/425/429/5xx retry; else permanent. */
export function classifyHttp(res: Response): DeliveryOutcome {
  const httpStatus = res.status;
  if (httpStatus >= 200 && httpStatus < 300) return { kind: "ok", httpStatus };
  const retryAfterSeconds = parseRetryAfter(res.headers.get("retry-after"), Date.now());
  if (httpStatus === 408 || httpStatus === 425 || httpStatus === 429 || httpStatus >= 500) {
    return {
      kind: "retryable",
      error: `receiver answered ${httpStatus}`,
      httpStatus,
      ...(retryAfterSeconds !== undefined && { retryAfterSeconds }),
    };
  }
  return { kind: "permanent", error: `receiver answered ${httpStatus}`, httpStatus };
}

/** `Retry-After` as delay-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  const ms = retryAfterMs(value, now);
  // Some providers (Discord) send fractional seconds; round up.
  return ms === null ? undefined : Math.ceil(ms / 1000);
}

/** Delivery budget, written once for every channel. */
export const DELIVERY = {
  /** Attempts before a notification is dead-lettered (the queue's `max_retries` is a higher backstop). */
  maxAttempts: 15,
  /** First retry delay ceiling, seconds; doubles per attempt. */
  baseSeconds: 5,
  /** Largest delay between two attempts, seconds. */
  capSeconds: 600,
  /** Largest `Retry-After` honoured, seconds (Cloudflare Queues allow at most 12 h). */
  maxRetryAfterSeconds: 43_200,
} as const;

/**
 * Exponential backoff with "equal" jitter: attempt 1 → 2.5–5 s, 2 → 5–10 s, … capped at 5–10 min.
 * Half the ceiling is fixed so the retry budget always spans a real outage (with full jitter a
 * run of small random numbers could spend all 15 attempts in a minute); the other half is
 * random so many failed deliveries do not retry in lockstep. With the defaults the budget
 * spans at least ~40 minutes (typically an hour) before a dead letter. `random` is passed in so it is testable.
 */
export function backoffSeconds(attempt: number, random: () => number = Math.random): number {
  return Math.max(1, Math.round(backoff(attempt, DELIVERY.baseSeconds, DELIVERY.capSeconds, random)));
}

/** The delay before the next attempt: the receiver's `Retry-After` wins, within bounds. */
export function retryDelaySeconds(outcome: { retryAfterSeconds?: number }, attempt: number, random: () => number = Math.random): number {
  if (outcome.retryAfterSeconds !== undefined)
    return Math.min(DELIVERY.maxRetryAfterSeconds, Math.max(0, Math.ceil(outcome.retryAfterSeconds)));
  return backoffSeconds(attempt, random);
}

/** Replaces every occurrence of the given secret values (tokens, keys, secret URLs) with `…`. */
export function redactSecrets(message: string, secrets: readonly string[]): string {
  let out = message;
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join("…");
  return out;
}

/** Removes anything that looks like a URL's secret parts (path, query) from an error message. */
export function redactUrls(message: string): string {
  // Stops at quotes and angle brackets so a URL inside a JSON error answer keeps the JSON readable.
  return message.replace(/(https?:\/\/[^/\s"'<>]+)[^\s"'<>]*/g, "$1/…");
}
