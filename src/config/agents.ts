/** Host agents that push signed reports (`POST /v1/agents/:id/reports`). */
import { z } from "zod";
import { id, secretRef } from "./common";
import { duration } from "./duration";

const threshold = z.number().int().min(1).max(20);

export const agentSpec = z.strictObject({
  /** The agent's id; its reports must carry the same `agent.id`. */
  id,
  /** Service the agent's checks (and its heartbeat) belong to. */
  service: id,
  /** HMAC-SHA256 key the agent signs reports with, named by environment variable. */
  secret: secretRef,
  /** A disabled agent's reports are refused with 403 and its dead-man alarm is not armed. */
  enabled: z.boolean().default(true),
  /**
   * How long after the last report the agent counts as silent. Default: 3 × the
   * `intervalSeconds` the agent promises in its reports.
   */
  grace: duration({ min: "1s", max: "7d" }).optional(),
  /** Consecutive critical reports before a check is down. Default 2. */
  failureThreshold: threshold.default(2),
  /** Consecutive ok/warn reports before a down check recovers. Default 2. */
  recoveryThreshold: threshold.default(2),
  /** Per-check overrides by the agent's check id (`docker:safework-postgres`). */
  checks: z
    .record(z.string().min(1).max(200), z.strictObject({ failureThreshold: threshold.optional(), recoveryThreshold: threshold.optional() }))
    .default({}),
});
export type AgentSpec = z.infer<typeof agentSpec>;
