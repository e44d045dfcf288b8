/**
 * The probe result: what one probe observed. Outside tools depend on this shape
 * (`POST /v1/probe` answers it), so fields are only ever added.
 */
export type ProbeStatus = "up" | "degraded" | "down";

export interface ProbeResult {
  status: ProbeStatus;
  /** Time to the answer that decided the result, in ms. */
  latencyMs: number;
  /** One line a tired operator understands, present unless the probe was fully up. */
  reason?: string;
  /** ISO 8601 time the probe started. */
  checkedAt: string;
  /** HTTP status code, for http probes that got an answer. */
  statusCode?: number;
}
