/** Builds monitor specs the way the config does (defaults filled, durations in ms). */
import { monitorSpec, type MonitorSpec } from "../../../src/config";

export function monitor<T extends MonitorSpec["type"]>(type: T, fields: Record<string, unknown>): Extract<MonitorSpec, { type: T }> {
  return monitorSpec.parse({ id: `test-${type}`, service: "probes", type, timeout: "3s", ...fields }) as Extract<MonitorSpec, { type: T }>;
}
