/**
 * The public status page (Hono JSX, rendered on the server). Landmarks: header (banner), main,
 * footer; every section is labelled by its heading. The only script keeps "updated N seconds
 * ago" current; without it the page still says when it was generated.
 */
import type { Child } from "hono/jsx";
import { dayCell, type ComponentView, type IncidentView, type MaintenanceView, type ServiceView, type StatusModel } from "../status-model";
import { raw } from "hono/html";
import { BarPatterns, dayLabel, responseChartSvg, uptimeBarSvg } from "./charts";
import { formatDateTime, formatDay, formatDuration, formatMs, formatPercent } from "./format";
import { STATUS_CSS } from "./styles";

/** Keeps the "updated N seconds ago" text current. Its SHA-256 goes into the CSP. */
export const UPDATED_SCRIPT = `(()=>{const t=document.querySelector("#updated time");if(!t)return;const s=Number(t.dataset.ts);const f=()=>{const n=Math.max(0,Math.round((Date.now()-s)/1e3));t.textContent=n<60?n+(n===1?" second":" seconds")+" ago":n<7200?Math.floor(n/60)+(n<120?" minute":" minutes")+" ago":"at "+t.getAttribute("title")};f();setInterval(f,1e3)})();`;

const STATUS_TEXT: Record<ComponentView["status"] | "maintenance", string> = {
  up: "Operational",
  degraded: "Degraded",
  down: "Outage",
  unknown: "No data yet",
  maintenance: "Maintenance",
};

function Layout(props: { title: string; children: Child; noindex?: boolean }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        {props.noindex && <meta name="robots" content="noindex, nofollow" />}
        <title>{props.title}</title>
        <link rel="icon" href="data:," />
        <link rel="alternate" type="application/atom+xml" title="Incidents" href="feed.atom" />
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
        <span>{i.status === "open" ? `Ongoing for ${formatDuration(end - i.openedAt)}` : `Lasted ${formatDuration(end - i.openedAt)}`}</span>
      </p>
      {i.affected.length > 0 && (
        <p class="small">
          Affected: {i.affected.map((a) => a.name).join(", ")}
        </p>
      )}
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

const esc = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/**
 * One check's row. A string template rather than JSX: the page has one per check (500 in the
 * benchmark) and a JSX tree per row cost more than the rest of the page together.
 */
let rowMemo: { version: number; hour: number; tz: string; rows: Map<string, string> } | null = null;

/** `componentHtml`, reused while the history, the hour (chart axis) and the row's fields are unchanged. */
export function componentRow(c: ComponentView, model: StatusModel): string {
  const hour = Math.floor(model.generatedAt / 3_600_000);
  if (!rowMemo || rowMemo.version !== model.historyVersion || rowMemo.hour !== hour || rowMemo.tz !== model.timeZone) {
    rowMemo = { version: model.historyVersion, hour, tz: model.timeZone, rows: new Map() };
  }
  const key = `${c.id}\u0000${c.name}\u0000${c.status}\u0000${c.since}\u0000${c.reason}\u0000${c.stale}`;
  let html = rowMemo.rows.get(key);
  if (html === undefined) rowMemo.rows.set(key, (html = componentHtml(c, model)));
  return html;
}

export function componentHtml(c: ComponentView, model: StatusModel): string {
  const tz = model.timeZone;
  const problems: number[] = [];
  for (let i = 0; i < c.levels.length; i++) if (c.levels[i] !== "u" && c.levels[i] !== "n") problems.push(i);
  const stateText = STATUS_TEXT[c.status] + (c.stale ? " (agent silent; last known)" : "");
  const uptime = formatPercent(c.uptime["90d"]);
  const barLabel = `${c.name}: ${uptime} uptime over ${c.levels.length} days${problems.length ? `, ${problems.length} day${problems.length === 1 ? "" : "s"} with problems` : ""}`;
  const hasChart = c.latency.length > 0;
  let out =
    `<li class="comp" id="check-${esc(c.id)}"><div class="comp-head"><h3>${esc(c.name)}</h3>` +
    `<span class="pill s-${c.status}">${esc(stateText)}</span><span class="small muted" title="uptime over 90 days">${uptime}</span></div>`;
  if (c.status !== "up" && c.reason) {
    out += `<p class="reason">${c.since !== null ? `Since ${esc(formatDateTime(c.since, tz))} — ` : ""}${esc(c.reason)}</p>`;
  }
  out += `<div class="comp-body${hasChart ? " with-chart" : ""}"><div>${uptimeBarSvg(c, model.dayStarts, tz, barLabel)}`;
  out += `<div class="bar-axis" aria-hidden="true"><span>${c.levels.length} days ago</span><span>Today</span></div>`;
  if (problems.length > 0) {
    out += `<details class="days"><summary>${problems.length} day${problems.length === 1 ? "" : "s"} with problems</summary><ul>`;
    for (const i of problems) out += `<li>${esc(dayLabel(dayCell(c, model.dayStarts, i), tz))}</li>`;
    out += `</ul></details>`;
  }
  out += `</div>`;
  if (hasChart) {
    const label = `Response time of ${c.name} over the last 24 hours: average ${formatMs(c.latencyAvgMs)}, 95th percentile up to ${formatMs(c.latencyP95Ms)}`;
    out += `<div>${responseChartSvg(c.latency, model.generatedAt, label)}<div class="bar-axis"><span>24 h · avg ${formatMs(c.latencyAvgMs)}</span><span>p95 ${formatMs(c.latencyP95Ms)}</span></div></div>`;
  }
  return `${out}</div></li>`;
}

function Service(props: { s: ServiceView; model: StatusModel }) {
  const { s } = props;
  const hid = `service-${s.id}-h`;
  return (
    <section class="card" aria-labelledby={hid} id={`service-${s.id}`}>
      <div class="svc-head">
        <h2 id={hid}>{s.name}</h2>
        <span class={`pill s-${s.status}`}>{STATUS_TEXT[s.status]}</span>
      </div>
      {s.description && <p class="small muted">{s.description}</p>}
      {s.components.length === 0 ? (
        <p class="small muted">No checks yet.</p>
      ) : (
        <ul class="comps">{raw(s.components.map((c) => componentRow(c, props.model)).join(""))}</ul>
      )}
    </section>
  );
}

export function StatusPage(props: { model: StatusModel; private?: boolean }) {
  const m = props.model;
  const tz = m.timeZone;
  const generated = new Date(m.generatedAt).toISOString();
  return (
    <Layout title={`${m.title} — ${m.overall.text}`} noindex={props.private}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <div class="wrap">
        <header class="top">
          <h1>{m.title}</h1>
          <p class="small muted" id="updated">
            Updated{" "}
            <time datetime={generated} data-ts={String(m.generatedAt)} title={formatDateTime(m.generatedAt, tz)}>
              at {formatDateTime(m.generatedAt, tz)}
            </time>
          </p>
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
            <BarPatterns />
            <p class="small muted">
              Uptime over the last {m.dayStarts.length} days, one bar per day ({tz}); response time over the last 24 hours (solid: average, dashed: 95th
              percentile).
            </p>
            {m.services.map((s) => (
              <Service s={s} model={m} />
            ))}
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
        <footer>
          <span>Times in {tz}.</span>
          <nav aria-label="Machine-readable status">
            <a href="status.json">status.json</a> · <a href="feed.atom">Incident feed (Atom)</a>
          </nav>
          <span>Powered by Vigil</span>
        </footer>
      </div>
      <script dangerouslySetInnerHTML={{ __html: UPDATED_SCRIPT }} />
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
