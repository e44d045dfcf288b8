/**
 * `retries: { count, delay }` on a monitor: re-probe within the same run, only after a network
 * failure (refused, no such host, TLS handshake, closed before answering, timeout — never an
 * HTTP status or a failed assertion: src/engine/retry.ts). The run, every attempt timing out
 * and the waits included, must end before the next run (checked with the monitor's timing).
 */
import { z } from "zod";
import { duration } from "./duration";

export const retriesSpec = z.strictObject({
  /** Re-probes after the first attempt, at most. */
  count: z.number().int().min(1).max(5),
  /** Wait between attempts. Default `1s`. */
  delay: duration({ min: "0s", max: "30s" }).prefault("1s"),
});
export type RetriesSpec = z.infer<typeof retriesSpec>;
