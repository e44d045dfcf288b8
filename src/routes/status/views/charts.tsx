/**
 * Inline SVG charts, built as strings (the page has one bar per check: 500 in the benchmark).
 *
 * The 90-day uptime bar is one stroked `<path>` per day level present (its class is the level's
 * `LEVEL_CODE`: u up, n no data, k unknown (planned runs, under half measured), g degraded,
 * p partial, d down): each run of equal days
 * is a horizontal segment, and CSS (`.bar path`: a stroke as tall as the bar, dashed 3 on,
 * 1 off) cuts it into one bar per day. Every segment starts at a multiple of the 4-unit dash
 * period and is a whole number of days long, so the dashes line up with the days wherever a
 * run starts. Its accessible name and hover text is the `<title>`: uptime and which days had
 * problems. On the check's own page (`titles`), each problem day is a separate path with its
 * own `<title>` (hover text per day), next to the keyboard-reachable list of the same days.
 *
 * The response-time chart (24 h, hourly average solid and p95 dashed) is drawn on the
 * check's own page only.
 */
import { dayCell, type ComponentView, type DayCell, type Uptime } from "../model";
import type { HourPoint } from "../../../store/status-history";
import { formatDay, formatMs, formatPercent, formatShortDay } from "./format";

/** Units per day in the bar's viewBox (3 drawn, 1 gap: `.bar path` in styles.ts). */
const STEP = 4;

/** What a bar is drawn from: a check, or a service's summed checks. */
export type BarSource = Pick<ComponentView, "name" | "levels" | "tallies"> & { uptime: Pick<Uptime, "90d">; cadence?: Int32Array | null };

export const esc = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

export function dayLabel(d: DayCell, timeZone: string): string {
  const day = formatDay(d.start, timeZone);
  if (d.count === 0) return d.planned ? `${day}: not measured (${d.planned} runs planned, none measured)` : `${day}: no data`;
  const parts = [`${day}: ${formatPercent(d.uptime === null ? null : d.uptime * 100)} uptime`];
  if (d.failures > 0) parts.push(`${d.failures} of ${d.count} checks failed`);
  if (d.degraded > 0) parts.push(`${d.degraded} degraded`);
  if (d.measured != null && d.measured < 1) parts.push(`measured ${formatPercent(d.measured * 100)} of the day`);
  return parts.join(", ");
}

/** Indexes of the days with a problem (degraded, partial or down). */
export function problemDays(c: Pick<ComponentView, "levels">): number[] {
  const out: number[] = [];
  for (let i = 0; i < c.levels.length; i++) {
    const l = c.levels[i];
    if (l !== "u" && l !== "n") out.push(i);
  }
  return out;
}

/** Up to `max` short day names, then "and N more". */
function dayList(days: number[], dayStarts: number[], timeZone: string, max = 8): string {
  const names = days.slice(0, max).map((i) => formatShortDay(dayStarts[i]!, timeZone));
  return days.length > max ? `${names.join(", ")} and ${days.length - max} more` : names.join(", ");
}

/** The bar's accessible name and hover text: "api: 99.9% uptime over 90 days. Failures: 2 Oct. Degraded: 8 Sept, 9 Oct." */
export function barTitle(c: BarSource, dayStarts: number[], timeZone: string): string {
  const failed: number[] = [];
  const degraded: number[] = [];
  const unknown: number[] = [];
  for (let i = 0; i < c.levels.length; i++) {
    const l = c.levels[i];
    if (l === "d" || l === "p") failed.push(i);
    else if (l === "g") degraded.push(i);
    else if (l === "k") unknown.push(i);
  }
  let out = `${c.name}: ${formatPercent(c.uptime["90d"])} uptime over ${c.levels.length} days`;
  if (failed.length === 0 && degraded.length === 0 && unknown.length === 0) return `${out}, no problems.`;
  out += ".";
  if (failed.length) out += ` Failures: ${dayList(failed, dayStarts, timeZone)}.`;
  if (degraded.length) out += ` Degraded: ${dayList(degraded, dayStarts, timeZone)}.`;
  if (unknown.length) out += ` Not measured: ${dayList(unknown, dayStarts, timeZone)}.`;
  return out;
}

/**
 * The bar's SVG markup. With `titles`, problem days are drawn one path each with a `<title>`
 * of their own (the check's page); otherwise one path per level.
 */
export function uptimeBarSvg(c: BarSource, dayStarts: number[], timeZone: string, options: { titles?: boolean } = {}): string {
  const levels = c.levels;
  const n = levels.length;
  const paths = new Map<string, { d: string; pen: number }>();
  let single = "";
  let i = 0;
  while (i < n) {
    const code = levels[i]!;
    let j = i + 1;
    if (options.titles && code !== "u" && code !== "n") {
      single += `<path class="${code}" d="M${i * STEP} 1h${STEP}"><title>${esc(dayLabel(dayCell(c, dayStarts, i), timeZone))}</title></path>`;
      i = j;
      continue;
    }
    while (j < n && levels[j] === code) j++;
    const p = paths.get(code);
    const w = (j - i) * STEP;
    if (!p) paths.set(code, { d: `M${i * STEP} 1h${w}`, pen: j * STEP });
    else {
      p.d += `m${i * STEP - p.pen} 0h${w}`;
      p.pen = j * STEP;
    }
    i = j;
  }
  let out = `<svg class="bar" viewBox="0 0 ${n * STEP} 2" preserveAspectRatio="none" role="img"><title>${esc(barTitle(c, dayStarts, timeZone))}</title>`;
  for (const [code, p] of paths) out += `<path class="${code}" d="${p.d}"/>`;
  return `${out}${single}</svg>`;
}

const CHART_W = 460;
const CHART_H = 120;
const PAD_T = 20;
const MID = PAD_T + (CHART_H - PAD_T) / 2;
const HOUR = 3_600_000;

/** Rounds a maximum up to 1, 2 or 5 × 10ⁿ so the axis label reads well. */
export function niceCeil(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/**
 * Response time of the last 24 hours: hourly average (solid) and p95 (dashed). The SVG
 * stretches to its box (lines keep their width: `vector-effect`); the scale's labels are HTML
 * next to it, so they keep their size on a phone.
 */
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
  // One hour only: a dot (a zero-length line with round caps keeps its shape when stretched).
  if (points.length === 1) avg = `${avg} ${avg}`;
  let out =
    `<div class="chartbox"><svg class="chart" viewBox="0 0 ${CHART_W} ${CHART_H}" preserveAspectRatio="none" role="img" aria-label="${esc(label)}">` +
    `<path class="grid" d="M0 ${PAD_T}H${CHART_W}M0 ${MID}H${CHART_W}M0 ${CHART_H - 0.5}H${CHART_W}"/>`;
  if (avg) out += `<polyline class="lat-avg" points="${avg}"/>`;
  if (p95 && points.length > 1) out += `<polyline class="lat-p95" points="${p95}"/>`;
  return `${out}</svg><span class="yl t" aria-hidden="true">${esc(formatMs(max))}</span><span class="yl m" aria-hidden="true">${esc(formatMs(max / 2))}</span></div>`;
}
