/**
 * Maintenance windows: is one running now for a service, and which are coming up. Pure.
 * A recurring window starts at each run of its cron expression (in its time zone) and lasts
 * its duration; a one-off window has a start and an end.
 */
import type { MaintenanceSpec } from "../config/policies";
import { nextCronRun } from "./cron";

export interface Window {
  id: string;
  title: string;
  services: string[];
  start: number;
  end: number;
}

/** The occurrence of `m` that covers `now` or starts next after it (within `horizon`), or null. */
export function occurrence(m: MaintenanceSpec, now: number, defaultTz: string, horizon = 7 * 86_400_000): Window | null {
  const base = { id: m.id, title: m.title, services: m.services };
  if (m.start && m.end) {
    const start = Date.parse(m.start);
    const end = Date.parse(m.end);
    return end > now && start <= now + horizon ? { ...base, start, end } : null;
  }
  if (!m.cron || m.duration === undefined) return null;
  // The first start after (now - duration) is the one running now, if it has begun.
  const start = nextCronRun(m.cron, m.timezone ?? defaultTz, now - m.duration);
  if (typeof start !== "number" || start > now + horizon) return null;
  return { ...base, start, end: start + m.duration };
}

/** The window holding pages for `serviceId` at `now` (the one ending last), or null. */
export function activeWindow(specs: readonly MaintenanceSpec[], serviceId: string, now: number, defaultTz: string): Window | null {
  let best: Window | null = null;
  for (const m of specs) {
    if (!m.services.includes(serviceId)) continue;
    const w = occurrence(m, now, defaultTz, 0);
    if (w && w.start <= now && now < w.end && (!best || w.end > best.end)) best = w;
  }
  return best;
}
