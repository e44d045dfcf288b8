/**
 * One hard deadline per probe: every await on the network races it, and the reason says what
 * the probe was waiting for when time ran out ("timed out after 10 s while reading the body").
 */
import { formatMs } from "../../lib/duration";

/** Milliseconds the way an operator reads them: `500 ms`, `2.5 s`, `10 s`. */
export { formatMs };

export class TimeoutError extends Error {
  override readonly name = "TimeoutError";
  constructor(
    readonly ms: number,
    readonly phase: string,
  ) {
    super(`timed out after ${formatMs(ms)} ${phase}`);
  }
}

export class Deadline {
  private readonly at: number;
  private readonly controller = new AbortController();
  private readonly timer: ReturnType<typeof setTimeout>;
  private expired: Promise<never>;

  /** `phase` names what the probe is waiting for; update it as the probe moves on. */
  phase = "while connecting";

  constructor(readonly ms: number) {
    this.at = Date.now() + ms;
    let fire!: (err: TimeoutError) => void;
    this.expired = new Promise<never>((_, reject) => (fire = reject));
    this.expired.catch(() => {}); // observed through `race`; never an unhandled rejection
    this.timer = setTimeout(() => {
      const err = new TimeoutError(ms, this.phase);
      this.controller.abort(err);
      fire(err);
    }, ms);
  }

  /** Aborts fetches and streams when the deadline passes. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get remaining(): number {
    return Math.max(0, this.at - Date.now());
  }

  /** `work`, or a `TimeoutError` naming the current phase once the deadline passes. */
  race<T>(work: Promise<T>, phase?: string): Promise<T> {
    if (phase !== undefined) this.phase = phase;
    work.catch(() => {}); // a late rejection after the deadline is not an unhandled error
    return Promise.race([work, this.expired]);
  }

  /** Stops the timer; call in `finally`. */
  clear(): void {
    clearTimeout(this.timer);
  }
}
