/**
 * Inline SVG charts: the 90-day uptime bar and the 24-hour response-time chart. Days of one
 * kind share one `<path>` so 500 bars stay small; only days with a problem get their own
 * element with a `<title>` (hover text) — the same facts are in the accessible label and in
 * the keyboard-reachable list next to the bar.
 */
import type { DayCell } from "../status-model";
import type { HourPoint } from "../../store/status-history";
import { formatDay, formatMs, formatPercent } from "./format";

const BAR_W = 3;
const BAR_GAP = 1;
const BAR_H = 28;

export function dayLabel(d: DayCell, timeZone: string): string {
  const day = formatDay(d.start, timeZone);
  if (d.count === 0) return `${day}: no data`;
  const parts = [`${day}: ${formatPercent(d.uptime === null ? null : d.uptime * 100)} uptime`];
  if (d.failures > 0) parts.push(`${d.failures} of ${d.count} checks failed`);
  if (d.degraded > 0) parts.push(`${d.degraded} degraded`);
  return parts.join(", ");
}

export function UptimeBar(props: { days: DayCell[]; timeZone: string; label: string }) {
  const { days } = props;
  const width = days.length * (BAR_W + BAR_GAP) - BAR_GAP;
  let up = "";
  let none = "";
  const problems: DayCell[] = [];
  const xs: number[] = [];
  days.forEach((d, i) => {
    const x = i * (BAR_W + BAR_GAP);
    if (d.level === "up") up += `M${x} 0h${BAR_W}v${BAR_H}h-${BAR_W}z`;
    else if (d.level === "none") none += `M${x} 0h${BAR_W}v${BAR_H}h-${BAR_W}z`;
    else {
      problems.push(d);
      xs.push(x);
    }
  });
  return (
    <svg class="bar" viewBox={`0 0 ${width} ${BAR_H}`} preserveAspectRatio="none" role="img" aria-label={props.label}>
      {none && <path class="d-none" d={none} />}
      {up && <path class="d-up" d={up} />}
      {problems.map((d, i) => (
        <rect class={`d-${d.level}`} x={xs[i]} y={0} width={BAR_W} height={BAR_H}>
          <title>{dayLabel(d, props.timeZone)}</title>
        </rect>
      ))}
    </svg>
  );
}

const CHART_W = 240;
const CHART_H = 64;
const PAD_L = 0;
const PAD_T = 12;
const HOUR = 3_600_000;

/** Rounds a maximum up to 1, 2 or 5 × 10ⁿ so the axis label reads well. */
export function niceCeil(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/** Response time of the last 24 hours: hourly average (area + line) and p95 (dashed). */
export function ResponseChart(props: { points: HourPoint[]; now: number; name: string; avgMs: number | null; p95Ms: number | null }) {
  const { points } = props;
  const end = Math.floor(props.now / HOUR) * HOUR;
  const start = end - 23 * HOUR;
  const max = niceCeil(Math.max(...points.map((p) => Math.max(p.latencyP95 ?? 0, p.latencyAvg ?? 0))));
  const x = (hour: number) => PAD_L + ((hour - start) / (23 * HOUR)) * (CHART_W - PAD_L);
  const y = (v: number) => PAD_T + (1 - v / max) * (CHART_H - PAD_T);
  const r = (v: number) => Math.round(v * 10) / 10;
  const avg = points.map((p) => `${r(x(p.hour))},${r(y(p.latencyAvg ?? 0))}`).join(" ");
  const p95 = points.filter((p) => p.latencyP95 !== null).map((p) => `${r(x(p.hour))},${r(y(p.latencyP95!))}`).join(" ");
  const area = points.length > 1 ? `M${r(x(points[0]!.hour))},${CHART_H} L${avg.replaceAll(" ", " L")} L${r(x(points[points.length - 1]!.hour))},${CHART_H}Z` : "";
  const label = `Response time of ${props.name} over the last 24 hours: average ${formatMs(props.avgMs)}, 95th percentile up to ${formatMs(props.p95Ms)}`;
  return (
    <svg class="chart" viewBox={`0 0 ${CHART_W} ${CHART_H}`} role="img" aria-label={label}>
      <line class="grid" x1={0} x2={CHART_W} y1={PAD_T} y2={PAD_T} />
      <line class="grid" x1={0} x2={CHART_W} y1={CHART_H - 0.5} y2={CHART_H - 0.5} />
      <text class="axis" x={2} y={9}>
        {formatMs(max)}
      </text>
      {area && <path class="lat-area" d={area} />}
      {points.length === 1 ? <circle class="lat-dot" cx={r(x(points[0]!.hour))} cy={r(y(points[0]!.latencyAvg ?? 0))} r={2} /> : <polyline class="lat-avg" points={avg} />}
      {p95 && points.length > 1 && <polyline class="lat-p95" points={p95} />}
    </svg>
  );
}
