/**
 * Retries within one run, on network failures only. A re-probe that hides a 500 makes uptime
 * lie; no retry at all makes one dropped packet page someone. So a failed probe is retried
 * (`retries: { count, delay }`) only when the network failed it — the connection was refused,
 * the name did not resolve, the TLS handshake failed, the connection closed before an answer,
 * or time ran out — and never when the target answered: an HTTP status, a failed assertion, a
 * certificate that is expired or does not cover the name, a resolver's NXDOMAIN.
 *
 * Pure: the probe and the wait are passed in. The phrases classified here are the ones the
 * probes word (src/probes/connect-failure.ts `reasons`, `TimeoutError`, the TLS and WebSocket
 * probes); the table test pins each one, so a new phrase that is not classified shows up there.
 */

/** What kind of failure a probe result is. */
export type FailureClass =
  /** The network failed: retried. */
  | "network"
  /** The target answered, and the answer is wrong: never retried. */
  | "answer"
  /** Vigil could not run the probe (its own fault, not the target's): unknown, never retried. */
  | "internal";

/** The part of a probe result the classification reads. */
export interface Classifiable {
  status: string;
  reason?: string;
  /** Present when the target answered over HTTP (or upgraded a WebSocket). */
  statusCode?: number;
}

/** Reasons the probes give when a probe itself crashed (src/probes/index.ts). */
const INTERNAL = /^internal error in the \w+ probe\b/;

/**
 * Network failures, as the probes word them. Anchored on the phrases, wherever a prefix
 * (`resolver: `, `sample 2 of 3: `, `TLS handshake failed: `) puts them.
 */
const NETWORK: readonly RegExp[] = [
  /\bconnection refused by\b/,
  /\bno such host: /,
  /\bclosed the connection (before answering|while sending)/,
  /\btimed out after [\d.]+ m?s\b/,
  /\btimed out connecting to\b/,
  /\bcannot connect to\b/,
  /\bfailed before any response\b/,
  /\bis unreachable \(Cloudflare error 523\)/,
  /\bTLS handshake (with \S+ )?failed\b/,
  /^WebSocket connection failed after it opened$/,
];

/** A handshake that completed far enough to read the certificate, and refused it: an answer. */
const CERTIFICATE = /\bTLS handshake (with \S+ )?failed: (certificate |server sent an empty certificate chain)/;

/**
 * The class of a failed result; null when it did not fail (`up`, `degraded`). A failure whose
 * reason is none of the known phrases counts as an answer: when in doubt, do not retry (a
 * retry could hide a real failure; a missed retry only reports one).
 */
export function failureClass(result: Classifiable): FailureClass | null {
  if (result.status !== "down") return null;
  const reason = result.reason ?? "";
  if (INTERNAL.test(reason)) return "internal";
  // An edge error page (Cloudflare 52x) is the network's failure even though it came as an answer.
  if (result.statusCode !== undefined && !/\(Cloudflare error 52[1-5]\)|: no such host: /.test(reason)) return "answer";
  if (CERTIFICATE.test(reason)) return "answer";
  return NETWORK.some((re) => re.test(reason)) ? "network" : "answer";
}

/** `retries` on a monitor. */
export interface RetryPolicy {
  /** Re-probes after the first attempt, at most. 0: none. */
  count: number;
  /** Wait between attempts, ms. */
  delay: number;
}

export interface Retried<T> {
  result: T;
  /** Probes made: 1 + the retries it took. */
  attempts: number;
}

/**
 * Runs `attempt`, and again after `policy.delay` while its result is a network failure, at most
 * `policy.count` more times. Returns the last result and how many attempts it took.
 */
export async function retryNetworkFailures<T extends Classifiable>(
  attempt: (n: number) => Promise<T>,
  policy: RetryPolicy | undefined,
  sleep: (ms: number) => Promise<void>,
): Promise<Retried<T>> {
  const count = policy?.count ?? 0;
  let result = await attempt(1);
  let attempts = 1;
  while (attempts <= count && failureClass(result) === "network") {
    if (policy!.delay > 0) await sleep(policy!.delay);
    result = await attempt(++attempts);
  }
  return { result, attempts };
}

/** The longest a run with retries can take: every attempt timing out, plus the waits between them. */
export function worstCaseRunMs(timeout: number, samples: number, policy: RetryPolicy | undefined): number {
  const count = policy?.count ?? 0;
  return samples * ((count + 1) * timeout + count * (policy?.delay ?? 0));
}
