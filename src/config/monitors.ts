/** Monitor specs: one schema per probe kind, joined in `monitorSpec`. */
import { z } from "zod";
import { id, httpUrl, secretRef } from "./common";
import { duration } from "./duration";

/** A status expectation: `200`, `"2xx"` or `"200-299"`. */
const statusExpectation = z.union([
  z.number().int().min(100).max(599),
  z.string().regex(/^([1-5]xx|[1-5]\d\d-[1-5]\d\d)$/, 'expected a status code, "2xx" or a range like "200-299"'),
]);

export const monitorBase = {
  id,
  service: id,
  /** How often to probe. Default `1m`. */
  interval: duration({ min: "10s", max: "24h" }).prefault("1m"),
  /** Hard limit for one probe, headers and body together. Default `10s`. */
  timeout: duration({ min: "100ms", max: "60s" }).prefault("10s"),
  /** Consecutive failed probes before the monitor is down. Default 2. */
  failureThreshold: z.number().int().min(1).max(20).default(2),
  /** Consecutive good probes before a down monitor is up again. Default 2. */
  recoveryThreshold: z.number().int().min(1).max(20).default(2),
  /** Set false to keep a monitor in config without running it. */
  enabled: z.boolean().default(true),
};

export const httpMonitor = z.strictObject({
  ...monitorBase,
  type: z.literal("http"),
  url: httpUrl,
  method: z.enum(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]).default("GET"),
  /** Request headers; a value may name a secret (`{ env: "API_TOKEN" }`). */
  headers: z.record(z.string(), z.union([z.string(), secretRef])).default({}),
  body: z.string().max(65_536).optional(),
  /** Accepted status codes. Default `["2xx"]`. */
  expectedStatus: z.array(statusExpectation).min(1).default(["2xx"]),
  /** The body must contain this text. */
  keyword: z.string().min(1).optional(),
  /** Never read more than this many bytes of body. Default 1 MiB. */
  maxBodyBytes: z.number().int().min(1).max(10 * 1024 * 1024).default(1024 * 1024),
});

/** One entry per probe kind; later kinds join this union. */
export const monitorSpec = z.discriminatedUnion("type", [httpMonitor]);
export type MonitorSpec = z.infer<typeof monitorSpec>;
export type HttpMonitor = z.infer<typeof httpMonitor>;

