/**
 * Upstreams: the public status pages (Statuspage JSON format) of the providers the services
 * depend on. While one reports an incident, the incidents of the services that list it in
 * `upstreams` page only up to their policy's `upstreamLevel` (default 0: no page, a timeline
 * entry), and say "upstream incident: <title>" (src/upstreams/).
 */
import { z } from "zod";
import { httpUrl, id } from "./common";
import { duration } from "./duration";

/**
 * A provider's public status page in the Statuspage JSON format. While it reports an incident
 * (`status.indicator` other than `none`), the services listing it in `upstreams` page only up to
 * their policy's `upstreamLevel` (default 0: nobody, a timeline entry) and say
 * "upstream incident: <title>". A page that cannot be read holds nothing ("upstream unknown").
 */
export const upstreamSpec = z.strictObject({
  id,
  /** Shown in pages and timelines. Default: the status page's own name (`page.name`), else the id. */
  name: z.string().min(1).max(120).optional(),
  /**
   * The status page's address, e.g. `https://www.githubstatus.com`: Vigil reads
   * `<url>/api/v2/status.json`, and while it reports an incident `<url>/api/v2/incidents/unresolved.json`
   * for the title. A URL ending in `/api/v2/status.json` is taken as that page.
   */
  url: httpUrl,
  /** How often the page is read (at the first cron tick at or after it). Default `2m`. */
  interval: duration({ min: "1m", max: "1h" }).prefault("2m"),
  /** Each request's timeout, body included. Default `10s`. */
  timeout: duration({ min: "500ms", max: "30s" }).prefault("10s"),
  /** A disabled upstream is not read and never holds pages. */
  enabled: z.boolean().default(true),
});
export type UpstreamSpec = z.infer<typeof upstreamSpec>;

/** The page's base address: `url` without a trailing `/api/v2/status.json` (or `summary.json`) or slash. */
export function upstreamBase(url: string): string {
  return url.replace(/\/api\/v2\/(?:status|summary)\.json$/, "").replace(/\/+$/, "");
}
