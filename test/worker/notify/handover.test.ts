/**
 * Pages leave without waiting: what a change writes to the outbox is handed to the queue in the
 * same moment (not at the next sweep), a queue that cannot be reached loses nothing (the sweep
 * sends it later), and the consumer delivers the groups of a batch side by side while keeping
 * each (incident, channel) in order.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { parseConfig, type VigilConfig } from "../../../src/config";
import type { Env } from "../../../src/env";
import { recordObservation } from "../../../src/incidents/record";
import type { NotifyMessage } from "../../../src/notify/message";
import { flushOutbox } from "../../../src/store/outbox";
import { SimQueue, incidentMessages, notifyConfig, providers, type Providers } from "./harness";

/** A queue that records what it was handed, or refuses everything. */
function recordingQueue(refuse = false) {
  const sent: NotifyMessage[] = [];
  const queue = {
    async send(body: NotifyMessage) {
      if (refuse) throw new Error("queue unavailable");
      sent.push(body);
    },
    async sendBatch(msgs: { body: NotifyMessage }[]) {
      if (refuse) throw new Error("queue unavailable");
      sent.push(...msgs.map((m) => m.body));
    },
  } as unknown as Queue<NotifyMessage>;
  return { sent, queue };
}

/** A SERVICE namespace that accepts every input (the incident side is not under test here). */
const services = { getByName: () => ({ apply: async () => null }) } as unknown as Env["SERVICE"];

const stateConfig = (): VigilConfig =>
  parseConfig(
    {
      services: [{ id: "web", name: "Web", policy: "p" }],
      channels: [{ id: "hook", type: "webhook", url: "http://127.0.0.1:9/hook", secret: { env: "HOOK_SECRET" }, stateChanges: true }],
      policies: [{ id: "p", levels: [{ channels: ["hook"] }] }],
    },
    { HOOK_SECRET: env.TEST_WEBHOOK_SECRET },
  );

const outboxRow = (key: string) => env.DB.prepare("SELECT sent_at FROM outbox WHERE key = ?").bind(key).first<{ sent_at: number | null }>();

describe("monitor.state_changed leaves with the change", () => {
  it("is on the queue when recordObservation returns, and marked sent", async () => {
    const { sent, queue } = recordingQueue();
    const config = stateConfig();
    const states = new Map();
    const check = { id: "handover-a", service: "web", failureThreshold: 1, recoveryThreshold: 1 };
    const t0 = Date.parse("2026-12-01T10:00:00Z");
    await recordObservation({ DB: env.DB, SERVICE: services, NOTIFY: queue }, config, states, check, { status: "up" }, t0);
    sent.length = 0;
    await recordObservation(
      { DB: env.DB, SERVICE: services, NOTIFY: queue },
      config,
      states,
      check,
      { status: "down", reason: "refused" },
      t0 + 60_000,
    );
    expect(sent.map((m) => [m.event.type, m.channelId, (m.event.data as any).check.to])).toEqual([
      ["monitor.state_changed", "hook", "down"],
    ]);
    expect((await outboxRow(sent[0]!.key))?.sent_at).toBe(t0 + 60_000);
  });

  it("a queue that refuses loses nothing: the row stays unsent and the sweep sends it", async () => {
    const config = stateConfig();
    const states = new Map();
    const check = { id: "handover-b", service: "web", failureThreshold: 1, recoveryThreshold: 1 };
    const t0 = Date.parse("2026-12-01T11:00:00Z");
    const down = recordingQueue(true);
    await recordObservation({ DB: env.DB, SERVICE: services, NOTIFY: down.queue }, config, states, check, { status: "up" }, t0);
    await recordObservation(
      { DB: env.DB, SERVICE: services, NOTIFY: down.queue },
      config,
      states,
      check,
      { status: "down", reason: "refused" },
      t0 + 60_000,
    );
    const { results } = await env.DB.prepare("SELECT key, sent_at FROM outbox WHERE key LIKE ?")
      .bind("%handover-b%")
      .all<{ key: string; sent_at: number | null }>();
    expect(results.length).toBeGreaterThanOrEqual(1);
    expect(results.every((r) => r.sent_at === null)).toBe(true);

    const up = recordingQueue();
    await flushOutbox(env.DB, up.queue, t0 + 120_000, 1000);
    expect(up.sent.map((m) => m.key)).toEqual(expect.arrayContaining(results.map((r) => r.key)));
  });
});

describe("the consumer delivers groups side by side, each in order", () => {
  let p: Providers;
  let config: VigilConfig;
  beforeAll(async () => {
    p = await providers();
    config = notifyConfig(p);
  });

  it("a slow receiver does not hold another channel's pages, and one incident's pages on one channel keep their order", async () => {
    await Promise.all([p.slack.reset(), p.discord.reset()]);
    // L1 pages Slack, Discord and Teams; keep Slack and Discord.
    const [opened, escalated] = await incidentMessages(config, "inc_side_by_side", ["incident.opened", "incident.escalated"]);
    const pick = (ms: NotifyMessage[], channel: string) => ms.find((m) => m.channelId === channel)!;
    // Discord answers after 1.5 s (within its 2 s timeout).
    await p.discord.script({ status: 204, delayMs: 1_500, process: true });
    const sim = new SimQueue(p.secretEnv);
    // The worst batch: the slow one first, and the later Slack page before the earlier one.
    sim.push(pick(opened, "discord"));
    sim.push(pick(escalated, "slack"));
    sim.push(pick(opened, "slack"));
    await sim.drain(config, { limitSeconds: 0 });

    // Nothing was held back to wait 10 s behind its predecessor: all three went in one batch.
    expect(sim.trace.map((t) => t.result)).toEqual(["ack", "ack", "ack"]);
    const rows = (
      await env.DB.prepare(
        "SELECT channel_id, event_type, outcome, at FROM deliveries WHERE incident_id = 'inc_side_by_side' ORDER BY at, id",
      ).all<{
        channel_id: string;
        event_type: string;
        outcome: string;
        at: number;
      }>()
    ).results;
    // Slack's two pages were delivered, in order, before Discord's slow answer came back.
    expect(rows.map((r) => [r.channel_id, r.event_type, r.outcome])).toEqual([
      ["slack", "incident.opened", "delivered"],
      ["slack", "incident.escalated", "delivered"],
      ["discord", "incident.opened", "delivered"],
    ]);
    const slackTexts = (await p.slack.requests()).filter((r) => !r.injected).map((r) => JSON.parse(r.body).text as string);
    expect(slackTexts).toHaveLength(2);
    expect(slackTexts[0]).toMatch(/^\[L1\]/);
    expect(slackTexts[1]).not.toBe(slackTexts[0]);
  });
});
