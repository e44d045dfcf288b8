/**
 * The public status page (Hono JSX, rendered on the server) and each check's own page
 * (`/check/:id`). Landmarks: header (banner), main, footer; every section is labelled by its
 * heading. The only script keeps "updated N seconds ago" current; without it the page still
 * says when it was generated.
 *
 * The main page stays small at hundreds of checks: a row per check with its status, 90-day
 * uptime, average response time and (up to `ROW_BARS_MAX` checks) its 90-day bar; above that,
 * one bar per service and a table row per check (≈0.1 KB). Each check links to its own
 * page, which has the response-time chart, the day-by-day problems and the check's incidents.
 * Service sections are strings, rendered once and reused while their data is unchanged.
 */
import type { Child } from "hono/jsx";
import {
  dayCell,
  serviceDays,
  type ComponentView,
  type IncidentView,
  type MaintenanceView,
  type ServiceView,
  type StatusModel,
} from "../model";
import { raw } from "hono/html";
import { dayLabel, esc, problemDays, responseChartSvg, uptimeBarSvg } from "./charts";
import { formatDateTime, formatDay, formatDuration, formatMs, formatPercent } from "./format";
import { STATUS_CSS } from "./styles";
import { JobRuns } from "./job-runs";
import type { RunRecord } from "../../../engine/ping";

/** Keeps the "updated N seconds ago" text current. Its SHA-256 goes into the CSP. */
export const UPDATED_SCRIPT = `(()=>{const t=document.querySelector("#updated time");if(!t)return;const s=Number(t.dataset.ts);const f=()=>{const n=Math.max(0,Math.round((Date.now()-s)/1e3));t.textContent=n<60?n+(n===1?" second":" seconds")+" ago":n<7200?Math.floor(n/60)+(n<120?" minute":" minutes")+" ago":"at "+t.getAttribute("title")};f();setInterval(f,1e3)})();`;

const STATUS_TEXT: Record<ComponentView["status"] | "maintenance", string> = {
  up: "Operational",
  degraded: "Degraded",
  down: "Outage",
  unknown: "No data yet",
  maintenance: "Maintenance",
};

/** `root`: the way back to the page's root from the current URL ("" at `/`, "../" at `/check/:id`). */
function Layout(props: { title: string; children: Child; noindex?: boolean; root?: string }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        {props.noindex && <meta name="robots" content="noindex, nofollow" />}
        <title>{props.title}</title>
        <link rel="icon" href="data:," />
        <link rel="alternate" type="application/atom+xml" title="Incidents" href={`${props.root ?? ""}feed.atom`} />
        <style dangerouslySetInnerHTML={{ __html: STATUS_CSS }} />
      </head>
      <body>{props.children}</body>
    </html>
  );
}

function BannerIcon(props: { indicator: StatusModel["overall"]["indicator"] }) {
  const ok = props.indicator === "none";
  return (
    <svg width="28" height="28" viewBox="0 0 24 24" aria-hidden="true">
      <circle cx="12" cy="12" r="11" fill="currentColor" />
      {ok ? (
        <path d="M6.5 12.5l3.5 3.5 7.5-8" fill="none" stroke="#fff" stroke-width="2.5" stroke-linecap="round" stroke-linejoin="round" />
      ) : (
        <path d="M12 6.5v7M12 17.2v.3" fill="none" stroke="#fff" stroke-width="2.6" stroke-linecap="round" />
      )}
    </svg>
  );
}

function Maintenance(props: { items: MaintenanceView[]; model: StatusModel }) {
  const tz = props.model.timeZone;
  const names = new Map(props.model.services.map((s) => [s.id, s.name]));
  return (
    <section aria-labelledby="maint-h">
      <h2 id="maint-h">Maintenance</h2>
      {props.items.map((m) => (
        <article class={`card notice${m.active ? " active" : ""}`} id={`maintenance-${m.id}`} aria-labelledby={`maintenance-${m.id}-h`}>
          <h3 id={`maintenance-${m.id}-h`}>
            {m.active ? "In progress: " : "Scheduled: "}
            {m.title}
          </h3>
          <p class="meta">
            <span>
              <time datetime={new Date(m.start).toISOString()}>{formatDateTime(m.start, tz)}</time> –{" "}
              <time datetime={new Date(m.end).toISOString()}>{formatDateTime(m.end, tz)}</time>
            </span>
            <span>Affects: {m.services.map((s) => names.get(s) ?? s).join(", ")}</span>
          </p>
        </article>
      ))}
    </section>
  );
}

function Incident(props: { incident: IncidentView; model: StatusModel; level: "h3" }) {
  const i = props.incident;
  const tz = props.model.timeZone;
  const end = i.resolvedAt ?? props.model.generatedAt;
  const hid = `incident-${i.id}-h`;
  return (
    <article class={`card incident${i.status === "resolved" ? " resolved" : ""}`} id={`incident-${i.id}`} aria-labelledby={hid}>
      <h3 id={hid}>{i.title}</h3>
      <p class="meta">
        <span class={i.status === "open" ? "pill s-down" : "pill s-up"}>{i.status === "open" ? "Ongoing" : "Resolved"}</span>
        <span>{i.serviceName}</span>
        <span>
          Started <time datetime={new Date(i.openedAt).toISOString()}>{formatDateTime(i.openedAt, tz)}</time>
        </span>
        <span>
          {i.status === "open" ? `Ongoing for ${formatDuration(end - i.openedAt)}` : `Lasted ${formatDuration(end - i.openedAt)}`}
        </span>
      </p>
      {i.affected.length > 0 && <p class="small">Affected: {i.affected.map((a) => a.name).join(", ")}</p>}
      {i.timeline.length > 0 && (
        <ol class="timeline" aria-label={`Timeline of ${i.title}`}>
          {i.timeline.map((e) => (
            <li>
              <time datetime={new Date(e.at).toISOString()}>{formatDateTime(e.at, tz)}</time>
              {e.text}
            </li>
          ))}
        </ol>
      )}
    </article>
  );
}

/** Link to a check's own page, relative to the root. */
const checkHref = (id: string) => `check/${encodeURIComponent(id)}`;

/**
 * Up to this many checks on the page, each check's row has its own 90-day bar. Above it the
 * page would be a wall of bars (and ≈0.5 KB per check), so each service gets one bar for all
 * its checks and each check a table row; every check's own page still has its bar.
 */
export const ROW_BARS_MAX = 100;

/** Whether the page draws a bar per check (`ROW_BARS_MAX`). */
export function rowBars(model: StatusModel): boolean {
  let n = 0;
  for (const s of model.services) n += s.components.length;
  return n <= ROW_BARS_MAX;
}

/**
 * One check's row with its 90-day bar (pages up to `ROW_BARS_MAX` checks): a string template,
 * not JSX. The bar's `<title>` names the problem days.
 */
export function componentHtml(c: ComponentView, model: StatusModel): string {
  const stateText = STATUS_TEXT[c.status] + (c.stale ? " (agent silent)" : "");
  let out =
    `<li class="c bx" id="check-${esc(c.id)}"><div class="ch"><h3><a href="${esc(checkHref(c.id))}">${esc(c.name)}</a></h3>` +
    `<span class="pill s-${c.status}">${esc(stateText)}</span><span class="m">${formatPercent(c.uptime["90d"])}${measuredNote(c)}` +
    `${c.latencyAvgMs !== null ? ` · avg ${formatMs(c.latencyAvgMs)}` : ""}</span></div>`;
  if (c.status !== "up" && (c.reason || c.since !== null)) out += reasonHtml(c, model);
  return `${out}${uptimeBarSvg(c, model.dayStarts, model.timeZone)}</li>`;
}

/** " (measured 87%)" after an uptime that was measured over less than the whole period. */
function measuredNote(c: ComponentView): string {
  const m = c.measured["90d"];
  return m !== null && m < 99.5 ? ` (measured ${formatPercent(m)})` : "";
}

/** "Since <time> — <reason>"; the public sees the time alone (`../status-audience.ts`). */
function reasonHtml(c: ComponentView, model: StatusModel): string {
  const since = c.since !== null ? `Since ${esc(formatDateTime(c.since, model.timeZone))}` : "";
  return `<p class="reason">${since}${since && c.reason ? " — " : ""}${esc(c.reason ?? "")}</p>`;
}

/**
 * One check as a table row (pages above `ROW_BARS_MAX` checks): name, status, 90-day uptime,
 * 24-hour average; a second row with the reason when it is not up. End tags of cells and rows
 * are left to the parser (valid HTML: ~100 bytes a check).
 */
export function componentLine(c: ComponentView, model: StatusModel): string {
  const stateText = STATUS_TEXT[c.status] + (c.stale ? " (agent silent)" : "");
  let out =
    `<tr id="check-${esc(c.id)}"><th><a href="${esc(checkHref(c.id))}">${esc(c.name)}</a><td class="pill s-${c.status}">${esc(stateText)}` +
    `<td>${formatPercent(c.uptime["90d"])}${measuredNote(c)}<td>${c.latencyAvgMs !== null ? formatMs(c.latencyAvgMs) : "–"}`;
  if (c.status !== "up" && (c.reason || c.since !== null)) out += `<tr class="why"><td colspan="4">${reasonHtml(c, model)}`;
  return out;
}

/** A service's section as HTML: a bar per check (`bars`), or one bar for the service and a table of its checks. */
export function serviceHtml(s: ServiceView, model: StatusModel, bars = true): string {
  const hid = `service-${esc(s.id)}-h`;
  let out =
    `<section class="card" aria-labelledby="${hid}" id="service-${esc(s.id)}"><div class="svc-head"><h2 id="${hid}">${esc(s.name)}</h2>` +
    `<span class="pill s-${s.status}">${STATUS_TEXT[s.status]}</span>${bars ? "" : `<span class="m">${formatPercent(s.uptime90d)}</span>`}</div>`;
  if (s.description) out += `<p class="small muted">${esc(s.description)}</p>`;
  if (s.components.length === 0) return `${out}<p class="small muted">No checks yet.</p></section>`;
  if (bars) return `${out}<ul class="comps">${s.components.map((c) => componentHtml(c, model)).join("")}</ul></section>`;
  const days = serviceDays(s, model.dayStarts.length);
  const name = `${s.name} (${s.components.length} check${s.components.length === 1 ? "" : "s"})`;
  out += `<div class="bx">${uptimeBarSvg({ name, levels: days.levels, tallies: days.tallies, uptime: { "90d": days.uptime90d } }, model.dayStarts, model.timeZone)}</div>`;
  out += `<table class="checks" aria-labelledby="${hid}"><thead><tr><th scope="col">Check<th scope="col">Status<th scope="col">Uptime, ${model.dayStarts.length} d<th scope="col">Avg, 24 h<tbody>`;
  return `${out}${s.components.map((c) => componentLine(c, model)).join("")}</table></section>`;
}

/**
 * Rendered service sections, reused while the history (`historyVersion`), the time zone, the
 * layout and everything the section shows of its service and checks stay the same: on a warm
 * page only the sections whose checks changed state are rendered again.
 */
let sectionMemo: { version: number; tz: string; days: number; bars: boolean; sections: Map<string, { key: string; html: string }> } | null =
  null;

export function serviceSection(s: ServiceView, model: StatusModel, bars: boolean): string {
  const days = model.dayStarts[0] ?? 0;
  if (
    !sectionMemo ||
    sectionMemo.version !== model.historyVersion ||
    sectionMemo.tz !== model.timeZone ||
    sectionMemo.days !== days ||
    sectionMemo.bars !== bars
  ) {
    sectionMemo = { version: model.historyVersion, tz: model.timeZone, days, bars, sections: new Map() };
  }
  let key = `${s.name}\u0001${s.description}\u0001${s.status}`;
  for (const c of s.components) key += `\u0001${c.id}\u0000${c.name}\u0000${c.status}\u0000${c.since}\u0000${c.reason}\u0000${c.stale}`;
  const hit = sectionMemo.sections.get(s.id);
  if (hit && hit.key === key) return hit.html;
  const html = serviceHtml(s, model, bars);
  sectionMemo.sections.set(s.id, { key, html });
  return html;
}

function Updated(props: { model: StatusModel }) {
  const m = props.model;
  return (
    <p class="small muted" id="updated">
      Updated{" "}
      <time
        datetime={new Date(m.generatedAt).toISOString()}
        data-ts={String(m.generatedAt)}
        title={formatDateTime(m.generatedAt, m.timeZone)}
      >
        at {formatDateTime(m.generatedAt, m.timeZone)}
      </time>
    </p>
  );
}

function Footer(props: { model: StatusModel; root: string }) {
  return (
    <footer>
      <span>Times in {props.model.timeZone}.</span>
      <nav aria-label="Machine-readable status">
        <a href={`${props.root}status.json`}>status.json</a> · <a href={`${props.root}feed.atom`}>Incident feed (Atom)</a>
      </nav>
      <span>Powered by Vigil</span>
    </footer>
  );
}

export function StatusPage(props: { model: StatusModel; private?: boolean }) {
  const m = props.model;
  const tz = m.timeZone;
  const bars = rowBars(m);
  return (
    <Layout title={`${m.title} — ${m.overall.text}`} noindex={props.private}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <div class="wrap">
        <header class="top">
          <h1>{m.title}</h1>
          <Updated model={m} />
        </header>
        <main id="main">
          <div class={`banner b-${m.overall.indicator}`} role="status">
            <BannerIcon indicator={m.overall.indicator} />
            <span>{m.overall.text}</span>
          </div>
          {m.maintenance.length > 0 && <Maintenance items={m.maintenance} model={m} />}
          {m.openIncidents.length > 0 && (
            <section aria-labelledby="open-h">
              <h2 id="open-h">Current incidents</h2>
              {m.openIncidents.map((i) => (
                <Incident incident={i} model={m} level="h3" />
              ))}
            </section>
          )}
          <section aria-labelledby="services-h">
            <h2 id="services-h">Services</h2>
            <p class="small muted">
              {bars ? "Each check" : "Each service and check"} shows its uptime over the last {m.dayStarts.length} days
              {bars ? "" : " (the bar: all of the service's checks)"}, one stripe per day, oldest first ({tz}), and its average response
              time over the last 24 hours. Open a check for its response-time chart and day-by-day history.
            </p>
            {raw(m.services.map((s) => serviceSection(s, m, bars)).join(""))}
          </section>
          <section aria-labelledby="past-h">
            <h2 id="past-h">Past incidents</h2>
            {m.pastIncidents.length === 0 ? (
              <p class="muted">No incidents since {formatDay(m.dayStarts[0] ?? m.generatedAt, tz)}.</p>
            ) : (
              m.pastIncidents.map((i) => <Incident incident={i} model={m} level="h3" />)
            )}
          </section>
        </main>
        <Footer model={m} root="" />
      </div>
      <script dangerouslySetInnerHTML={{ __html: UPDATED_SCRIPT }} />
    </Layout>
  );
}

/** A check of the model with its service, or null. */
export function findCheck(model: StatusModel, id: string): { check: ComponentView; service: ServiceView } | null {
  for (const service of model.services) {
    const check = service.components.find((c) => c.id === id);
    if (check) return { check, service };
  }
  return null;
}

/**
 * How much of the schedule was kept and measured (probe monitors), and the shares of the
 * measured runs: uptime is over the measured runs only, so the page says how many that were.
 */
function CheckNumbers(props: { check: ComponentView; days: number }) {
  const c = props.check;
  const r = c.runs24h;
  const lines: string[] = [];
  if (c.measured["90d"] !== null) {
    const m24 = c.measured["24h"];
    lines.push(
      `Measured ${formatPercent(c.measured["90d"])} of the last ${props.days} days${m24 !== null ? ` (${formatPercent(m24)} of the last 24 hours)` : ""}; uptime is over the measured runs only.`,
    );
  }
  if (r && r.planned > 0) {
    const extra = [
      r.missed > 0 && `${r.missed} missed`,
      r.unknown > 0 && `${r.unknown} could not measure`,
      r.retried > 0 && `${r.retried} needed a retry`,
    ].filter(Boolean);
    lines.push(`Last 24 hours: ${r.executed} of ${r.planned} planned runs executed${extra.length ? ` (${extra.join(", ")})` : ""}.`);
  }
  if (c.shares && (c.shares.degraded > 0 || c.shares.down > 0)) {
    lines.push(
      `Of the measured runs: ${formatPercent(c.shares.up)} up, ${formatPercent(c.shares.degraded)} degraded, ${formatPercent(c.shares.down)} down.`,
    );
  }
  if (lines.length === 0) return null;
  return (
    <p class="small muted" id="check-cadence">
      {lines.join(" ")}
    </p>
  );
}

/**
 * A check's own page (`/check/:id`): status, uptime over four periods, the 90-day bar with a
 * hover text per problem day and the list of those days, the 24-hour response-time chart, and
 * the incidents the check was part of.
 */
export function CheckPage(props: {
  model: StatusModel;
  check: ComponentView;
  service: ServiceView;
  private?: boolean;
  firstByteAvgMs?: number | null;
  /** A ping job's last runs, and whether the reader sees why a run was down. */
  runs?: { list: readonly RunRecord[]; details: boolean };
}) {
  const m = props.model;
  const c = props.check;
  const s = props.service;
  const tz = m.timeZone;
  const problems = problemDays(c);
  const incidents = [...m.openIncidents, ...m.pastIncidents].filter((i) => i.affected.some((a) => a.id === c.id));
  const maintenance = m.maintenance.filter((x) => x.services.includes(s.id));
  const chartLabel = `Response time of ${c.name} over the last 24 hours: average ${formatMs(c.latencyAvgMs)}, 95th percentile up to ${formatMs(c.latencyP95Ms)}`;
  const periods: [string, number | null][] = [
    ["24 hours", c.uptime["24h"]],
    ["7 days", c.uptime["7d"]],
    ["30 days", c.uptime["30d"]],
    [`${c.levels.length} days`, c.uptime["90d"]],
  ];
  return (
    <Layout title={`${c.name} — ${STATUS_TEXT[c.status]} — ${m.title}`} noindex={props.private} root="../">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <div class="wrap">
        <header class="top">
          <p class="crumb">
            <a href="../">{m.title}</a> › {s.name}
          </p>
          <Updated model={m} />
        </header>
        <main id="main">
          <section class="card" aria-labelledby="check-h" id={`check-${c.id}`}>
            <div class="svc-head">
              <h1 id="check-h">{c.name}</h1>
              <span class={`pill s-${c.status}`}>{STATUS_TEXT[c.status] + (c.stale ? " (agent silent)" : "")}</span>
            </div>
            {c.status !== "up" && (c.reason || c.since !== null) && (
              <p class="reason">
                {c.since !== null && `Since ${formatDateTime(c.since, tz)}${c.reason ? " — " : ""}`}
                {c.reason}
              </p>
            )}
            <dl class="uptime">
              {periods.map(([label, v]) => (
                <div>
                  <dt>Uptime, {label}</dt>
                  <dd>{formatPercent(v)}</dd>
                </div>
              ))}
              {c.latencyAvgMs !== null && (
                <div>
                  <dt>Response time, 24 hours</dt>
                  <dd>avg {formatMs(c.latencyAvgMs)}</dd>
                </div>
              )}
              {props.firstByteAvgMs != null && (
                <div>
                  <dt>First byte, 24 hours</dt>
                  <dd>avg {formatMs(props.firstByteAvgMs)}</dd>
                </div>
              )}
            </dl>
            <CheckNumbers check={c} days={c.levels.length} />
          </section>
          {maintenance.length > 0 && <Maintenance items={maintenance} model={m} />}
          <section aria-labelledby="history-h">
            <h2 id="history-h">Uptime, last {c.levels.length} days</h2>
            <div class="card">
              <div class="barbox">{raw(uptimeBarSvg(c, m.dayStarts, tz, { titles: true }))}</div>
              <div class="bar-axis" aria-hidden="true">
                <span>{c.levels.length} days ago</span>
                <span>Today</span>
              </div>
              {problems.length === 0 ? (
                <p class="small muted">No day with problems in the last {c.levels.length} days.</p>
              ) : (
                <details class="days" open>
                  <summary>
                    {problems.length} day{problems.length === 1 ? "" : "s"} with problems
                  </summary>
                  <ul>
                    {problems.map((i) => (
                      <li>{dayLabel(dayCell(c, m.dayStarts, i), tz)}</li>
                    ))}
                  </ul>
                </details>
              )}
            </div>
          </section>
          {props.runs && <JobRuns runs={props.runs.list} timeZone={tz} details={props.runs.details} />}
          {c.latency.length > 0 && (
            <section aria-labelledby="rt-h">
              <h2 id="rt-h">Response time, last 24 hours</h2>
              <div class="card">
                {raw(responseChartSvg(c.latency, m.generatedAt, chartLabel))}
                <div class="bar-axis">
                  <span>24 hours ago</span>
                  <span>
                    avg {formatMs(c.latencyAvgMs)} (solid) · p95 up to {formatMs(c.latencyP95Ms)} (dashed)
                  </span>
                  <span>Now</span>
                </div>
                {props.firstByteAvgMs != null && (
                  <p class="small muted" id="rt-phases">
                    Measured: time to the response headers (first byte, avg {formatMs(props.firstByteAvgMs)}) and to the whole response.
                    Each check reuses a warm connection when there is one, as a browser does for its next request, so DNS, connection and
                    TLS set-up are in these times only when there was none.
                  </p>
                )}
              </div>
            </section>
          )}
          <section aria-labelledby="inc-h">
            <h2 id="inc-h">Incidents</h2>
            {incidents.length === 0 ? (
              <p class="muted">No incidents with this check since {formatDay(m.dayStarts[0] ?? m.generatedAt, tz)}.</p>
            ) : (
              incidents.map((i) => <Incident incident={i} model={m} level="h3" />)
            )}
          </section>
        </main>
        <Footer model={m} root="../" />
      </div>
      <script dangerouslySetInnerHTML={{ __html: UPDATED_SCRIPT }} />
    </Layout>
  );
}

/** 404 for a check the page does not show. */
export function NotFoundPage(props: { title: string; id: string }) {
  return (
    <Layout title={`Not found — ${props.title}`} noindex root="../">
      <div class="wrap">
        <header class="top">
          <p class="crumb">
            <a href="../">{props.title}</a>
          </p>
        </header>
        <main id="main">
          <section class="card" aria-labelledby="nf-h">
            <h1 id="nf-h">No such check</h1>
            <p>
              This status page shows no check called “{props.id}”. <a href="../">See all services</a>.
            </p>
          </section>
        </main>
      </div>
    </Layout>
  );
}

/** The private page's sign-in form (401). The token goes in the query once; the server then
 * sets a cookie and redirects to the clean URL. */
export function TokenPage(props: { title: string; error?: string }) {
  return (
    <Layout title={`${props.title} — sign in`} noindex>
      <div class="wrap">
        <header class="top">
          <h1>{props.title}</h1>
        </header>
        <main id="main">
          <section class="card" aria-labelledby="token-h">
            <h2 id="token-h">This status page is private</h2>
            <p>Enter the access token you were given.</p>
            {props.error && (
              <p class="s-down" role="alert">
                {props.error}
              </p>
            )}
            <form class="token" method="get" action="">
              <label>
                Access token
                <br />
                <input name="token" type="password" autocomplete="current-password" required />
              </label>
              <button type="submit">Open status page</button>
            </form>
          </section>
        </main>
      </div>
    </Layout>
  );
}
