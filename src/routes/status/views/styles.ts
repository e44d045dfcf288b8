import { STATUS_DAYS } from "../data";

const DAYS = STATUS_DAYS;

/**
 * The status page's only stylesheet, inlined (the page loads nothing else). Colours meet WCAG AA
 * contrast for text (≥ 4.5:1) in both schemes; dark mode follows `prefers-color-scheme`.
 */
export const STATUS_CSS = `
:root{color-scheme:light dark;--bg:#f6f8fa;--card:#fff;--text:#1f2328;--muted:#57606a;--line:#d0d7de;
--up:#1a7f37;--degraded:#9a6700;--partial:#bc4c00;--down:#cf222e;--maint:#0969da;--unknown:#6e7781;--none:#d0d7de;
--up-bg:#dafbe1;--degraded-bg:#fff8c5;--down-bg:#ffebe9;--maint-bg:#ddf4ff;--unknown-bg:#eaeef2;--focus:#0969da;--lat:#0969da}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--card:#161b22;--text:#e6edf3;--muted:#9198a1;--line:#30363d;
--up:#3fb950;--degraded:#d29922;--partial:#f0883e;--down:#f85149;--maint:#58a6ff;--unknown:#8b949e;--none:#30363d;
--up-bg:#12261e;--degraded-bg:#272115;--down-bg:#2d1315;--maint-bg:#121d2f;--unknown-bg:#21262d;--focus:#58a6ff;--lat:#58a6ff}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--text);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Noto Sans KR",sans-serif}
a{color:var(--maint)}
:focus-visible{outline:3px solid var(--focus);outline-offset:2px;border-radius:3px}
.skip{position:absolute;left:-9999px;top:0;background:var(--card);padding:.5rem 1rem;z-index:1}
.skip:focus{left:1rem;top:1rem}
.wrap{max-width:60rem;margin:0 auto;padding:1.25rem 1rem 3rem}
header.top{display:flex;flex-wrap:wrap;align-items:baseline;justify-content:space-between;gap:.5rem}
h1{font-size:1.6rem;margin:.5rem 0}
h2{font-size:1.2rem;margin:2rem 0 .75rem}
h3{font-size:1rem;margin:0}
.muted{color:var(--muted)}
.small{font-size:.875rem}
.banner{display:flex;align-items:center;gap:.75rem;border-radius:.5rem;padding:1rem 1.25rem;margin:1rem 0;font-size:1.2rem;font-weight:600;border:1px solid var(--line)}
.banner svg{flex:none}
.b-none{background:var(--up-bg);color:var(--up)}
.b-degraded{background:var(--degraded-bg);color:var(--degraded)}
.b-partial,.b-major{background:var(--down-bg);color:var(--down)}
.b-maintenance{background:var(--maint-bg);color:var(--maint)}
.b-unknown{background:var(--unknown-bg);color:var(--unknown)}
.card{background:var(--card);border:1px solid var(--line);border-radius:.5rem;padding:1rem 1.25rem;margin:0 0 1rem}
.notice{border-left:4px solid var(--maint)}
.notice.active{background:var(--maint-bg)}
.incident{border-left:4px solid var(--down)}
.incident.resolved{border-left-color:var(--line)}
.svc-head{display:flex;flex-wrap:wrap;justify-content:space-between;gap:.5rem 1rem;align-items:baseline;margin-bottom:.5rem}
.svc-head>:first-child{flex:1 1 auto}
.svc-head h1,.svc-head h2,.svc-head h3{margin:0;font-size:1.1rem}
.svc-head h1{font-size:1.4rem}
ul.comps{list-style:none;margin:0;padding:0}
li.c{padding:.6rem 0;border-top:1px solid var(--line)}
li.c:first-child{border-top:0}
.bx{display:grid;grid-template-columns:1fr auto;font-size:.75rem;color:var(--muted)}
.bx>*{grid-column:1/-1}
.bx::before{content:"${DAYS} days ago";grid-row:9;grid-column:1}
.bx::after{content:"Today";grid-row:9;grid-column:2}
table.checks{width:100%;border-collapse:collapse;margin-top:.5rem;font-size:.875rem}
.checks th,.checks td{padding:.3rem .5rem .3rem 0;border-top:1px solid var(--line);text-align:left;vertical-align:baseline}
.checks thead th{border-top:0;font-size:.75rem;font-weight:400;color:var(--muted);white-space:nowrap}
.checks tbody th{font-weight:400;overflow-wrap:break-word;word-break:break-word}
@media (max-width:36rem){.checks tr>:nth-child(4){display:none}}
.checks td:nth-child(n+3){text-align:right;white-space:nowrap;color:var(--muted)}
.checks thead th:nth-child(n+3){text-align:right}
.checks td.pill{display:table-cell}
.checks td.pill::before{display:inline-block;margin-right:.35rem}
.checks tr.why td{border-top:0;padding-top:0}
.checks .reason{margin:0}
.checks a{color:inherit;text-decoration:underline;text-decoration-color:var(--line);text-underline-offset:.2em}
.checks a:hover{text-decoration-color:currentColor}
.svc-head .m{font-size:.875rem;color:var(--muted)}
.ch{display:flex;flex-wrap:wrap;align-items:center;gap:.25rem .75rem;margin-bottom:.35rem;font-size:1rem;color:var(--text)}
.ch h3{flex:1 1 12rem;font-weight:600;overflow-wrap:anywhere}
.ch a{color:inherit;text-decoration:underline;text-decoration-color:var(--line);text-underline-offset:.2em}
.ch a:hover{text-decoration-color:currentColor}
.ch .m{font-size:.875rem;color:var(--muted)}
.pill{display:inline-flex;align-items:center;gap:.35rem;font-size:.875rem;font-weight:600;white-space:nowrap}
.pill::before{content:"";width:.65rem;height:.65rem;border-radius:50%;background:currentColor}
.s-up{color:var(--up)}.s-degraded{color:var(--degraded)}.s-down{color:var(--down)}.s-unknown{color:var(--unknown)}.s-maintenance{color:var(--maint)}
.reason{font-size:.875rem;color:var(--muted);margin:0 0 .35rem;overflow-wrap:anywhere}
svg.bar{display:block;width:100%;height:2rem}
.bar path{fill:none;stroke-width:2;stroke-dasharray:3 1}
.bar .u{stroke:var(--up)}.bar .n{stroke:var(--none)}.bar .k{stroke:var(--unknown)}.bar .g{stroke:var(--degraded)}.bar .p{stroke:var(--partial)}.bar .d{stroke:var(--down)}
.barbox svg.bar{height:3rem}
.barbox .bar path:hover{opacity:.75}
.bar-axis{display:flex;justify-content:space-between;gap:.5rem;flex-wrap:wrap;font-size:.75rem;color:var(--muted)}
.chartbox{position:relative}
svg.chart{display:block;width:100%;height:9rem;overflow:visible}
.chart .grid{fill:none;stroke:var(--line);stroke-width:1;vector-effect:non-scaling-stroke}
.lat-avg{fill:none;stroke:var(--lat);stroke-width:2;stroke-linecap:round;stroke-linejoin:round;vector-effect:non-scaling-stroke}
.lat-p95{fill:none;stroke:var(--lat);stroke-width:1.25;stroke-dasharray:4 3;opacity:.8;vector-effect:non-scaling-stroke}
.yl{position:absolute;left:.25rem;font-size:.75rem;line-height:1;color:var(--muted)}
.yl.t{top:.2rem}
.yl.m{top:calc(60% - 1rem)}
.crumb{margin:.5rem 0}
dl.uptime{display:flex;flex-wrap:wrap;gap:.5rem 2rem;margin:.75rem 0 0}
dl.uptime dt{font-size:.8rem;color:var(--muted)}
dl.uptime dd{margin:0;font-weight:600}
details.days{font-size:.875rem;margin-top:.25rem}
details.days summary{cursor:pointer;color:var(--muted)}
details.days ul{margin:.25rem 0;padding-left:1.25rem}
ol.timeline{list-style:none;margin:.75rem 0 0;padding:0;border-left:2px solid var(--line)}
ol.timeline li{position:relative;padding:0 0 .6rem 1rem}
ol.timeline li::before{content:"";position:absolute;left:-6px;top:.45rem;width:10px;height:10px;border-radius:50%;background:var(--card);border:2px solid var(--muted)}
ol.timeline time{display:block;font-size:.8rem;color:var(--muted)}
.meta{display:flex;flex-wrap:wrap;gap:.25rem 1rem;font-size:.875rem;color:var(--muted)}
footer{margin-top:2.5rem;padding-top:1rem;border-top:1px solid var(--line);font-size:.875rem;color:var(--muted);display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;justify-content:space-between}
form.token{display:flex;flex-wrap:wrap;gap:.5rem;align-items:end}
form.token input{font:inherit;padding:.4rem .6rem;border:1px solid var(--line);border-radius:.35rem;background:var(--card);color:var(--text);min-width:16rem}
form.token button{font:inherit;padding:.4rem 1rem;border-radius:.35rem;border:1px solid var(--maint);background:var(--maint);color:#fff}
@media (prefers-color-scheme:dark){form.token button{color:#0d1117}}
@media (prefers-reduced-motion:no-preference){html{scroll-behavior:smooth}}
`;
