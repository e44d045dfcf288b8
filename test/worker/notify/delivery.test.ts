/**
 * Delivery semantics under failure injection, on a simulated queue clock: 500s, timeouts,
 * 429 with Retry-After and a provider down for several minutes end with every notification
 * delivered exactly once, in order per incident; duplicates of a queue message send once;
 * the retry budget ends in a dead letter visible in the API and on the incident timeline.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { VigilConfig } from "../../../src/config";
import { HOLD_LIMIT_MS } from "../../../src/notify/consumer";
import { backoffSeconds, DELIVERY, retryDelaySeconds } from "../../../src/notify/outcome";
import { createApp } from "../../../src/routes/app";
import { SimQueue, incidentMessages, notifyConfig, providers, type Providers } from "./harness";

let p: Providers;
let config: VigilConfig;
beforeAll(async () => {
  p = await providers();
  config = notifyConfig(p);
});

const MIN = 60;

describe("backoff", () => {
  it("doubles from 5 s with equal jitter, capped at 10 min; Retry-After wins within 12 h", () => {
    const lo = () => 0;
    const hi = () => 0.999999;
    expect([1, 2, 3, 4, 8, 9, 15].map((a) => [backoffSeconds(a, lo), backoffSeconds(a, hi)])).toEqual([
      [3, 5],
      [5, 10],
      [10, 20],
      [20, 40],
      [300, 600],
      [300, 600],
      [300, 600],
    ]);
    expect(retryDelaySeconds({ retryAfterSeconds: 30 }, 1, lo)).toBe(30);
    expect(retryDelaySeconds({ retryAfterSeconds: 10 ** 9 }, 1, lo)).toBe(DELIVERY.maxRetryAfterSeconds);
    // The budget spans a real outage even with the smallest jitter every time.
    let total = 0;
    for (let a = 1; a < DELIVERY.maxAttempts; a++) total += backoffSeconds(a, lo);
    expect(total).toBeGreaterThan(40 * MIN);
  });
});

describe("failure injection on a simulated clock", () => {
  it("a provider down for 7 minutes (500s, then 429 Retry-After, then timeouts): every page arrives once, in order per incident", async () => {
    await Promise.all([p.slack.reset(), p.pagerduty.reset()]);
    const sim = new SimQueue(p.secretEnv);
    const lifecycle = ["incident.opened", "incident.escalated", "incident.acknowledged", "incident.resolved"] as const;
    const all = [];
    for (const id of ["inc_down_a", "inc_down_b"]) {
      // L1 Slack and L2 PagerDuty for every event; the escalation repeats are left out.
      const batches = await incidentMessages(config, id, [...lifecycle], { levels: [1, 2], level: 2 });
      all.push(...batches.flat().filter((m) => m.channelId === "slack" || m.channelId === "pager"));
    }
    // Worst case for ordering: the queue hands them over newest first.
    for (const m of [...all].reverse()) sim.push(m);

    const phases: [number, Parameters<typeof p.slack.outage>[0]][] = [
      [0, { status: 500 }],
      [3 * MIN, { status: 429, headers: { "retry-after": "45" } }],
      [6 * MIN, { status: 200, delayMs: 2_200 }], // answers after the 2 s timeout
      [7 * MIN, null],
    ];
    let phase = -1;
    await sim.drain(config, {
      before: async (t) => {
        const next = phases.findLastIndex(([from]) => t >= from);
        if (next !== phase) {
          phase = next;
          await Promise.all([p.slack.outage(phases[next]![1]), p.pagerduty.outage(phases[next]![1])]);
        }
      },
    });

    // Exactly once: one delivered row per key, and what the providers saw.
    for (const m of all) {
      const n = await env.DB.prepare("SELECT COUNT(*) AS n FROM deliveries WHERE idempotency_key = ? AND outcome = 'delivered'")
        .bind(m.key)
        .first<{ n: number }>();
      expect(n!.n, m.key).toBe(1);
    }
    const accepted = (await p.slack.requests()).filter((r) => !r.injected);
    expect(accepted).toHaveLength(8);
    const pd = await p.pagerduty.state();
    for (const id of ["inc_down_a", "inc_down_b"]) {
      // In order: PagerDuty saw the lifecycle exactly as it happened.
      expect(pd.alerts[id]).toMatchObject({ actions: ["trigger", "trigger", "acknowledge", "resolve"], status: "resolved", opened: 1 });
    }
    const slackOrder = accepted
      .map((r) => JSON.parse(r.body))
      .map((b) => [b.blocks.at(-1).elements[0].text.split(" · ")[1], b.text.slice(0, 10)]);
    for (const id of ["inc_down_a", "inc_down_b"]) {
      expect(slackOrder.filter(([i]) => i === id).map(([, t]) => t)).toEqual(["[L2] SafeW", "[L2] SafeW", "[L2 ACK] S", "[RESOLVED]"]);
    }
    // Nothing got through during the outage, and the 429's Retry-After was honoured.
    const firstAccepted = Math.min(...sim.trace.filter((t) => t.result === "ack").map((t) => t.t));
    expect(firstAccepted).toBeGreaterThanOrEqual(7 * MIN);
    expect(sim.trace.filter((t) => t.result === "retry" && t.t >= 3 * MIN && t.t < 6 * MIN).every((t) => t.delay === 45)).toBe(true);
    // Every failed attempt is in the log with its reason.
    const errors = (
      await env.DB.prepare(
        "SELECT DISTINCT http_status, error FROM deliveries WHERE incident_id LIKE 'inc_down_%' AND outcome = 'retry' ORDER BY http_status",
      ).all()
    ).results;
    expect(errors).toEqual(
      expect.arrayContaining([
        { http_status: null, error: "no answer within 2s" },
        { http_status: 429, error: "receiver answered 429" },
        { http_status: 500, error: "receiver answered 500" },
      ]),
    );
  }, 90_000);

  it("two copies of one queue message (at-least-once delivery) send once", async () => {
    await p.slack.reset();
    const sim = new SimQueue(p.secretEnv);
    const [[msg]] = await incidentMessages(config, "inc_dup", ["incident.opened"]);
    sim.push(msg!);
    sim.push(msg!);
    await sim.drain(config);
    sim.push(msg!); // redelivered much later
    await sim.drain(config);
    expect((await p.slack.state()).messages).toHaveLength(1);
  });

  it("a permanent refusal is not retried and does not block the next notification", async () => {
    await p.slack.reset();
    const sim = new SimQueue(p.secretEnv);
    const [[opened], [resolved]] = await incidentMessages(config, "inc_perm", ["incident.opened", "incident.resolved"]);
    await p.slack.script({ status: 400, body: "invalid_blocks" });
    sim.push(resolved!);
    sim.push(opened!);
    await sim.drain(config);
    const rows = (await env.DB.prepare("SELECT event_type, outcome FROM deliveries WHERE incident_id = 'inc_perm' ORDER BY id").all())
      .results;
    expect(rows).toEqual([
      { event_type: "incident.opened", outcome: "failed" },
      { event_type: "incident.resolved", outcome: "delivered" },
    ]);
  });

  it("waits behind an earlier notification at most HOLD_LIMIT_MS (a message lost outside Vigil cannot block an incident)", async () => {
    await p.slack.reset();
    const sim = new SimQueue(p.secretEnv);
    const [, [resolved]] = await incidentMessages(config, "inc_lost", ["incident.opened", "incident.resolved"]);
    // The opened message never reaches the queue; the resolved one has been waiting for too long.
    sim.push({ ...resolved!, heldSince: Date.now() - HOLD_LIMIT_MS - 1 });
    await sim.drain(config);
    expect((await p.slack.state()).messages.map((m: { text: string }) => m.text.slice(0, 10))).toEqual(["[RESOLVED]"]);
    // Without the limit it would still be waiting.
    const fresh = new SimQueue(p.secretEnv);
    const [, [resolved2]] = await incidentMessages(config, "inc_lost_2", ["incident.opened", "incident.resolved"]);
    fresh.push(resolved2!);
    await fresh.drain(config, { limitSeconds: 60 });
    expect(fresh.trace.every((t) => t.result === "held")).toBe(true);
    expect(fresh.size).toBe(1);
  });

  it("after the retry budget a notification is dead: in the delivery log, the API and the incident timeline", async () => {
    await p.slack.reset();
    await p.slack.outage({ status: 503 });
    const sim = new SimQueue(p.secretEnv);
    const [[msg]] = await incidentMessages(config, "inc_dead", ["incident.opened"]);
    sim.push(msg!);
    try {
      await sim.drain(config);
    } finally {
      await p.slack.outage(null);
    }
    const attempts = sim.trace.filter((t) => t.key === msg!.key && t.result !== "held");
    expect(attempts).toHaveLength(DELIVERY.maxAttempts);
    expect(attempts.at(-1)!.t).toBeGreaterThan(40 * MIN); // a real outage's worth of retrying
    const rows = (
      await env.DB.prepare("SELECT attempt, outcome FROM deliveries WHERE idempotency_key = ? ORDER BY id").bind(msg!.key).all()
    ).results;
    expect(rows.at(-1)).toEqual({ attempt: DELIVERY.maxAttempts, outcome: "dead" });
    expect(rows.filter((r) => r.outcome === "retry")).toHaveLength(DELIVERY.maxAttempts - 1);

    const app = createApp();
    const get = async (path: string) => {
      const res = await app.fetch(
        new Request(`http://vigil.test${path}`, { headers: { authorization: `Bearer ${env.VIGIL_ADMIN_TOKEN}` } }),
        env,
      );
      return { status: res.status, body: (await res.json()) as any };
    };
    const dead = await get("/v1/deliveries?status=dead&incident=inc_dead");
    expect(dead.status).toBe(200);
    expect(dead.body.deliveries).toEqual([
      expect.objectContaining({
        key: msg!.key,
        incident: "inc_dead",
        channel: "slack",
        event: "incident.opened",
        attempt: DELIVERY.maxAttempts,
        status: "dead",
        httpStatus: 503,
        error: "receiver answered 503",
      }),
    ]);
    expect((await get("/v1/deliveries?status=lost")).body.error).toEqual({
      code: "invalid_query",
      message: 'status: expected one of delivered, retry, failed, dead, got "lost"',
    });
    const page = await get("/v1/deliveries?incident=inc_dead&limit=10");
    expect(page.body.deliveries).toHaveLength(10);
    const rest = await get(`/v1/deliveries?incident=inc_dead&limit=10&before=${page.body.next}`);
    expect(rest.body.deliveries).toHaveLength(DELIVERY.maxAttempts - 10);

    const incident = await get("/v1/incidents/inc_dead");
    expect(incident.body.incident.timeline).toEqual([
      expect.objectContaining({
        type: "notification.dead_lettered",
        channel: "slack",
        event: "incident.opened",
        attempts: DELIVERY.maxAttempts,
        error: "receiver answered 503",
      }),
    ]);
  });

  it("the runtime's own dead-letter queue (max_retries backstop) is recorded once, and not for a delivered key", async () => {
    const sim = new SimQueue(p.secretEnv, 0); // every message goes straight to the DLQ consumer
    const [[a], [b]] = await incidentMessages(config, "inc_dlq", ["incident.opened", "incident.resolved"]);
    await env.DB.prepare(
      "INSERT INTO deliveries (idempotency_key, incident_id, channel_id, event_type, attempt, outcome, at) VALUES (?, 'inc_dlq', 'slack', 'incident.resolved', 1, 'delivered', 0)",
    )
      .bind(b!.key)
      .run();
    sim.push(a!);
    sim.push(b!);
    sim.push(a!);
    await sim.drain(config);
    const rows = (await env.DB.prepare("SELECT event_type, outcome, error FROM deliveries WHERE incident_id = 'inc_dlq' ORDER BY id").all())
      .results;
    expect(rows).toEqual([
      { event_type: "incident.resolved", outcome: "delivered", error: null },
      { event_type: "incident.opened", outcome: "dead", error: "retries exhausted" },
    ]);
  });
});
