import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config";
import { buildStatusModel, maintenanceOccurrence, publicEvent } from "../../../src/routes/status/model";
import type { History } from "../../../src/store/status-history";
import type { CheckStateRow, CurrentSnapshot } from "../../../src/store/status-read";
import { HOUR, statusConfig, statusSecrets } from "./seed";

const now = Date.parse("2026-11-23T12:00:00Z");
const history: History = {
  dayStarts: [now - 24 * HOUR, now - 12 * HOUR],
  days: new Map(),
  hours: new Map(),
  historyReadAt: now,
  version: 1,
};
const config = (withMaintenance = false) => {
  const c = statusConfig(now) as any;
  if (!withMaintenance) c.maintenance = [];
  return parseConfig(c, statusSecrets);
};
function snapshot(states: Record<string, CheckStateRow["status"]>, open = 0): CurrentSnapshot {
  return {
    states: new Map(
      Object.entries(states).map(([id, status]) => [
        id,
        { check_id: id, status, since: now, reason: null, updated_at: now, stale_since: null },
      ]),
    ),
    incidents: Array.from({ length: open }, (_, i) => ({
      id: `i${i}`,
      service_id: "api",
      status: "open" as const,
      title: "t",
      level: 1,
      opened_at: now,
      resolved_at: null,
    })),
    members: new Map(),
    events: new Map(),
    agents: new Map(),
  };
}
const all = (status: CheckStateRow["status"]) => ({
  "api-health": status,
  "web-home": status,
  "ping:nightly-backup": status,
  "agent:app-01:heartbeat": status,
});

describe("overall banner", () => {
  const cases: [string, Record<string, CheckStateRow["status"]>, number, boolean, string][] = [
    ["everything up", all("up"), 0, false, "All systems operational"],
    ["nothing checked yet", {}, 0, false, "Waiting for the first checks"],
    // The "SafeWork: No data yet" under "All systems operational".
    [
      "one service has no data yet, the others are up",
      { "api-health": "up", "web-home": "up" },
      0,
      false,
      "Waiting for data from some checks",
    ],
    [
      "one check of a service has no data yet",
      { "api-health": "up", "web-home": "up", "agent:app-01:heartbeat": "up" },
      0,
      false,
      "Waiting for data from some checks",
    ],
    ["no data anywhere but a maintenance window", {}, 0, true, "Waiting for the first checks"],
    ["one check degraded", { ...all("up"), "web-home": "degraded" }, 0, false, "Degraded performance"],
    ["an open incident while checks look up again", all("up"), 1, false, "Degraded performance"],
    ["one service down", { ...all("up"), "api-health": "down" }, 0, false, "Partial outage"],
    ["every service down", all("down"), 0, false, "Major outage"],
    ["all up, one service in maintenance", all("up"), 0, true, "Scheduled maintenance in progress"],
    [
      "a service down during its maintenance does not count as an outage",
      { ...all("up"), "web-home": "down" },
      0,
      true,
      "Scheduled maintenance in progress",
    ],
  ];
  for (const [name, states, open, maintenance, text] of cases) {
    it(name, () => {
      expect(buildStatusModel(config(maintenance), snapshot(states, open), history, now).overall.text).toBe(text);
    });
  }
});

describe("public timeline", () => {
  const name = (id: string) => (id === "api-health" ? "API health" : id);
  it("words known events and hides internal ones", () => {
    const ev = (type: string, detail: object) => publicEvent({ incident_id: "i", at: now, type, detail: JSON.stringify(detail) }, name);
    expect(ev("incident.opened", { check: "api-health", reason: "HTTP 503" })?.text).toBe(
      "Investigating — API health is failing: HTTP 503",
    );
    expect(ev("member.recovered", { check: "api-health" })?.text).toBe("API health recovered");
    expect(ev("incident.acknowledged", { by: "alice" })?.text).toBe("Identified — the team is working on it");
    expect(ev("notification.sent", { channel: "ops-hook" })).toBeNull();
    expect(ev("incident.escalated", { level: 2 })).toBeNull();
    expect(publicEvent({ incident_id: "i", at: now, type: "incident.resolved", detail: "not json" }, name)?.text).toBe(
      "Resolved — all affected checks are up again",
    );
  });
});

describe("maintenance occurrences", () => {
  it("shows one-off windows while they run and up to 7 days ahead", () => {
    const w = (start: number, end: number) => ({
      id: "m",
      services: ["api"],
      title: "t",
      start: new Date(start).toISOString(),
      end: new Date(end).toISOString(),
    });
    expect(maintenanceOccurrence(w(now - HOUR, now + HOUR), now, "UTC")).toEqual({ start: now - HOUR, end: now + HOUR });
    expect(maintenanceOccurrence(w(now + 6 * 24 * HOUR, now + 7 * 24 * HOUR), now, "UTC")).not.toBeNull();
    expect(maintenanceOccurrence(w(now + 8 * 24 * HOUR, now + 9 * 24 * HOUR), now, "UTC")).toBeNull();
    expect(maintenanceOccurrence(w(now - 2 * HOUR, now - HOUR), now, "UTC")).toBeNull();
  });

  it("finds the running or next run of a recurring window", () => {
    const r = { id: "m", services: ["api"], title: "t", cron: "0 11 * * *", duration: 2 * HOUR, timezone: "UTC" };
    expect(maintenanceOccurrence(r, now, "UTC")).toEqual({ start: now - HOUR, end: now + HOUR });
    expect(maintenanceOccurrence(r, now + 2 * HOUR, "UTC")).toEqual({ start: now + 23 * HOUR, end: now + 25 * HOUR });
  });
});
