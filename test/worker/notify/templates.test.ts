/**
 * Content: one template per channel, built by pure functions whose exact bytes are pinned here;
 * titles from level and facts; times in the configured time zone; links to the incident.
 */
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config";
import { formatLocalTime, formatSpan, incidentHeadline, incidentView } from "../../../src/notify/content";
import { buildDiscordRequest } from "../../../src/notify/discord";
import { buildEmailRequest } from "../../../src/notify/email";
import { incidentEvent, pageMessages, stateChangeMessages } from "../../../src/notify/event";
import { buildPagerdutyRequest, pagerdutyEvent } from "../../../src/notify/pagerduty";
import { buildSlackRequest } from "../../../src/notify/slack";
import { buildSmsRequest, smsText } from "../../../src/notify/sms";
import { buildStatuspageRequest, componentStatus } from "../../../src/notify/statuspage";
import { buildTeamsRequest } from "../../../src/notify/teams";

const config = parseConfig(
  {
    timezone: "Asia/Seoul",
    publicUrl: "https://vigil.test/",
    services: [{ id: "safework", name: "SafeWork", policy: "runbook" }],
    channels: [
      { id: "slack", type: "slack", url: { env: "SLACK_WEBHOOK_URL" } },
      { id: "pager", type: "pagerduty", routingKey: { env: "PD_KEY" } },
      {
        id: "sms",
        type: "sms",
        accountSid: "AC0123456789abcdef0123456789abcdef",
        authToken: { env: "TW" },
        from: "+15005550006",
        to: "+821012345678",
      },
      { id: "mail", type: "email", apiKey: { env: "RS" }, from: "Vigil <alerts@vigil.test>", to: ["cto@safework.test"] },
      {
        id: "status",
        type: "statuspage",
        pageId: "kctbh9vrtdwd",
        apiKey: { env: "SP" },
        components: [{ component: "cmpapi0001", checks: ["api-eu", "api-us"] }],
      },
      { id: "hook", type: "webhook", url: "https://hooks.example/x", secret: { env: "WH" }, stateChanges: true },
    ],
    policies: [{ id: "runbook", levels: [{ channels: ["slack"] }, { channels: ["sms", "pager", "slack"] }, { channels: ["mail"] }] }],
  },
  {
    SLACK_WEBHOOK_URL: "https://hooks.slack.com/services/T/B/x",
    PD_KEY: "k",
    TW: "t",
    RS: "r",
    SP: "s",
    WH: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  },
);

const opened = Date.parse("2026-11-22T14:00:00Z"); // 23:00 in Seoul
const incident = {
  id: "inc_safework_mi9x",
  serviceId: "safework",
  title: "SafeWork: docker:safework-postgres down — container exited (137, OOMKilled)",
  level: 2,
  openedAt: opened,
  resolvedAt: null,
  members: [
    { checkId: "docker:safework-postgres", status: "down", reason: "container exited (137, OOMKilled)" as string | null, since: opened },
  ],
};
const ACK = "https://vigil.test/a/inc_safework_mi9x/ack?exp=1795960320&sig=abc";
const escalated = incidentEvent("incident.escalated", incident, config, opened + 12 * 60_000, {
  facts: { subject: "PostgreSQL", failedRecoveries: 3, reason: "3 automatic recoveries failed" },
  links: { acknowledge: ACK },
});
const resolved = incidentEvent("incident.resolved", { ...incident, resolvedAt: opened + 14 * 60_000 }, config, opened + 14 * 60_000, {
  facts: { subject: "PostgreSQL" },
});
const ctx = { timezone: "Asia/Seoul" };

describe("titles", () => {
  const view = (type: Parameters<typeof incidentEvent>[0], at: number, extra: Parameters<typeof incidentEvent>[4] = {}, inc = incident) =>
    incidentHeadline(incidentView(incidentEvent(type, inc, config, at, extra)));
  it.each([
    ["escalated with facts", incidentHeadline(incidentView(escalated)), "[L2] SafeWork: PostgreSQL down for 12 min, 3 recoveries failed"],
    [
      "opened just now, subject from members",
      view("incident.opened", opened + 5_000, {}, { ...incident, level: 1 }),
      "[L1] SafeWork: docker:safework-postgres down",
    ],
    [
      "one failed recovery",
      view("incident.opened", opened + 90 * 60_000, { facts: { failedRecoveries: 1 } }),
      "[L2] SafeWork: docker:safework-postgres down for 1 h 30 min, 1 recovery failed",
    ],
    [
      "acknowledged",
      view("incident.acknowledged", opened + 20 * 60_000, { facts: { acknowledgedBy: "kim" } }),
      "[L2 ACK] SafeWork: docker:safework-postgres down for 20 min, acknowledged by kim",
    ],
    ["reminder", view("incident.repeated", opened + 3 * 3_600_000), "[L2] SafeWork: docker:safework-postgres down for 3 h (reminder)"],
    ["resolved", incidentHeadline(incidentView(resolved)), "[RESOLVED] SafeWork: PostgreSQL recovered after 14 min"],
    [
      "many members",
      view(
        "incident.opened",
        opened + 60_000,
        {},
        { ...incident, members: ["a", "b", "c", "d"].map((c) => ({ checkId: c, status: "down", reason: null, since: opened })) },
      ),
      "[L2] SafeWork: a, b and 2 more down for 1 min",
    ],
  ])("%s", (_name, got, want) => expect(got).toBe(want));

  it("formats spans and local times (DST, half-hour zones)", () => {
    expect([formatSpan(59_000), formatSpan(12 * 60_000), formatSpan(25 * 3_600_000 + 60_000)]).toEqual(["<1 min", "12 min", "1 d 1 h"]);
    expect(formatLocalTime(opened, "Asia/Seoul")).toBe("2026-11-22 23:00 UTC+9");
    expect(formatLocalTime(opened, "Asia/Kolkata")).toBe("2026-11-22 19:30 UTC+5:30");
    expect(formatLocalTime(Date.parse("2026-07-01T12:00:00Z"), "America/New_York")).toBe("2026-07-01 08:00 UTC-4");
    expect(formatLocalTime(Date.parse("2026-12-01T12:00:00Z"), "America/New_York")).toBe("2026-12-01 07:00 UTC-5");
    expect(formatLocalTime(opened, "UTC")).toBe("2026-11-22 14:00 UTC");
  });
});

describe("exact bytes per channel", () => {
  it("Slack: Block Kit with acknowledge and view buttons", () => {
    const req = buildSlackRequest("https://hooks.slack.com/services/T/B/x", escalated, ctx);
    expect(req.method).toBe("POST");
    expect(req.headers).toEqual({ "content-type": "application/json; charset=utf-8" });
    expect(req.body).toBe(
      JSON.stringify({
        text: "[L2] SafeWork: PostgreSQL down for 12 min, 3 recoveries failed",
        blocks: [
          {
            type: "header",
            text: { type: "plain_text", text: "[L2] SafeWork: PostgreSQL down for 12 min, 3 recoveries failed", emoji: true },
          },
          {
            type: "section",
            fields: [
              { type: "mrkdwn", text: "*Service*\nSafeWork" },
              { type: "mrkdwn", text: "*Level*\nL2" },
              { type: "mrkdwn", text: "*Status*\nEscalated" },
              { type: "mrkdwn", text: "*Opened*\n2026-11-22 23:00 UTC+9" },
            ],
          },
          {
            type: "section",
            text: {
              type: "mrkdwn",
              text: "• docker:safework-postgres — down since 2026-11-22 23:00 UTC+9: container exited (137, OOMKilled)",
            },
          },
          { type: "context", elements: [{ type: "mrkdwn", text: "3 automatic recoveries failed" }] },
          {
            type: "actions",
            elements: [
              {
                type: "button",
                text: { type: "plain_text", text: "Acknowledge", emoji: true },
                style: "primary",
                url: ACK,
                action_id: "vigil_acknowledge",
              },
              {
                type: "button",
                text: { type: "plain_text", text: "View incident", emoji: true },
                url: "https://vigil.test/incidents/inc_safework_mi9x",
                action_id: "vigil_view",
              },
            ],
          },
          { type: "context", elements: [{ type: "mrkdwn", text: "Vigil · inc_safework_mi9x · 2026-11-22 23:12 UTC+9" }] },
        ],
      }),
    );
  });

  it("Slack: mrkdwn control characters in check reasons are escaped", () => {
    const ev = incidentEvent(
      "incident.opened",
      { ...incident, members: [{ checkId: "api", status: "down", reason: "<!channel> & <@U1>", since: opened }] },
      config,
      opened,
    );
    expect(buildSlackRequest("u", ev, ctx).body).toContain("&lt;!channel&gt; &amp; &lt;@U1&gt;");
  });

  it("PagerDuty: trigger with dedup_key = incident id; acknowledge and resolve carry only the key", () => {
    const pd = config.channels.find((c) => c.id === "pager")!;
    if (pd.type !== "pagerduty") throw new Error("config");
    expect(buildPagerdutyRequest(pd, "ROUTING", escalated, ctx)).toEqual({
      method: "POST",
      url: "https://events.pagerduty.com/v2/enqueue",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        routing_key: "ROUTING",
        event_action: "trigger",
        dedup_key: "inc_safework_mi9x",
        payload: {
          summary: "[L2] SafeWork: PostgreSQL down for 12 min, 3 recoveries failed",
          source: "safework",
          severity: "critical",
          timestamp: "2026-11-22T14:00:00.000Z",
          component: "docker:safework-postgres",
          group: "safework",
          class: "incident.escalated",
          custom_details: {
            level: 2,
            service: "SafeWork",
            opened: "2026-11-22 23:00 UTC+9",
            members: ["docker:safework-postgres — down since 2026-11-22 23:00 UTC+9: container exited (137, OOMKilled)"],
            failed_recoveries: 3,
            reason: "3 automatic recoveries failed",
          },
        },
        client: "Vigil",
        client_url: "https://vigil.test/incidents/inc_safework_mi9x",
        links: [
          { href: "https://vigil.test/incidents/inc_safework_mi9x", text: "View incident" },
          { href: ACK, text: "Acknowledge in Vigil" },
        ],
      }),
    });
    expect(pagerdutyEvent(pd, "ROUTING", resolved, ctx)).toEqual({
      routing_key: "ROUTING",
      event_action: "resolve",
      dedup_key: "inc_safework_mi9x",
    });
    const acked = incidentEvent("incident.acknowledged", incident, config, opened, { facts: { acknowledgedBy: "kim" } });
    expect(pagerdutyEvent(pd, "ROUTING", acked, ctx)).toEqual({
      routing_key: "ROUTING",
      event_action: "acknowledge",
      dedup_key: "inc_safework_mi9x",
    });
  });

  it("SMS: Twilio form body with basic auth; title and links within two segments", () => {
    const sms = config.channels.find((c) => c.id === "sms")!;
    if (sms.type !== "sms") throw new Error("config");
    const req = buildSmsRequest(sms, "TOKEN", escalated);
    expect(req.url).toBe("https://api.twilio.com/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json");
    expect(req.headers).toEqual({
      authorization: `Basic ${btoa("AC0123456789abcdef0123456789abcdef:TOKEN")}`,
      "content-type": "application/x-www-form-urlencoded",
    });
    expect(req.body).toBe(
      "To=%2B821012345678&From=%2B15005550006&Body=%5BL2%5D+SafeWork%3A+PostgreSQL+down+for+12+min%2C+3+recoveries+failed%0AAck%3A+https%3A%2F%2Fvigil.test%2Fa%2Finc_safework_mi9x%2Fack%3Fexp%3D1795960320%26sig%3Dabc%0Ahttps%3A%2F%2Fvigil.test%2Fincidents%2Finc_safework_mi9x",
    );
    const long = incidentEvent("incident.opened", { ...incident, members: [] }, config, opened, { facts: { subject: "x".repeat(600) } });
    expect(smsText(long).length).toBeLessThanOrEqual(306);
  });

  it("E-mail: Resend request with Idempotency-Key, subject = title, text and escaped HTML", () => {
    const mail = config.channels.find((c) => c.id === "mail")!;
    if (mail.type !== "email") throw new Error("config");
    const req = buildEmailRequest(mail, "re_KEY", "inc_safework_mi9x:3:mail:incident.resolved", resolved, ctx);
    expect(req.url).toBe("https://api.resend.com/emails");
    expect(req.headers).toEqual({
      authorization: "Bearer re_KEY",
      "content-type": "application/json",
      "idempotency-key": "inc_safework_mi9x:3:mail:incident.resolved",
    });
    expect(JSON.parse(req.body)).toEqual({
      from: "Vigil <alerts@vigil.test>",
      to: ["cto@safework.test"],
      subject: "[RESOLVED] SafeWork: PostgreSQL recovered after 14 min",
      text: [
        "[RESOLVED] SafeWork: PostgreSQL recovered after 14 min",
        "",
        "Service: SafeWork",
        "Level: L2",
        "Status: Resolved",
        "Opened: 2026-11-22 23:00 UTC+9",
        "Resolved: 2026-11-22 23:14 UTC+9",
        "Duration: 14 min",
        "",
        "Checks:",
        "  - docker:safework-postgres — down since 2026-11-22 23:00 UTC+9: container exited (137, OOMKilled)",
        "",
        "View incident: https://vigil.test/incidents/inc_safework_mi9x",
        "",
        "Vigil · inc_safework_mi9x",
      ].join("\n"),
      html: '<h2>[RESOLVED] SafeWork: PostgreSQL recovered after 14 min</h2><table><tr><th align="left">Service</th><td>SafeWork</td></tr><tr><th align="left">Level</th><td>L2</td></tr><tr><th align="left">Status</th><td>Resolved</td></tr><tr><th align="left">Opened</th><td>2026-11-22 23:00 UTC+9</td></tr><tr><th align="left">Resolved</th><td>2026-11-22 23:14 UTC+9</td></tr><tr><th align="left">Duration</th><td>14 min</td></tr></table><ul><li>docker:safework-postgres — down since 2026-11-22 23:00 UTC+9: container exited (137, OOMKilled)</li></ul><p><a href="https://vigil.test/incidents/inc_safework_mi9x">View incident</a></p><p style="color:#666">Vigil · inc_safework_mi9x</p>',
    });
    // The acknowledge link is not offered once the incident is resolved.
    expect(req.body).not.toContain("/ack?");
  });

  it("Discord and Teams: title, links, no mentions", () => {
    const discord = JSON.parse(buildDiscordRequest("u", escalated, ctx).body);
    expect(discord.allowed_mentions).toEqual({ parse: [] });
    expect(discord.embeds[0]).toMatchObject({
      title: "[L2] SafeWork: PostgreSQL down for 12 min, 3 recoveries failed",
      url: "https://vigil.test/incidents/inc_safework_mi9x",
      color: 0xe8710a,
      timestamp: "2026-11-22T14:12:00.000Z",
    });
    expect(discord.embeds[0].description).toContain(`[Acknowledge](${ACK})`);
    const teams = JSON.parse(buildTeamsRequest("u", escalated, ctx).body);
    expect(teams.attachments[0].content.actions).toEqual([
      { type: "Action.OpenUrl", title: "Acknowledge", url: ACK },
      { type: "Action.OpenUrl", title: "View incident", url: "https://vigil.test/incidents/inc_safework_mi9x" },
    ]);
  });

  it("Statuspage: PATCH component with OAuth key", () => {
    expect(
      buildStatuspageRequest({ url: "https://api.statuspage.io/v1", pageId: "kctbh9vrtdwd" }, "KEY", "cmpapi0001", "partial_outage"),
    ).toEqual({
      method: "PATCH",
      url: "https://api.statuspage.io/v1/pages/kctbh9vrtdwd/components/cmpapi0001",
      headers: { authorization: "OAuth KEY", "content-type": "application/json" },
      body: '{"component":{"status":"partial_outage"}}',
    });
  });
});

describe("component status from monitor state", () => {
  it.each([
    [["up", "up"], "operational"],
    [["up", "degraded"], "degraded_performance"],
    [["down", "up"], "partial_outage"],
    [["down", "degraded"], "partial_outage"],
    [["down", "down"], "major_outage"],
    [["down", "unknown"], "major_outage"],
    [["unknown"], "operational"],
    [[], "operational"],
  ])("%j → %s", (statuses, want) => expect(componentStatus(statuses)).toBe(want));
});

describe("messages for the escalation and evaluator hooks", () => {
  it("pageMessages: one message per distinct channel of the levels, occurrence key + channel, same payload", () => {
    const msgs = pageMessages(
      { event: "incident.resolved", levels: [1, 2], level: 2, key: "inc_safework_mi9x:incident.resolved:L2:0.1", reason: null },
      {
        ...incident,
        members: { "docker:safework-postgres": { status: "up", reason: null, since: opened + 60_000 } },
        failedRecoveries: { "docker:safework-postgres": 2, other: 1 },
      },
      config,
      opened + 60_000,
    );
    expect(msgs.map((m) => [m.channelId, m.key])).toEqual([
      ["slack", "inc_safework_mi9x:incident.resolved:L2:0.1:slack"],
      ["sms", "inc_safework_mi9x:incident.resolved:L2:0.1:sms"],
      ["pager", "inc_safework_mi9x:incident.resolved:L2:0.1:pager"],
    ]);
    expect(msgs[0]!.event).toBe(msgs[2]!.event);
    expect((msgs[0]!.event.data.incident as { facts: unknown }).facts).toEqual({ failedRecoveries: 3 });
  });

  it("stateChangeMessages: status pages that follow the check and webhooks that asked for state changes", () => {
    const msgs = stateChangeMessages(
      config,
      { checkId: "api-eu", serviceId: "safework", from: "up", to: "down", reason: "timeout", at: opened },
      opened + 1,
    );
    expect(msgs.map((m) => m.key)).toEqual([`state:api-eu:${opened}:status`, `state:api-eu:${opened}:hook`]);
    expect(msgs[0]!.event).toEqual({
      type: "monitor.state_changed",
      timestamp: "2026-11-22T14:00:00.001Z",
      data: {
        check: {
          id: "api-eu",
          service: { id: "safework", name: "SafeWork" },
          from: "up",
          to: "down",
          reason: "timeout",
          at: "2026-11-22T14:00:00.000Z",
        },
      },
    });
    expect(
      stateChangeMessages(
        { ...config, channels: config.channels.filter((c) => c.type !== "webhook") },
        { checkId: "other", from: "up", to: "down", reason: null, at: opened },
        opened,
      ),
    ).toEqual([]);
  });
});

describe("config", () => {
  it("refuses a status page in a policy level, an unknown digest channel and inline credential URLs, naming each path", () => {
    expect(() =>
      parseConfig(
        {
          services: [{ id: "s", name: "S", policy: "p" }],
          channels: [
            {
              id: "status",
              type: "statuspage",
              pageId: "kctbh9vrtdwd",
              apiKey: { env: "SP" },
              components: [{ component: "cmpapi0001", checks: ["a"] }],
            },
            { id: "slack", type: "slack", url: "https://hooks.slack.com/services/T/B/secret" as never },
          ],
          policies: [{ id: "p", levels: [{ channels: ["status"] }] }],
          digest: { channel: "nope", at: "25:00" },
        },
        {},
        { checkSecrets: false },
      ),
    ).toThrowError(
      expect.objectContaining({
        issues: expect.arrayContaining([
          expect.stringMatching(/^channels\[1\]\.url: /),
          expect.stringMatching(/^digest\.at: expected a 24-hour time/),
          expect.stringMatching(/^policies\[0\]\.levels\[0\]\.channels\[0\]: channel "status" is a statuspage channel/),
          expect.stringMatching(/^digest\.channel: unknown channel "nope"/),
        ]),
      }),
    );
  });
});
