/**
 * The status page's markup as strings: the compact 90-day bar (one path per day level, dashed
 * by CSS into days), and the layout above `ROW_BARS_MAX` checks (one bar per service, a line
 * per check). The page as a whole is tested through its routes and in Chromium.
 */
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config";
import { buildStatusModel, type ComponentView } from "../../../src/routes/status/model";
import { uptimeBarSvg } from "../../../src/routes/status/views/charts";
import { ROW_BARS_MAX, rowBars, serviceHtml } from "../../../src/routes/status/views/status-page";
import type { History } from "../../../src/store/status-history";
import type { CurrentSnapshot } from "../../../src/store/status-read";
import { HOUR, statusSecrets } from "./seed";

const now = Date.parse("2026-11-23T12:00:00Z");
const DAY = 24 * HOUR;
const dayStarts = Array.from({ length: 6 }, (_, i) => now - (6 - i) * DAY);

function check(levels: string, tallies: number[]): Pick<ComponentView, "name" | "levels" | "tallies" | "uptime"> {
  return { name: "api", levels, tallies: Int32Array.from(tallies), uptime: { "24h": null, "7d": null, "30d": null, "90d": 99.5 } };
}

describe("uptime bar", () => {
  // up, up, down, degraded, no data, up
  const c = check("uudgnu", [60, 0, 0, 60, 0, 0, 60, 30, 0, 60, 0, 5, 0, 0, 0, 60, 0, 0]);

  it("draws each level's runs as one path, segments on day boundaries (4 units a day)", () => {
    expect(uptimeBarSvg(c as ComponentView, dayStarts, "UTC")).toBe(
      `<svg class="bar" viewBox="0 0 24 2" preserveAspectRatio="none" role="img">` +
        `<title>api: 99.5% uptime over 6 days. Failures: 19 Nov. Degraded: 20 Nov.</title>` +
        `<path class="u" d="M0 1h8m12 0h4"/><path class="d" d="M8 1h4"/><path class="g" d="M12 1h4"/><path class="n" d="M16 1h4"/></svg>`,
    );
  });

  it("on a check's own page, gives each problem day a path and a hover text of its own", () => {
    const svg = uptimeBarSvg(c as ComponentView, dayStarts, "UTC", { titles: true });
    expect(svg).toContain(`<path class="d" d="M8 1h4"><title>19 Nov 2026: 50% uptime, 30 of 60 checks failed</title></path>`);
    expect(svg).toContain(`<path class="g" d="M12 1h4"><title>20 Nov 2026: 100% uptime, 5 degraded</title></path>`);
    expect(svg).toContain(`<path class="u" d="M0 1h8m12 0h4"/>`);
  });
});

describe("page layout by size", () => {
  function model(monitors: number) {
    const config = parseConfig(
      {
        services: [{ id: "big", name: "Big", policy: "ops" }],
        monitors: Array.from({ length: monitors }, (_, i) => ({
          id: `m-${i}`,
          type: "http",
          service: "big",
          url: `http://127.0.0.1:9/${i}`,
        })),
        channels: [{ id: "ops-hook", type: "webhook", url: "http://127.0.0.1:9/hook", secret: { env: "HOOK_SECRET" } }],
        policies: [{ id: "ops", levels: [{ channels: ["ops-hook"] }] }],
      },
      statusSecrets,
    );
    // Every monitor up all six days; m-0 failed a third of day 2.
    const days = new Map<string, Int32Array>();
    for (let i = 0; i < monitors; i++) {
      const t = new Int32Array(dayStarts.length * 3);
      for (let d = 0; d < dayStarts.length; d++) t[d * 3] = 1440;
      if (i === 0) t[2 * 3 + 1] = 480;
      days.set(`m-${i}`, t);
    }
    const history: History = { dayStarts, days, hours: new Map(), historyReadAt: now, version: 1000 + monitors };
    const current: CurrentSnapshot = { states: new Map(), incidents: [], members: new Map(), events: new Map(), agents: new Map() };
    return buildStatusModel(config, current, history, now);
  }

  it(`draws a bar per check up to ${ROW_BARS_MAX} checks`, () => {
    const m = model(ROW_BARS_MAX);
    expect(rowBars(m)).toBe(true);
    const html = serviceHtml(m.services[0]!, m, true);
    expect(html.match(/<svg class="bar"/g)).toHaveLength(ROW_BARS_MAX);
    expect(html).toContain('<h3><a href="check/m-0">m-0</a></h3>');
  });

  it("above that, one bar for the service and a table row per check", () => {
    const m = model(ROW_BARS_MAX + 1);
    expect(rowBars(m)).toBe(false);
    const html = serviceHtml(m.services[0]!, m, false);
    expect(html.match(/<svg class="bar"/g)).toHaveLength(1);
    expect(html).toMatch(
      new RegExp(`<title>Big \\(${ROW_BARS_MAX + 1} checks\\): 99\\.\\d+% uptime over 6 days\\. Failures: 19 Nov\\.</title>`),
    );
    expect(html).toContain(
      '<table class="checks" aria-labelledby="service-big-h"><thead><tr><th scope="col">Check<th scope="col">Status<th scope="col">Uptime, 6 d<th scope="col">Avg, 24 h<tbody>',
    );
    expect(
      html.match(/<tr id="check-m-\d+"><th><a href="check\/m-\d+">m-\d+<\/a><td class="pill s-unknown">No data yet<td>[\d.]+%<td>–/g),
    ).toHaveLength(ROW_BARS_MAX + 1);
    expect(html).toContain('<tr id="check-m-0"><th><a href="check/m-0">m-0</a><td class="pill s-unknown">No data yet<td>94.44%<td>–');
    expect(html).not.toContain("<h3>");
  });
});
