/**
 * `npm start` end to end, as a new user meets it: the real script, the real `wrangler dev`
 * (workerd, local D1, Durable Objects, Queues), the default config (a copy of vigil.config.ts,
 * so it can be edited here), the demo target and the local receiver it starts, on free ports,
 * with its own state directory.
 *
 * Issue 16: the first run is green within a minute; switching the demo target off and on opens,
 * pages and resolves an incident in the terminal and on the page within the interval plus a few
 * seconds; the terminal narrates without stack traces or wrangler's noise; a bad edit is refused
 * and the last valid config keeps serving.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../agent/pg-cluster";
import { CHROMIUM, CHROMIUM_ARGS, ensureChromium } from "./chromium";
import { npmStart, stopNpmStart, until as waitUntil, type NpmStart } from "./npm-start";

const root = fileURLToPath(new URL("../..", import.meta.url));
let started: NpmStart;
let base = "";
let demo = "";
const stateDir = mkdtempSync(join(tmpdir(), "vigil-start-state-"));
/** The secrets file npm start generates, in the temp dir (not the checkout's .dev.vars). */
const varsFile = join(stateDir, "vigil.vars");
const workDir = join(root, ".vigil", `start-test-${process.pid}`);
const configPath = join(workDir, "vigil.config.ts");
/** The shipped default config, importing src/config from where it now lives. */
const defaultConfig = readFileSync(join(root, "vigil.config.ts"), "utf8").replace(
  'from "./src/config"',
  `from ${JSON.stringify(join(root, "src/config"))}`,
);

const until = <T>(what: string, timeoutMs: number, test: () => T | Promise<T>) => waitUntil(started, what, timeoutMs, test);
const output = () => started.output();

const token = () => /^VIGIL_ADMIN_TOKEN=(.+)$/m.exec(readFileSync(varsFile, "utf8"))![1]!;
const json = async (path: string, auth = false) =>
  (
    await fetch(`${base}${path}`, { headers: auth ? { authorization: `Bearer ${token()}` } : {}, signal: AbortSignal.timeout(5_000) })
  ).json() as Promise<any>;
const serviceStatus = async (id: string) =>
  ((await json("/status.json")).services as { id: string; status: string }[]).find((s) => s.id === id)?.status;
/** The terminal's lines since `mark` (an offset into `output`). */
const since = (mark: number) => output().slice(mark);

describe("npm start on the default config", () => {
  let readyAt = 0;

  beforeAll(async () => {
    mkdirSync(workDir, { recursive: true });
    writeFileSync(configPath, defaultConfig);
    const [port, demoPort, receiverPort] = [await freePort(), await freePort(), await freePort()];
    base = `http://127.0.0.1:${port}`;
    demo = `http://127.0.0.1:${demoPort}`;
    started = npmStart(root, {
      PORT: String(port),
      VIGIL_CONFIG: configPath,
      VIGIL_DEMO_PORT: String(demoPort),
      VIGIL_RECEIVER_PORT: String(receiverPort),
      VIGIL_STATE_DIR: join(stateDir, "state"),
      VIGIL_VARS_FILE: varsFile,
    });
    await until("Vigil is running", 120_000, () => output().includes("Vigil is running"));
    readyAt = Date.now();
  }, 150_000);

  afterAll(async () => {
    await stopNpmStart(started);
    rmSync(stateDir, { recursive: true, force: true });
    rmSync(workDir, { recursive: true, force: true });
  }, 20_000);

  it("is green within a minute: Vigil and the demo target up on status.json and the page", async () => {
    await until("every service up", 60_000 - (Date.now() - readyAt), async () => {
      const status = await json("/status.json");
      return (
        status.services.length === 2 &&
        status.services.every((s: { status: string }) => s.status === "up") &&
        status.status.indicator === "none"
      );
    });
    const page = await fetch(base);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("Vigil on this machine");
    expect(output()).toMatch(/\d\d:\d\d:\d\d demo UP \(first result\)/);
    expect(output()).toMatch(/\d\d:\d\d:\d\d vigil-health UP \(first result\)/);
  }, 70_000);

  // The same page in a browser; its screenshot (test-results/first-run.png) is what a new user
  // sees first. Chromium is installed when missing (test/node/chromium.ts).
  it("shows the green page in Chromium", async (ctx) => {
    const missing = ensureChromium();
    if (missing) {
      if (process.env.CI === "true") throw new Error(missing);
      return ctx.skip(missing);
    }
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
      expect((await page.goto(base, { waitUntil: "load" }))?.status()).toBe(200);
      expect(await page.getByRole("status").innerText()).toBe("All systems operational");
      for (const name of ["Vigil", "Demo target"]) expect(await page.getByRole("heading", { name, exact: true }).isVisible()).toBe(true);
      mkdirSync(join(root, "test-results"), { recursive: true });
      await page.screenshot({ path: join(root, "test-results/first-run.png"), fullPage: true });
    } finally {
      await browser.close();
    }
  }, 60_000);

  it("prints one line for the migrations, and no banner, telemetry notice, bindings table or request log", () => {
    const migrations = readdirSync(join(root, "migrations")).filter((f) => f.endsWith(".sql")).length;
    expect(output()).toMatch(new RegExp(`^vigil: database .*: ${migrations} migrations applied$`, "m"));
    for (const noise of [
      "Executing on local database",
      "update available",
      "telemetry",
      "⛅️",
      "Your Worker has access",
      "[wrangler:info] GET",
      "stack:",
      "Request.cf",
    ]) {
      expect(output()).not.toContain(noise);
    }
  });

  it("generated an admin token into the secrets file and never printed it", async () => {
    expect(token()).toMatch(/^[0-9a-f]{48}$/);
    expect(output()).not.toContain(token());
    expect((await fetch(`${base}/v1/monitors`)).status).toBe(401);
    expect((await fetch(`${base}/v1/monitors`, { headers: { authorization: `Bearer ${token()}` } })).status).toBe(200);
  });

  it("switching the demo target off and on opens, pages and resolves an incident, in the terminal and on the page", async () => {
    // The demo monitor runs every 10 s: down at the first failure, paged at once.
    const within = 10_000 + 8_000;
    let mark = output().length;
    let started = Date.now();
    await fetch(`${demo}/down`, { method: "POST" });
    await until("the demo down on the page", within, async () => (await serviceStatus("demo")) === "down");
    const opened = await until(
      "the page received",
      within - (Date.now() - started),
      () => /⇢ \[L1\] incident\.opened · .* · http:\/\/127\.0\.0\.1:\d+\/incidents\/(inc_\S+)/.exec(since(mark))?.[1],
    );
    await until("the delivery told", 3_000, () => since(mark).includes("delivered incident.opened L1 to local-webhook (HTTP 204"));
    const lines = since(mark).split("\n");
    expect(lines).toContainEqual(expect.stringMatching(/^\d\d:\d\d:\d\d demo DOWN \(.+\)$/));
    expect(lines).toContainEqual(
      expect.stringMatching(new RegExp(`^\\d\\d:\\d\\d:\\d\\d incident ${opened} opened: Demo target: demo down`)),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(new RegExp(`^\\d\\d:\\d\\d:\\d\\d incident ${opened} opened → L1 paged via local-webhook$`)),
    );
    expect((await json("/status.json")).incidents.open.map((i: { id: string }) => i.id)).toEqual([opened]);

    mark = output().length;
    started = Date.now();
    await fetch(`${demo}/up`, { method: "POST" });
    await until("the resolution received", within, () => since(mark).includes(`⇢ [L1] incident.resolved · `));
    await until("the demo up on the page", within - (Date.now() - started), async () => (await serviceStatus("demo")) === "up");
    expect(since(mark)).toMatch(new RegExp(`\\d\\d:\\d\\d:\\d\\d incident ${opened} resolved`));
    expect((await json("/status.json")).incidents.open).toEqual([]);
    expect(output()).not.toContain("stack:");
  }, 60_000);

  it("refuses a bad edit with its paths and keeps serving the last valid config; /health and /v1/config say so", async () => {
    const before = (await json("/health")).config;
    expect(before).toMatchObject({ hash: expect.stringMatching(/^[0-9a-f]{12}$/), refused: null });
    let mark = output().length;
    writeFileSync(
      configPath,
      defaultConfig
        .replace('interval: "10s"', 'interval: "5s"')
        .replace('type: "http", service: "vigil"', 'type: "http", service: "nowhere"'),
    );
    await until("the refusal printed", 15_000, () => since(mark).includes("refused"));
    await until("the problems printed", 2_000, () => since(mark).includes('monitors[1].interval: must be between 10s and 24h, got "5s"'));
    expect(since(mark)).toContain('monitors[0].service: unknown service "nowhere"');
    expect(since(mark)).toContain(`config ${before.hash} from`);
    const health = await until("/health reporting the refusal", 15_000, async () => {
      const h = await json("/health");
      return h.config?.refused ? h : null;
    });
    expect(health).toMatchObject({
      status: "ok",
      monitors: 2,
      config: { hash: before.hash, loadedAt: before.loadedAt, refused: { problems: 2 } },
    });
    expect((await json("/v1/config", true)).config.refused.problems).toHaveLength(2);
    expect((await fetch(base)).status).toBe(200);
    expect((await fetch(`${base}/v1/monitors`, { headers: { authorization: `Bearer ${token()}` } })).status).toBe(200);

    // A good edit is loaded, and the refusal is gone.
    mark = output().length;
    writeFileSync(configPath, defaultConfig.replace('interval: "30s"', 'interval: "20s"'));
    const hash = await until("the reload printed", 15_000, () => /reloaded: config ([0-9a-f]{12}) is live/.exec(since(mark))?.[1]);
    expect(hash).not.toBe(before.hash);
    await until("/health reporting the new config", 15_000, async () => {
      const h = await json("/health");
      return h.config?.hash === hash && h.config.refused === null;
    });
    expect((await json("/v1/monitors", true)).monitors.find((m: { id: string }) => m.id === "vigil-health").interval).toBe(20_000);
  }, 60_000);

  it("never reported a tick as failed", () => {
    expect(output()).not.toMatch(/tick of \d\d:\d\d (failed|was still running)/);
    expect(output()).not.toContain("cron trigger failed");
  });
});
