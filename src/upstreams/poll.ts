/**
 * Polling the upstream status pages (config `upstreams`), from the cron tick.
 *
 * 1. Pick the enabled upstreams whose `interval` has passed since their last read (a read is due
 *    at the first tick at or after it; ticks come every minute, so up to 30 s early counts).
 * 2. Read each: `status.json`, and while it reports an incident `incidents/unresolved.json` for
 *    the title. Every request has the upstream's timeout (body included) and a 512 KiB cap; a
 *    failure or a bad document is the state `unknown`, with the reason, never an exception.
 * 3. Store what changed and the read time (`upstream_status`), one D1 batch.
 * 4. Tick the service objects of the services that depend on an upstream whose state or title
 *    changed, so an open incident's pages are held or released now, not at its next input.
 */
import type { UpstreamSpec, VigilConfig } from "../config";
import { formatDuration } from "../../lib/duration";
import { upstreamBase } from "../config/upstreams";
import { readAtMost } from "../body";
import type { Env } from "../env";
import { loadUpstreamStatuses, upsertUpstreamStatus, type UpstreamState, type UpstreamStatus } from "../store/upstreams";
import { cleanText, DocumentError, incidentTitle, parseIncidents, parseStatus, type UpstreamIncident } from "./document";

/** Bytes of a status document read at most (GitHub's summary.json is about 20 KB). */
export const UPSTREAM_BODY_LIMIT = 512 * 1024;
/** A read is due this much before its interval has passed (the cron ticks every 60 s). */
export const UPSTREAM_DUE_SLACK_MS = 30_000;

export interface UpstreamReading {
  state: UpstreamState;
  indicator: string | null;
  title: string | null;
  /** Why the state is unknown: `upstream unknown: status.json: HTTP 503`. */
  detail: string | null;
  pageName: string | null;
}

const utf8 = new TextDecoder("utf-8");

/** GETs `url` and returns its body as text, within `timeoutMs` and {@link UPSTREAM_BODY_LIMIT}. */
async function fetchDocument(url: string, what: string, timeoutMs: number): Promise<string> {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | null = null;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new DocumentError(`${what}: no answer within ${formatDuration(timeoutMs)}`);
      controller.abort(err);
      reject(err);
    }, timeoutMs);
  });
  expired.catch(() => undefined);
  const race = <T>(work: Promise<T>) => Promise.race([work, expired]);
  try {
    let res: Response;
    try {
      res = await race(fetch(url, { signal: controller.signal, headers: { accept: "application/json" } }));
    } catch (err) {
      if (err instanceof DocumentError) throw err;
      throw new DocumentError(`${what}: request failed (${cleanText(String((err as Error).message ?? err), 120)})`);
    }
    if (!res.ok) {
      res.body?.cancel().catch(() => undefined);
      throw new DocumentError(`${what}: HTTP ${res.status}`);
    }
    const body = await readAtMost(res, UPSTREAM_BODY_LIMIT, race);
    if (body.overflow) throw new DocumentError(`${what}: larger than ${UPSTREAM_BODY_LIMIT / 1024} KiB`);
    return utf8.decode(body.bytes);
  } finally {
    if (timer !== null) clearTimeout(timer);
  }
}

/** Reads one upstream now. Never throws: a failure is the state `unknown`, saying why. */
export async function readUpstream(spec: UpstreamSpec): Promise<UpstreamReading> {
  const base = upstreamBase(spec.url);
  try {
    const status = parseStatus(await fetchDocument(`${base}/api/v2/status.json`, "status.json", spec.timeout));
    const pageName = status.pageName;
    if (status.indicator === "none") return { state: "operational", indicator: "none", title: null, detail: null, pageName };
    let incidents: UpstreamIncident[] | null = null;
    try {
      incidents = parseIncidents(
        await fetchDocument(`${base}/api/v2/incidents/unresolved.json`, "incidents/unresolved.json", spec.timeout),
      );
    } catch {
      // The incident is certain (status.json said so); only its title falls back to the page's description.
    }
    return { state: "incident", indicator: status.indicator, title: incidentTitle(status, incidents), detail: null, pageName };
  } catch (err) {
    const why = err instanceof DocumentError ? err.message : `unexpected error: ${cleanText(String(err), 120)}`;
    return { state: "unknown", indicator: null, title: null, detail: `upstream unknown: ${why}`, pageName: null };
  }
}

/** The row after a reading: `since` moves only when the state changes. */
export function nextStatus(id: string, previous: UpstreamStatus | undefined, reading: UpstreamReading, now: number): UpstreamStatus {
  const same = previous !== undefined && previous.state === reading.state;
  return {
    upstreamId: id,
    state: reading.state,
    indicator: reading.indicator,
    title: reading.title,
    detail: reading.detail,
    pageName: reading.pageName ?? (same ? previous.pageName : null),
    since: same ? previous.since : now,
    checkedAt: now,
  };
}

/** What dependants are told about: the state, or the incident's title. */
const changedFor = (a: UpstreamStatus | undefined, b: UpstreamStatus) => !a || a.state !== b.state || a.title !== b.title;

export interface PollSummary {
  read: string[];
  changed: string[];
  /** Services ticked because an upstream of theirs changed. */
  ticked: string[];
}

/** Reads the upstreams due at `now` (all enabled ones with `force`), stores, and tells dependants. */
export async function pollUpstreams(env: Env, config: VigilConfig, now: number, options: { force?: boolean } = {}): Promise<PollSummary> {
  const summary: PollSummary = { read: [], changed: [], ticked: [] };
  const specs = config.upstreams.filter((u) => u.enabled);
  if (specs.length === 0) return summary;
  // 1. Due.
  const rows = await loadUpstreamStatuses(
    env.DB,
    specs.map((u) => u.id),
  );
  const due = specs.filter((u) => {
    const row = rows.get(u.id);
    return options.force || !row || now - row.checkedAt >= u.interval - UPSTREAM_DUE_SLACK_MS || now < row.checkedAt;
  });
  if (due.length === 0) return summary;
  // 2. Read (in parallel: each is bounded by its timeout).
  const readings = await Promise.all(due.map(async (u) => ({ spec: u, reading: await readUpstream(u) })));
  // 3. Store.
  const next = readings.map(({ spec, reading }) => ({
    spec,
    before: rows.get(spec.id),
    after: nextStatus(spec.id, rows.get(spec.id), reading, now),
  }));
  await env.DB.batch(next.map((n) => upsertUpstreamStatus(env.DB, n.after)));
  summary.read = due.map((u) => u.id);
  for (const n of next) {
    if (!changedFor(n.before, n.after)) continue;
    summary.changed.push(n.spec.id);
    const a = n.after;
    const from = n.before?.state ?? null;
    console.log(
      JSON.stringify({
        msg: "upstream.state",
        upstream: n.spec.id,
        from,
        to: a.state,
        indicator: a.indicator,
        title: a.title,
        detail: a.detail,
      }),
    );
  }
  // 4. Tell dependants (one failing service does not stop the others).
  const changed = new Set(summary.changed);
  for (const service of config.services) {
    if (!service.upstreams.some((u) => changed.has(u))) continue;
    try {
      await env.SERVICE.getByName(service.id).apply(service.id, { type: "tick", at: now });
      summary.ticked.push(service.id);
    } catch (err) {
      console.error(JSON.stringify({ msg: "upstream.tick_failed", service: service.id, error: String((err as Error).message ?? err) }));
    }
  }
  return summary;
}
