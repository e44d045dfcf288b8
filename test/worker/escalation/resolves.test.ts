/**
 * Every page gets its resolve, on the channel it went to (issue #21, point 3), inside workerd:
 * real ServiceObjects, real D1, the real notification queue and loopback receivers that verify
 * signatures. One service per path (test/worker/vigil.config.ts, policy `res-fast`: pages at
 * once; `security` escalates to level 2):
 * - resolved while a silence holds pages;
 * - resolved inside a maintenance window (reached by inputs dated into the window, as the
 *   object takes `max(clock, input.at)` as now);
 * - resolved while inhibited by a down dependency;
 * - resolved by a fresh object instance on the same storage (a restart mid-incident);
 * - resolved after a redeploy moved level 1 to another channel (a fresh instance whose env
 *   changes the config): the resolve still goes to the channel that was paged.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import type { EscalationInput, Incident } from "../../../src/engine/escalation";
import { ServiceObject } from "../../../src/objects/service";
import { configureSink, sinkRecords, waitFor } from "../fixtures";
import { adminPost } from "../ingest/helpers";

const SINKS = ["res-l1", "res-l2", "res-new"] as const;

const apply = (service: string, input: EscalationInput) => env.SERVICE.getByName(service).apply(service, input);
const check = (service: string, checkId: string, status: "down" | "up", at = Date.now()) =>
  apply(service, {
    type: "check",
    checkId,
    kind: "http",
    status,
    reason: status === "down" ? `connection refused by 127.0.0.1:9` : null,
    at,
  });

/** What reached the receivers for `service`: `event@sink`, in arrival order, with the titles. */
async function received(service: string): Promise<{ pages: string[]; titles: string[] }> {
  const all = await Promise.all(SINKS.map(async (sink) => (await sinkRecords(sink)).map((r) => ({ sink, r, body: JSON.parse(r.body) }))));
  const mine = all
    .flat()
    .filter(({ body }) => body.data?.incident?.service?.id === service)
    .sort((a, b) => a.r.receivedAt - b.r.receivedAt);
  for (const { r } of mine) expect(r.verified).toBe(true);
  return { pages: mine.map(({ sink, body }) => `${body.type}@${sink}`), titles: mine.map(({ body }) => body.data.title) };
}

const pagesOf = async (service: string) => (await received(service)).pages;

/** Runs `task` on a new ServiceObject over the same storage: what a restart (or, with another env, a redeploy) leaves. */
function freshInstance<T>(
  service: string,
  task: (fresh: ServiceObject) => Promise<T>,
  envOverride: Record<string, unknown> = {},
): Promise<T> {
  return runInDurableObject(env.SERVICE.getByName(service), (_old, state) =>
    task(new ServiceObject(state as unknown as ConstructorParameters<typeof ServiceObject>[0], { ...env, ...envOverride })),
  );
}

describe("every page gets its resolve on the same channel", () => {
  beforeAll(async () => {
    for (const sink of SINKS) await configureSink(sink, { status: 200, secret: env.TEST_WEBHOOK_SECRET });
  });

  it("resolved while a silence holds pages", async () => {
    await check("res-silence", "api", "down");
    await waitFor(
      "the page",
      () => pagesOf("res-silence"),
      (p) => p.length === 1,
    );
    expect((await adminPost("/v1/silences", { service: "res-silence", duration: "10m", comment: "deploying", by: "kim" })).status).toBe(
      201,
    );
    const held = await apply("res-silence", { type: "tick", at: Date.now() });
    expect(held?.held).toBe("silence");
    await check("res-silence", "api", "up");
    const { pages, titles } = await waitFor(
      "the resolve",
      () => received("res-silence"),
      (r) => r.pages.length === 2,
    );
    expect(pages).toEqual(["incident.opened@res-l1", "incident.resolved@res-l1"]);
    expect(titles[0]).toBe("[L1] res-silence: api down");
    expect(titles[1]).toMatch(/^\[RESOLVED\] res-silence: api recovered after /);
  });

  it("resolved inside a maintenance window that began mid-incident", async () => {
    const start = Date.parse("2099-01-01T00:00:00Z");
    await check("res-maint", "api", "down", start - 10 * 60_000);
    await waitFor(
      "the page",
      () => pagesOf("res-maint"),
      (p) => p.length === 1,
    );
    const held = await apply("res-maint", { type: "tick", at: start + 60_000 });
    expect(held?.held).toBe("maintenance");
    await check("res-maint", "api", "up", start + 2 * 60_000);
    const { pages, titles } = await waitFor(
      "the resolve",
      () => received("res-maint"),
      (r) => r.pages.length === 2,
    );
    expect(pages).toEqual(["incident.opened@res-l1", "incident.resolved@res-l1"]);
    expect(titles[1]).toBe("[RESOLVED] res-maint: api recovered after 12 min");
  });

  it("resolved while inhibited by a down dependency", async () => {
    await check("res-inhib", "api", "down");
    await waitFor(
      "the page",
      () => pagesOf("res-inhib"),
      (p) => p.length === 1,
    );
    await check("res-inhib-db", "db", "down");
    const held = await apply("res-inhib", { type: "tick", at: Date.now() });
    expect(held?.held).toBe("inhibited");
    await check("res-inhib", "api", "up");
    expect(
      await waitFor(
        "the resolve",
        () => pagesOf("res-inhib"),
        (p) => p.length === 2,
      ),
    ).toEqual(["incident.opened@res-l1", "incident.resolved@res-l1"]);
    await check("res-inhib-db", "db", "up");
  });

  it("resolved by a fresh instance after a restart mid-incident: both paged levels hear it", async () => {
    const opened = await check("res-restart", "api", "down");
    await apply("res-restart", { type: "flag", flag: "security", by: "kim", at: Date.now() });
    await waitFor(
      "L1 and L2",
      () => pagesOf("res-restart"),
      (p) => p.length === 2,
    );
    const after: Incident | null = await freshInstance("res-restart", (fresh) =>
      fresh.apply("res-restart", { type: "check", checkId: "api", kind: "http", status: "up", reason: null, at: Date.now() }),
    );
    expect(after).toMatchObject({ id: opened!.id, status: "resolved" });
    const pages = await waitFor(
      "both resolves",
      () => pagesOf("res-restart"),
      (p) => p.length === 4,
    );
    expect(pages.filter((p) => p.startsWith("incident.resolved")).sort()).toEqual(["incident.resolved@res-l1", "incident.resolved@res-l2"]);
  });

  it("resolved after a redeploy moved level 1 to another channel: the resolve goes where the page went", async () => {
    await check("res-redeploy", "api", "down");
    await waitFor(
      "the page",
      () => pagesOf("res-redeploy"),
      (p) => p.length === 1,
    );
    await freshInstance(
      "res-redeploy",
      (fresh) => fresh.apply("res-redeploy", { type: "check", checkId: "api", kind: "http", status: "up", reason: null, at: Date.now() }),
      { TEST_REDEPLOY: "2" },
    );
    expect(
      await waitFor(
        "the resolve",
        () => pagesOf("res-redeploy"),
        (p) => p.length === 2,
      ),
    ).toEqual(["incident.opened@res-l1", "incident.resolved@res-l1"]);
    // Nothing went to the channel that was never paged.
    await new Promise((r) => setTimeout(r, 300));
    expect((await pagesOf("res-redeploy")).some((p) => p.endsWith("@res-new"))).toBe(false);
  });
});
