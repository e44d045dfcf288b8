/**
 * Structured log lines: one JSON object per line, `msg` first. `wrangler tail` shows them as they
 * are in production; `npm start` turns the ones below into one human line each
 * (scripts/narrate.mjs).
 *
 * - `check.state`: a check's status changed (`check`, `service`, `from`, `to`, `reason`, `at`).
 * - `incident.event`: an incident's timeline grew (`incident`, `service`, `title`, `event`, `detail`).
 * - `incident.page`: notifications were queued (`incident`, `service`, `event`, `level`, `channels`).
 * - `state.page_held`: a due state page (`monitoringBroken`, `degraded`) is held by a silence or a
 *   maintenance window (`service`, `check`, `kind`, `held`, `until`); it is sent when that ends.
 * - `delivery`: one delivery attempt's outcome (`outcome`: delivered | retry | failed | dead,
 *   `channel`, `event`, `incident`, `level`, `attempt`, `httpStatus`, `latencyMs`, `error`, redacted).
 */
export type LogEvent = "check.state" | "incident.event" | "incident.page" | "state.page" | "state.page_held" | "delivery";

export function logEvent(msg: LogEvent, fields: Record<string, unknown>): void {
  console.log(JSON.stringify({ msg, ...fields }));
}
