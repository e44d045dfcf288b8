/**
 * Durable Objects record through the same path as the probes (`recordObservation`). Several
 * objects may write incidents of one service at once (five agents of a service going silent
 * together all open "the" incident); the loser's D1 batch fails on the one-open-incident
 * index and is retried, and then joins the incident the winner opened.
 */
import { type CheckRef, type Observation, recordObservations } from "../incidents/record";

const ATTEMPTS = 4;

type Args = Parameters<typeof recordObservations>;

/** `recordObservation` with retries; `states` is left as it was when a write fails. */
export function observe(
  sink: Args[0],
  config: Args[1],
  states: Args[2],
  check: CheckRef,
  observation: Observation,
  now: number,
  options?: Args[5],
) {
  return observeAll(sink, config, states, [{ check, observation }], now, options);
}

/** `recordObservations` (several checks, one D1 batch) with retries, as `observe`. */
export async function observeAll(...args: Args): Promise<boolean> {
  const [, , states, items] = args;
  for (let attempt = 1; ; attempt++) {
    const before = items.map(({ check }) => [check.id, states.get(check.id)] as const);
    try {
      return await recordObservations(...args);
    } catch (err) {
      // The batch is atomic: nothing was written, so the state before it is still the truth.
      for (const [id, state] of before) {
        if (state) states.set(id, state);
        else states.delete(id);
      }
      if (attempt >= ATTEMPTS) throw err;
      await new Promise((r) => setTimeout(r, 10 * attempt + Math.random() * 20));
    }
  }
}

/** Runs tasks one at a time, in call order, even when they await I/O (input gates do not cover D1). */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
