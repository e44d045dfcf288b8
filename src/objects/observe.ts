/**
 * Durable Objects record through the same path as the probes (`recordObservation`). Several
 * objects may write incidents of one service at once (five agents of a service going silent
 * together all open "the" incident); the loser's D1 batch fails on the one-open-incident
 * index and is retried, and then joins the incident the winner opened.
 */
import { recordObservation } from "../incidents/record";

const ATTEMPTS = 4;

/** `recordObservation` with retries; `states` is left as it was when a write fails. */
export async function observe(...args: Parameters<typeof recordObservation>): Promise<boolean> {
  const [, , states, check] = args;
  for (let attempt = 1; ; attempt++) {
    const before = states.get(check.id);
    try {
      return await recordObservation(...args);
    } catch (err) {
      // The batch is atomic: nothing was written, so the state before it is still the truth.
      if (before) states.set(check.id, before);
      else states.delete(check.id);
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
