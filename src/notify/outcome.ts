/**
 * Every channel answers one of three outcomes; retry, backoff and `Retry-After` live here once.
 */
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
    return { kind: "retryable", error: `receiver answered ${httpStatus}`, httpStatus, ...(retryAfterSeconds !== undefined && { retryAfterSeconds }) };
  }
  return { kind: "permanent", error: `receiver answered ${httpStatus}`, httpStatus };
}

/** `Retry-After` as delay-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

/**
 * Exponential backoff with full jitter: attempt 1 → up to 2 s, 2 → 4 s, … capped at 10 min.
 * `random` is passed in so the schedule is testable.
 */
export function backoffSeconds(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(600, 2 ** Math.min(attempt, 10));
  return Math.max(1, Math.round(ceiling * random()));
}

/** Removes anything that looks like a URL's secret parts (path, query) from an error message. */
export function redactUrls(message: string): string {
  return message.replace(/(https?:\/\/[^/\s]+)[^\s]*/g, "$1/…");
}
