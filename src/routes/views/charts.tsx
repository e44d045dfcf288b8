/**
 * Inline SVG charts: the 90-day uptime bar and the 24-hour response-time chart, built as
 * strings (500 of each per page: JSX nodes per day cost more than the page can afford).
 *
 * The bar: runs of good days and of days without data are one `<rect>` each, filled with a
 * pattern of 3-unit bars every 4 units (`BarPatterns`, once per page); only days with a problem
 * get their own element, with a `<title>` (hover text). The same facts are in the bar's
 * accessible label and in the keyboard-reachable list next to it.
 */
import { raw } from "hono/html";
import { LEVEL_OF, dayCell, type ComponentView, type DayCell } from "../status-model";
import type { HourPoint } from "../../store/status-history";
import { formatDay, formatMs, formatPercent } from "./format";

const BAR_W = 3;
const BAR_STEP = 4;
const BAR_H = 28;

const esc = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

export function dayLabel(d: DayCell, timeZone: string): string {
  const day = formatDay(d.start, timeZone);
  if (d.count === 0) return `${day}: no data`;
  const parts = [`${day}: ${formatPercent(d.uptime === null ? null : d.uptime * 100)} uptime`];
  if (d.failures > 0) parts.push(`${d.failures} of ${d.count} checks failed`);
  if (d.degraded > 0) parts.push(`${d.degraded} degraded`);
  return parts.join(", ");
}

/** The patterns the bars fill their runs with; rendered once, before the first bar. */
export function BarPatterns() {
  return raw(
    `<svg width="0" height="0" style="position:absolute" aria-hidden="true" focusable="false"><defs>` +
      `<pattern id="bar-u" width="${BAR_STEP}" height="${BAR_H}" patternUnits="userSpaceOnUse"><rect class="d-up" width="${BAR_W}" height="${BAR_H}"/></pattern>` +
      `<pattern id="bar-n" width="${BAR_STEP}" height="${BAR_H}" patternUnits="userSpaceOnUse"><rect class="d-none" width="${BAR_W}" height="${BAR_H}"/></pattern>` +
      `</defs></svg>`,
  );
}

/** The bar's SVG markup. */
export function uptimeBarSvg(c: ComponentView, dayStarts: number[], timeZone: string, label: string): string {
  const n = c.levels.length;
  const width = n * BAR_STEP - (BAR_STEP - BAR_W);
  let out = `<svg class="bar" viewBox="0 0 ${width} ${BAR_H}" preserveAspectRatio="none" role="img" aria-label="${esc(label)}">`;
  let i = 0;
  while (i < n) {
    const code = c.levels[i]!;
    if (code === "u" || code === "n") {
      let j = i + 1;
      while (j < n && c.levels[j] === code) j++;
      out += `<rect x="${i * BAR_STEP}" width="${(j - i) * BAR_STEP - (BAR_STEP - BAR_W)}" height="${BAR_H}" fill="url(#bar-${code})"/>`;
      i = j;
    } else {
      out += `<rect class="d-${LEVEL_OF[code]}" x="${i * BAR_STEP}" width="${BAR_W}" height="${BAR_H}"><title>${esc(dayLabel(dayCell(c, dayStarts, i), timeZone))}</title></rect>`;
      i++;
    }
  }
  return `${out}</svg>`;
}

export function UptimeBar(props: { c: ComponentView; dayStarts: number[]; timeZone: string; label: string }) {
  return raw(uptimeBarSvg(props.c, props.dayStarts, props.timeZone, props.label));
}

const CHART_W = 230; // 10 units per hour: whole-number x coordinates
const CHART_H = 64;
const PAD_T = 12;
const HOUR = 3_600_000;

/** Rounds a maximum up to 1, 2 or 5 × 10ⁿ so the axis label reads well. */
export function niceCeil(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/** Response time of the last 24 hours: hourly average (solid) and p95 (dashed). */
export function responseChartSvg(points: HourPoint[], now: number, label: string): string {
  const end = Math.floor(now / HOUR) * HOUR;
  const start = end - 23 * HOUR;
  let top = 0;
  for (const p of points) top = Math.max(top, p.latencyP95 ?? 0, p.latencyAvg ?? 0);
  const max = niceCeil(top);
  const x = (hour: number) => Math.round(((hour - start) / (23 * HOUR)) * CHART_W);
  const y = (v: number) => Math.round(PAD_T + (1 - v / max) * (CHART_H - PAD_T));
  let avg = "";
  let p95 = "";
  for (const p of points) {
    avg += `${avg ? " " : ""}${x(p.hour)},${y(p.latencyAvg ?? 0)}`;
    if (p.latencyP95 !== null) p95 += `${p95 ? " " : ""}${x(p.hour)},${y(p.latencyP95)}`;
  }
  let out =
    `<svg class="chart" viewBox="0 0 ${CHART_W} ${CHART_H}" role="img" aria-label="${esc(label)}">` +
    `<line class="grid" x1="0" x2="${CHART_W}" y1="${PAD_T}" y2="${PAD_T}"/><line class="grid" x1="0" x2="${CHART_W}" y1="${CHART_H - 0.5}" y2="${CHART_H - 0.5}"/>` +
    `<text class="axis" x="2" y="9">${esc(formatMs(max))}</text>`;
  if (points.length === 1) {
    out += `<circle class="lat-dot" cx="${x(points[0]!.hour)}" cy="${y(points[0]!.latencyAvg ?? 0)}" r="2"/>`;
  } else if (points.length > 1) {
    out += `<polyline class="lat-avg" points="${avg}"/>`;
    if (p95) out += `<polyline class="lat-p95" points="${p95}"/>`;
  }
  return `${out}</svg>`;
}

export function ResponseChart(props: { points: HourPoint[]; now: number; name: string; avgMs: number | null; p95Ms: number | null }) {
  const label = `Response time of ${props.name} over the last 24 hours: average ${formatMs(props.avgMs)}, 95th percentile up to ${formatMs(props.p95Ms)}`;
  return raw(responseChartSvg(props.points, props.now, label));
}
