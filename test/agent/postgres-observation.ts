/** A Postgres observation for the pure judgement tests; each test overrides the figures it judges. */
import type { PostgresObservation } from "../../agent/checks/postgres";

/** A quiet primary: every figure far inside its thresholds. */
export const quietPrimary: PostgresObservation = {
  latencyMs: 2,
  maxConnections: 100,
  connections: 5,
  activeConnections: 1,
  longestQuerySeconds: 0,
  longestQueryPid: null,
  oldestTransactionSeconds: 0,
  oldestTransactionPid: null,
  replica: false,
  replicationLagSeconds: null,
  slowest: null,
};
