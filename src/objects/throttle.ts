/**
 * ThrottleObject: failed authentication attempts of one client (one object per client
 * address), per scope (`admin`, `status`, `ping`). A client with {@link AUTH_THROTTLE}.failures
 * failures inside the sliding window is refused with 429 until the oldest of them leaves the
 * window — its right credentials too, so guessing on gains nothing.
 *
 * The counts live in memory: an object idle long enough to be evicted has had no failure for
 * longer than the window, so nothing is lost that still counted.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";

/** Failed attempts a client may make per window and scope before it is refused. */
export const AUTH_THROTTLE = { failures: 10, windowMs: 60_000 } as const;

export class ThrottleObject extends DurableObject<Env> {
  readonly #failures = new Map<string, number[]>();

  #recent(scope: string, now: number): number[] {
    const times = (this.#failures.get(scope) ?? []).filter((t) => t > now - AUTH_THROTTLE.windowMs);
    this.#failures.set(scope, times);
    return times;
  }

  /** How long (ms) this client is refused in `scope`; 0 when it is not. */
  blockedFor(scope: string, now: number): number {
    const times = this.#recent(scope, now);
    if (times.length < AUTH_THROTTLE.failures) return 0;
    return times[times.length - AUTH_THROTTLE.failures]! + AUTH_THROTTLE.windowMs - now;
  }

  /** Records a failed attempt; answers how long the client is refused from now on (0: not yet). */
  fail(scope: string, now: number): number {
    const times = this.#recent(scope, now);
    times.push(now);
    // Bounded: only the last `failures` times decide anything.
    if (times.length > AUTH_THROTTLE.failures) times.splice(0, times.length - AUTH_THROTTLE.failures);
    return this.blockedFor(scope, now);
  }
}
