/**
 * Webhook events carry the same titles as every other channel (issue #21, point 6), and the
 * acknowledgement and resolve go to exactly the channels paged (point 3), as `pageMessages`
 * turns the engine's effects into queue messages.
 */
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config";
import { incidentHeadline, incidentView } from "../../../src/notify/content";
import { pageMessages } from "../../../src/notify/event";
import { buildWebhookRequest } from "../../../src/notify/webhook";

const env = { SLACK_WEBHOOK_URL: "https://hooks.slack.com/services/T/B/x", WH: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" };
const config = parseConfig(
  {
    timezone: "UTC",
    services: [{ id: "web", name: "Web", policy: "p" }],
    channels: [
      { id: "slack", type: "slack", url: { env: "SLACK_WEBHOOK_URL" } },
      { id: "hook", type: "webhook", url: "http://127.0.0.1:9/hook", secret: { env: "WH" } },
    ],
    policies: [{ id: "p", levels: [{ channels: ["slack"] }, { channels: ["hook"] }] }],
  },
  env,
);
if (!("services" in config)) throw new Error(String(config));

const opened = Date.parse("2026-11-22T14:00:00Z");
const incident = {
  id: "inc_web_1",
  serviceId: "web",
  title: "Web: api down — connection refused by 127.0.0.1:9",
  openedAt: opened,
  resolvedAt: null as number | null,
  members: { api: { status: "down", reason: "connection refused by 127.0.0.1:9", since: opened } },
  ack: { by: "kim" },
};

describe("webhook events carry the channel titles", () => {
  const cases: { event: Parameters<typeof pageMessages>[0]["event"]; level: number; at: number; resolvedAt?: number; title: string }[] = [
    { event: "incident.opened", level: 1, at: opened + 10_000, title: "[L1] Web: api down" },
    { event: "incident.escalated", level: 2, at: opened + 15 * 60_000, title: "[L2] Web: api down for 15 min" },
    { event: "incident.acknowledged", level: 2, at: opened + 20 * 60_000, title: "[L2 ACK] Web: api down for 20 min, acknowledged by kim" },
    {
      event: "incident.resolved",
      level: 2,
      at: opened + 25 * 60_000,
      resolvedAt: opened + 25 * 60_000,
      title: "[RESOLVED] Web: api recovered after 25 min",
    },
  ];
  for (const c of cases) {
    it(`${c.event}: data.title is "${c.title}", in the signed body, and the same line the other channels lead with`, async () => {
      const members = c.resolvedAt ? { api: { status: "up", reason: null, since: c.resolvedAt } } : incident.members;
      const [msg] = pageMessages(
        { event: c.event, levels: [2], level: c.level, reason: null, channels: ["hook"] },
        { ...incident, members, resolvedAt: c.resolvedAt ?? null },
        config,
        c.at,
      );
      expect(msg!.event.data.title).toBe(c.title);
      expect(incidentHeadline(incidentView(msg!.event))).toBe(c.title);
      expect((msg!.event.data.incident as { title: string }).title).toBe(incident.title);
      const channel = config.channels.find((x) => x.id === "hook");
      if (channel?.type !== "webhook") throw new Error("no webhook channel");
      const req = await buildWebhookRequest(channel, env, msg!.key, msg!.event, Math.floor(c.at / 1000));
      expect(JSON.parse(req.body!)).toMatchObject({ type: c.event, data: { title: c.title } });
    });
  }
});

describe("pageMessages follows the effect's channels", () => {
  it("an effect with `channels` goes to exactly those, not to the levels' channels", () => {
    const msgs = pageMessages(
      {
        event: "incident.resolved",
        levels: [1, 2],
        level: 2,
        key: "inc_web_1:incident.resolved:L2:0.1",
        reason: null,
        channels: ["slack", "gone"],
      },
      incident,
      config,
      opened,
    );
    expect(msgs.map((m) => m.channelId)).toEqual(["slack", "gone"]);
    expect(msgs.map((m) => m.key)).toEqual(["inc_web_1:incident.resolved:L2:0.1:slack", "inc_web_1:incident.resolved:L2:0.1:gone"]);
  });
  it("without `channels`, the levels' channels as before", () => {
    const msgs = pageMessages({ event: "incident.resolved", levels: [1, 2], level: 2, reason: null }, incident, config, opened);
    expect(msgs.map((m) => m.channelId)).toEqual(["slack", "hook"]);
  });
});
