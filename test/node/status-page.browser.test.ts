/**
 * The status page in a real browser: Debian's Chromium, driven by playwright-core, loads the
 * page from a local `wrangler dev` with seeded data, and follows a check's link to its own page
 * (response-time chart). Screenshots (light, dark, phone, check page) are saved under
 * test-results/ as artifacts. The public page's first screen is the README's picture: every run
 * saves it as test-results/status-page.png, and `npm run docs:screenshot` (this test with
 * VIGIL_UPDATE_SCREENSHOT=1) writes it to docs/status-page.png, so a test run never changes a
 * tracked file.
 *
 * Chromium is installed by scripts/chromium-setup.sh when missing. Under CI=true a missing
 * browser or a server that does not start fails the run; elsewhere the tests skip with a reason.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { statusSecrets, statusSeedSql } from "../worker/status/seed";
// @ts-expect-error: a plain .mjs helper shared with the benchmark
import { root, startStatusServer } from "./status-server.mjs";
import { CHROMIUM, CHROMIUM_ARGS, ensureChromium } from "./chromium";

const CI = process.env.CI === "true";
const artifacts = join(root, "test-results");

let skipReason: string | null = null;
let server: { url: string; stop: () => Promise<void>; logs: () => string } | null = null;
let browser: Browser | null = null;
const now = Date.now();
const ADMIN_TOKEN = "browser-test-admin-token-0123456789";

beforeAll(async () => {
  skipReason = ensureChromium();
  if (!skipReason) {
    try {
      server = await startStatusServer({
        configSource: `import { statusConfig } from ${JSON.stringify(join(root, "test/worker/status/seed.ts"))};\nexport default statusConfig(${now});\n`,
        seedSql: statusSeedSql(now).join("\n"),
        vars: { ...statusSecrets, VIGIL_ADMIN_TOKEN: ADMIN_TOKEN },
      });
    } catch (err) {
      skipReason = `local wrangler dev did not start: ${(err as Error).message.split("\n")[0]}`;
    }
  }
  if (skipReason && CI) throw new Error(`status page browser test: ${skipReason}`);
  if (skipReason) {
    console.warn(`status page browser test skipped: ${skipReason}`);
    return;
  }
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
  });
  mkdirSync(artifacts, { recursive: true });
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

interface Visit {
  page: Page;
  consoleErrors: string[];
  foreign: string[];
}

function watch(page: Page): Omit<Visit, "page"> {
  const consoleErrors: string[] = [];
  const foreign: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") consoleErrors.push(`${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => consoleErrors.push(`pageerror: ${e.message}`));
  page.on("request", (r) => {
    const u = r.url();
    if (!u.startsWith(`${server!.url}/`) && !u.startsWith("data:")) foreign.push(u);
  });
  return { consoleErrors, foreign };
}

async function visit(options: { colorScheme: "light" | "dark"; width?: number; path?: string }): Promise<Visit> {
  const context = await browser!.newContext({
    colorScheme: options.colorScheme,
    viewport: { width: options.width ?? 1100, height: 900 },
    deviceScaleFactor: 1,
  });
  const page = await context.newPage();
  const { consoleErrors, foreign } = watch(page);
  const res = await page.goto(`${server!.url}${options.path ?? "/"}`, { waitUntil: "load" });
  expect(res?.status()).toBe(200);
  return { page, consoleErrors, foreign };
}

describe("status page in Chromium", () => {
  it("shows the outage, the incident and the maintenance notice, with no errors and no outside requests (light)", async (ctx) => {
    if (skipReason) return ctx.skip(skipReason);
    const { page, consoleErrors, foreign } = await visit({ colorScheme: "light" });
    expect(await page.getByRole("status").innerText()).toBe("Partial outage");
    expect(await page.getByRole("heading", { name: "Public API is down" }).isVisible()).toBe(true);
    // The public sees that api-health is failing, not the probe's reason (audience.test.ts).
    expect(await page.locator("ol.timeline li", { hasText: /Investigating — api-health is failing$/ }).count()).toBe(2); // the open incident and the past one
    expect(await page.content()).not.toContain("HTTP 503 Service Unavailable");
    expect(await page.getByRole("heading", { name: "In progress: Website migration to the new CDN" }).isVisible()).toBe(true);
    expect(await page.getByRole("heading", { name: "Scheduled: PostgreSQL 17 upgrade" }).isVisible()).toBe(true);
    expect(await page.locator("#check-api-health .pill").innerText()).toBe("Outage");
    expect(await page.getByRole("heading", { name: "Public API answered slowly" }).isVisible()).toBe(true);
    // The uptime bar is drawn (inline SVG with real size, the failed days in the outage colour)
    // and named by its <title>.
    const bar = await page.locator("#check-api-health svg.bar").boundingBox();
    expect(bar!.width).toBeGreaterThan(300);
    expect(await page.locator("#check-api-health svg.bar path.d").evaluate((p) => getComputedStyle(p).stroke)).toBe("rgb(207, 34, 46)");
    expect(await page.getByRole("img", { name: /^api-health: \d+(\.\d+)?% uptime over 90 days\. Failures: / }).count()).toBe(1);
    // "Updated N seconds ago" is kept current by the page's one script.
    await page.waitForFunction(() => /\d+ seconds? ago/.test(document.querySelector("#updated time")?.textContent ?? ""));
    // Landmarks, and the first Tab lands on the skip link.
    expect(await page.getByRole("main").count()).toBe(1);
    expect(await page.getByRole("banner").count()).toBe(1);
    expect(await page.getByRole("contentinfo").count()).toBe(1);
    await page.screenshot({ path: join(artifacts, "status-page-light.png"), fullPage: true });
    const readmePicture =
      process.env.VIGIL_UPDATE_SCREENSHOT === "1" ? join(root, "docs/status-page.png") : join(artifacts, "status-page.png");
    await page.screenshot({ path: readmePicture, fullPage: true, clip: { x: 0, y: 0, width: 1100, height: 1240 } });
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Skip to content");
    await page.keyboard.press("Enter");
    expect(await page.evaluate(() => location.hash)).toBe("#main");
    expect(consoleErrors).toEqual([]);
    expect(foreign).toEqual([]);
    await page.context().close();
  });

  it("opens a check's own page with its response-time chart and day-by-day history", async (ctx) => {
    if (skipReason) return ctx.skip(skipReason);
    const { page, consoleErrors, foreign } = await visit({ colorScheme: "light" });
    await page.getByRole("link", { name: "api-health", exact: true }).click();
    await page.waitForURL(`${server!.url}/check/api-health`);
    expect(await page.getByRole("heading", { level: 1 }).innerText()).toBe("api-health");
    const chart = page.getByRole("img", { name: /^Response time of api-health over the last 24 hours/ });
    expect((await chart.boundingBox())!.width).toBeGreaterThan(300);
    expect(await page.locator("svg.chart polyline.lat-avg").count()).toBe(1);
    expect(await page.getByText(/\d+ days? with problems/).isVisible()).toBe(true);
    expect(await page.getByRole("heading", { name: "Public API is down" }).isVisible()).toBe(true);
    await page.waitForFunction(() => /\d+ seconds? ago/.test(document.querySelector("#updated time")?.textContent ?? ""));
    await page.screenshot({ path: join(artifacts, "status-check-light.png"), fullPage: true });
    await page.getByRole("link", { name: "Example Status" }).click();
    await page.waitForURL(`${server!.url}/`);
    expect(consoleErrors).toEqual([]);
    expect(foreign).toEqual([]);
    await page.context().close();
  });

  it("shows an operator who signs in with the admin token the probe reasons", async (ctx) => {
    if (skipReason) return ctx.skip(skipReason);
    const { page, consoleErrors } = await visit({ colorScheme: "light", path: `/?token=${ADMIN_TOKEN}` });
    expect(new URL(page.url()).search).toBe("");
    expect(await page.getByText("Investigating — api-health is failing: HTTP 503 Service Unavailable (expected 2xx)").isVisible()).toBe(
      true,
    );
    expect(await page.locator("#check-api-health .reason").innerText()).toMatch(/HTTP 503 Service Unavailable \(expected 2xx\)$/);
    expect(consoleErrors).toEqual([]);
    await page.screenshot({ path: join(artifacts, "status-page-operator.png"), fullPage: true });
    await page.context().close();
  });

  it("follows prefers-color-scheme: dark", async (ctx) => {
    if (skipReason) return ctx.skip(skipReason);
    const { page, consoleErrors, foreign } = await visit({ colorScheme: "dark" });
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(bg).toBe("rgb(13, 17, 23)");
    expect(await page.getByRole("status").innerText()).toBe("Partial outage");
    expect(consoleErrors).toEqual([]);
    expect(foreign).toEqual([]);
    await page.screenshot({ path: join(artifacts, "status-page-dark.png"), fullPage: true });
    await page.context().close();
  });

  it("fits a phone screen without sideways scrolling", async (ctx) => {
    if (skipReason) return ctx.skip(skipReason);
    const { page, consoleErrors } = await visit({ colorScheme: "light", width: 390 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBe(0);
    expect(consoleErrors).toEqual([]);
    await page.screenshot({ path: join(artifacts, "status-page-phone.png"), fullPage: true });
    await page.context().close();
  });
});
