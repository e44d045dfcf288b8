/** Loads the status model for a request: live state (overdue monitors unknown) and incidents, cached history, one `now`. */
import type { VigilConfig } from "../../config";
import { loadHistory } from "../../store/status-history";
import { loadCurrent, withOverdue } from "../../store/status-read";
import type { Audience } from "./audience";
import { buildStatusModel, type StatusModel } from "./model";

/** Days in the uptime bars. */
export const STATUS_DAYS = 90;

export async function loadStatusModel(db: D1Database, config: VigilConfig, now: number, audience: Audience): Promise<StatusModel> {
  const [history, current] = await Promise.all([
    loadHistory(db, now, { timeZone: config.timezone, days: STATUS_DAYS }),
    loadCurrent(db, { historySince: now - STATUS_DAYS * 86_400_000, recentIncidents: 20 }),
  ]);
  // A monitor whose planned runs stopped is unknown, not its last measured state.
  return buildStatusModel(config, { ...current, states: withOverdue(current.states, config.monitors, now) }, history, now, audience);
}
