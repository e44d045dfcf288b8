/**
 * Every channel against a loopback server that speaks its provider's API and checks the request
 * shape; the consumer runs for real (simulated queue clock). PagerDuty's dedup_key lifecycle,
 * Statuspage components following monitor state, error classification, no secret anywhere.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { VigilConfig } from "../../../src/config";
import { stateChangeMessages } from "../../../src/notify/event";
import { ACCOUNT_SID, SECRETS, SimQueue, incidentMessages, notifyConfig, providers, storedText, type Providers } from "./harness";

let p: Providers;
let config: VigilConfig;
beforeAll(async () => {
  p = await providers();
  config = notifyConfig(p);
});

const deliveredCount = async (key: string) =>
  (await env.DB.prepare("SELECT COUNT(*) AS n FROM deliveries WHERE idempotency_key = ? AND outcome = 'delivered'")
    .bind(key)
    .first<{ n: number }>())!.n;

describe("each provider's request shape, through the consumer", () => {
  it("opened → acknowledged → resolved reaches all seven kinds of receiver, accepted as sent", async () => {
    const sim = new SimQueue(p.secretEnv);
    const batches = await incidentMessages(config, "inc_shape_1", ["incident.opened", "incident.acknowledged", "incident.resolved"], {
      levels: [1, 2, 3],
      level: 3,
    });
    for (const m of batches.flat()) sim.push(m);
    await sim.drain(config);

    for (const kind of ["slack", "pagerduty", "twilio", "resend", "discord", "teams"] as const) {
      const reqs = await p[kind].requests();
      expect(
        reqs.filter((r) => r.problems),
        `${kind} refused a request`,
      ).toEqual([]);
      expect(
        reqs.map((r) => r.status).every((s) => s < 300),
        kind,
      ).toBe(true);
    }
    const slack = await p.slack.state();
    expect(slack.messages.map((m: { text: string }) => m.text)).toEqual([
      "[L3] SafeWork: docker:safework-postgres down for 5 min",
      "[L3 ACK] SafeWork: docker:safework-postgres down for 10 min, acknowledged by kim",
      "[RESOLVED] SafeWork: docker:safework-postgres recovered after 15 min",
    ]);
    const pd = await p.pagerduty.state();
    expect(pd.alerts.inc_shape_1).toMatchObject({
      status: "resolved",
      actions: ["trigger", "acknowledge", "resolve"],
      opened: 1,
      severity: "critical",
    });
    const sms = await p.twilio.state();
    expect(sms.messages.map((m: { To: string; From: string }) => [m.To, m.From])).toEqual(Array(3).fill(["+821012345678", "+15005550006"]));
    expect(sms.messages[0].Body).toBe(
      "[L3] SafeWork: docker:safework-postgres down for 5 min\nAck: https://vigil.test/a/inc_shape_1/ack?exp=1&sig=s\nhttps://vigil.test/incidents/inc_shape_1",
    );
    const mail = await p.resend.state();
    expect(mail.emails.map((e: { to: string[]; idempotencyKey: string }) => [e.to, e.idempotencyKey])).toEqual(
      batches.map((b) => [["cto@safework.test", "ops-lead@safework.test"], b.find((m) => m.channelId === "leaders")!.key]),
    );
    expect((await p.discord.state()).messages).toHaveLength(3);
    expect((await p.teams.state()).cards).toHaveLength(3);
    for (const m of batches.flat()) expect(await deliveredCount(m.key)).toBe(1);
  });

  it("PagerDuty: an answer lost to a timeout is retried with the same dedup_key — one alert, not two", async () => {
    await p.pagerduty.reset();
    const sim = new SimQueue(p.secretEnv);
    const opened = (await incidentMessages(config, "inc_pd_lost", ["incident.opened"], { levels: [2], level: 2 }))[0].find(
      (m) => m.channelId === "pager",
    );
    await p.pagerduty.script({ status: 202, delayMs: 2_500, process: true }); // processed, answer after the 2 s timeout
    sim.push(opened!);
    await sim.drain(config);
    const pd = await p.pagerduty.state();
    expect(pd.alerts.inc_pd_lost).toMatchObject({ status: "triggered", actions: ["trigger", "trigger"], opened: 1 });
    const rows = await env.DB.prepare("SELECT attempt, outcome, error FROM deliveries WHERE idempotency_key = ? ORDER BY id")
      .bind(opened!.key)
      .all();
    expect(rows.results).toEqual([
      { attempt: 1, outcome: "retry", error: "no answer within 2s" },
      { attempt: 2, outcome: "delivered", error: null },
    ]);
  });

  it("Statuspage: components follow monitor state — partial, major, operational", async () => {
    const sim = new SimQueue(p.secretEnv);
    const set = (id: string, status: string) =>
      env.DB.prepare(
        "INSERT INTO check_state (check_id, status, since, updated_at) VALUES (?1, ?2, 0, 0) ON CONFLICT (check_id) DO UPDATE SET status = ?2",
      )
        .bind(id, status)
        .run();
    const change = async (id: string, from: string, to: string, at: number) => {
      await set(id, to);
      for (const m of stateChangeMessages(config, { checkId: id, serviceId: "safework", from, to, reason: null, at }, at)) sim.push(m);
      await sim.drain(config);
    };
    await set("api-us", "up");
    await change("api-eu", "up", "down", 1);
    await change("api-us", "up", "down", 2);
    await change("api-eu", "down", "up", 3);
    await change("api-us", "down", "degraded", 4);
    await change("api-us", "degraded", "up", 5);
    await change("docker:safework-postgres", "up", "down", 6);
    const state = await p.statuspage.state();
    expect(state.components.cmpapi0001.history).toEqual([
      "partial_outage",
      "major_outage",
      "partial_outage",
      "degraded_performance",
      "operational",
    ]);
    expect(state.components.cmpdb00001.history).toEqual(["major_outage"]);
    expect((await p.statuspage.requests()).filter((r) => r.problems)).toEqual([]);
  });
});

describe("answers are classified once for every channel", () => {
  it.each([
    ["500 → retried", { status: 500 }, "retry", 500],
    ["503 → retried", { status: 503 }, "retry", 503],
    ["429 Retry-After: 7 → retried after 7 s", { status: 429, headers: { "retry-after": "7" } }, "retry", 429],
    ["404 → failed for good", { status: 404, body: "no_service" }, "failed", 404],
    ["400 → failed for good", { status: 400, body: "invalid_blocks" }, "failed", 400],
  ])("Slack %s", async (name, answer, outcome, httpStatus) => {
    await p.slack.reset();
    const sim = new SimQueue(p.secretEnv);
    const id = `inc_cls_${name.slice(0, 3)}`;
    const [[msg]] = await incidentMessages(config, id, ["incident.opened"]);
    await p.slack.script(answer);
    sim.push(msg!);
    await sim.drain(config);
    const first = await env.DB.prepare("SELECT outcome, http_status, error FROM deliveries WHERE idempotency_key = ? ORDER BY id LIMIT 1")
      .bind(msg!.key)
      .first<{ outcome: string; http_status: number; error: string }>();
    expect(first).toMatchObject({ outcome, http_status: httpStatus });
    if ("body" in answer) expect(first!.error).toBe(`receiver answered ${httpStatus}: ${answer.body}`);
    if ("headers" in answer)
      expect(
        sim.trace.find((t) => t.result === "retry"),
        JSON.stringify(sim.trace),
      ).toMatchObject({ delay: 7 });
    expect(await deliveredCount(msg!.key)).toBe(outcome === "retry" ? 1 : 0);
  });

  it("refused requests name the provider's reason and never a secret", async () => {
    const wrong = notifyConfig(p, {});
    const sim = new SimQueue({
      ...p.secretEnv,
      PD_ROUTING_KEY: "WRONGkey0123456789abcdefABCDEF00",
      TWILIO_AUTH_TOKEN: "wrong-token-0123456789",
      RESEND_API_KEY: "re_wrong_0123456789",
    });
    const batches = await incidentMessages(wrong, "inc_refused", ["incident.opened"], { levels: [2, 3], level: 3 });
    for (const m of batches.flat()) sim.push(m);
    await sim.drain(wrong);
    const rows = (
      await env.DB.prepare(
        "SELECT channel_id, outcome, http_status, error FROM deliveries WHERE incident_id = 'inc_refused' ORDER BY channel_id",
      ).all()
    ).results;
    expect(rows).toEqual([
      {
        channel_id: "leaders",
        outcome: "failed",
        http_status: 403,
        error: 'receiver answered 403: {"statusCode":403,"name":"invalid_api_key","message":"API key is invalid"}',
      },
      {
        channel_id: "oncall-sms",
        outcome: "failed",
        http_status: 401,
        error: 'receiver answered 401: {"code":20003,"message":"Authenticate","more_info":"https://www.twilio.com/…","status":401}',
      },
      {
        channel_id: "pager",
        outcome: "failed",
        http_status: 400,
        error: expect.stringContaining("routing_key: not this integration's key"),
      },
    ]);
    const text = JSON.stringify(rows);
    for (const s of ["WRONGkey0123456789abcdefABCDEF00", "wrong-token-0123456789", "re_wrong_0123456789", ACCOUNT_SID])
      expect(text).not.toContain(s);
  });

  it("a network error names no secret URL", async () => {
    const cfg = notifyConfig(p);
    const sim = new SimQueue({ ...p.secretEnv, SLACK_WEBHOOK_URL: `http://127.0.0.1:1/services/T000/B000/${SECRETS.SLACK_TOKEN}` });
    const [[msg]] = await incidentMessages(cfg, "inc_neterr", ["incident.opened"]);
    sim.push(msg!);
    await sim.drain(cfg, { limitSeconds: 0 });
    const row = await env.DB.prepare("SELECT outcome, error FROM deliveries WHERE idempotency_key = ?")
      .bind(msg!.key)
      .first<{ outcome: string; error: string }>();
    expect(row!.outcome).toBe("retry");
    expect(row!.error).not.toContain(SECRETS.SLACK_TOKEN);
  });
});

describe("no secret in a payload, the queue, D1 or a log", () => {
  it("secrets appear only where the provider needs them (auth header, PagerDuty routing_key)", async () => {
    const logged: string[] = [];
    const orig = { log: console.log, error: console.error, warn: console.warn };
    for (const k of ["log", "error", "warn"] as const) console[k] = (...args: unknown[]) => void logged.push(args.map(String).join(" "));
    try {
      await p.slack.outage({ status: 500 });
      const sim = new SimQueue(p.secretEnv);
      const batches = await incidentMessages(config, "inc_secrets", ["incident.opened", "incident.resolved"], {
        levels: [1, 2, 3],
        level: 3,
      });
      for (const m of batches.flat()) sim.push(m);
      await sim.drain(config, { limitSeconds: 60, before: async (t) => (t > 30 ? p.slack.outage(null) : undefined) });
      await sim.drain(config);
    } finally {
      Object.assign(console, orig);
      await p.slack.outage(null);
    }
    const values = [...Object.values(SECRETS), p.secretEnv.HOOK_SECRET!];
    const stored = await storedText();
    for (const s of values) {
      expect(stored).not.toContain(s);
      expect(logged.join("\n")).not.toContain(s);
    }
    // Bodies sent to providers: the only secret is PagerDuty's routing_key field.
    for (const kind of ["slack", "pagerduty", "twilio", "resend", "discord", "teams"] as const) {
      for (const r of await p[kind].requests()) {
        const body = kind === "pagerduty" ? JSON.stringify({ ...JSON.parse(r.body), routing_key: undefined }) : r.body;
        for (const s of values) expect(body, `${kind} body`).not.toContain(s);
      }
    }
  });
});
