/**
 * The daily digest: yesterday's window in the configured time zone (DST included), the report
 * built from D1 facts, queued once at the configured local time by the cron hook, and delivered
 * through the same queue to a Slack receiver that checks the Block Kit shape. Where the
 * certificate and disk facts come from (probe batches, agent reports) is in digest-sources.test.ts.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { VigilConfig } from "../../../src/config";
import { buildDigest, diskTrend, digestText, type DigestInput } from "../../../src/notify/digest";
import { addDays, digestWindow, queueDailyDigest } from "../../../src/notify/digest-source";
import { SimQueue, notifyConfig, providers, type Providers } from "./harness";

const H = 3_600_000;

describe("digest window", () => {
  it.each([
    ["Seoul, 09:00 on the 22nd", "2026-11-22T00:00:00Z", "Asia/Seoul", "2026-11-21", "2026-11-20T15:00:00.000Z", 24],
    ["New York, the day DST ended (25 h)", "2026-11-02T14:00:00Z", "America/New_York", "2026-11-01", "2026-11-01T04:00:00.000Z", 25],
    ["New York, the day DST began (23 h)", "2026-03-09T14:00:00Z", "America/New_York", "2026-03-08", "2026-03-08T05:00:00.000Z", 23],
    ["UTC just after midnight", "2026-11-22T00:00:01Z", "UTC", "2026-11-21", "2026-11-21T00:00:00.000Z", 24],
  ])("%s", (_name, now, tz, date, from, hours) => {
    const w = digestWindow(Date.parse(now), tz);
    expect({ date: w.date, from: new Date(w.from).toISOString(), hours: (w.to - w.from) / H }).toEqual({ date, from, hours });
  });
});

describe("digest report", () => {
  const from = Date.parse("2026-11-20T15:00:00Z");
  const input: DigestInput = {
    date: "2026-11-21",
    from,
    to: from + 24 * H,
    timezone: "Asia/Seoul",
    certificateDays: 30,
    slowest: 2,
    diskWarnPct: 80,
    diskCriticalPct: 90,
    services: [
      {
        id: "safework",
        name: "SafeWork",
        rollups: [
          { check: "api", count: 1440, failures: 12, avgMs: 180.4, p95Ms: 420 },
          { check: "web", count: 1440, failures: 0, avgMs: 95, p95Ms: 160 },
          { check: "agent:app-01:postgres", count: 2880, failures: 0, avgMs: 4, p95Ms: 9 },
        ],
        incidents: [{ id: "inc_1", title: "SafeWork: api down", level: 2, openedAt: from + 2 * H, resolvedAt: from + 2 * H + 12 * 60_000 }],
        certificates: [
          { check: "tls-api", host: "api.safework.test", notAfter: from + 12 * 24 * H, daysLeft: 12 },
          { check: "tls-web", host: "safework.test", notAfter: from + 80 * 24 * H, daysLeft: 80 },
        ],
        agents: [
          { id: "app-01", hostname: "app-01", version: "1.2.0", lastSeen: from + 23 * H, silentSince: null },
          { id: "app-02", hostname: null, version: null, lastSeen: from - 48 * H, silentSince: from - 47 * H },
        ],
        disk: [
          { agent: "app-02", mount: "/var", maxPct: 12, lastPct: 12, base: null },
          { agent: "app-01", mount: "/data", maxPct: 91, lastPct: 91, base: { day: "2026-11-18", lastPct: 92.5 } },
          { agent: "app-01", mount: "/", maxPct: 86, lastPct: 84.5, base: { day: "2026-11-14", lastPct: 76.1 } },
          { agent: "app-02", mount: "/", maxPct: 40, lastPct: 40, base: { day: "2026-11-14", lastPct: 40.2 } },
          { agent: "app-03", mount: "/", maxPct: 97, lastPct: 97, base: { day: "2026-11-20", lastPct: 92 } },
          { agent: "app-03", mount: "/slow", maxPct: 50, lastPct: 50, base: { day: "2026-11-14", lastPct: 49.6 } },
        ],
      },
    ],
  };

  it("uptime, incidents, slowest checks, certificates within 30 days, agents seen, disk trend", () => {
    expect(digestText(buildDigest(input))).toEqual({
      title: "Vigil daily digest — 2026-11-21",
      sections: [
        {
          heading: "SafeWork",
          lines: [
            "Uptime: 99.792% (5760 checks run)",
            "Incidents: 1",
            "  • [L2] SafeWork: api down — 2026-11-21 02:00 UTC+9, 12 min",
            "Slowest: api 180 ms (p95 420 ms), web 95 ms (p95 160 ms)",
            "Certificates expiring: api.safework.test in 12 d",
            "Agents: app-01 seen (v1.2.0), app-02 NOT seen",
            "Disk (yesterday vs 7 days before):",
            "  • app-01 /: 84.5% (peak 86%) WARN, +1.2 pp/day over 7 d (from 76.1%), full in ~12 d",
            "  • app-01 /data: 91% CRITICAL, -0.5 pp/day over 3 d (from 92.5%)",
            "  • app-02 /: 40%, flat over 7 d (from 40.2%)",
            "  • app-02 /var: 12%, no earlier day to compare",
            "  • app-03 /: 97% CRITICAL, +5.0 pp/day over 1 d (from 92%), full within a day",
            "  • app-03 /slow: 50%, +0.1 pp/day over 7 d (from 49.6%)",
          ],
        },
      ],
    });
  });

  it("disk trend: percentage points per day, days to full while growing (within a year), thresholds at or above", () => {
    const t = { warnPct: 80, criticalPct: 90 };
    expect(
      diskTrend({ agent: "a", mount: "/", maxPct: 80, lastPct: 79, base: { day: "2026-11-14", lastPct: 72 } }, "2026-11-21", t),
    ).toEqual({
      agent: "a",
      mount: "/",
      maxPct: 80,
      lastPct: 79,
      base: { day: "2026-11-14", lastPct: 72 },
      days: 7,
      ppPerDay: 1,
      daysToFull: 21,
      level: "warn",
    });
    expect(
      diskTrend({ agent: "a", mount: "/", maxPct: 90, lastPct: 90, base: { day: "2026-11-14", lastPct: 89.9 } }, "2026-11-21", t),
    ).toMatchObject({ ppPerDay: 0, daysToFull: null, level: "critical" });
    expect(
      diskTrend({ agent: "a", mount: "/", maxPct: 60, lastPct: 60, base: { day: "2026-11-14", lastPct: 46 } }, "2026-11-21", t),
    ).toMatchObject({ ppPerDay: 2, daysToFull: 20, level: "ok" });
    // 0.1 pp/day from 30 %: 700 days, beyond a year: no projection.
    expect(
      diskTrend({ agent: "a", mount: "/", maxPct: 30, lastPct: 30, base: { day: "2026-11-14", lastPct: 29.3 } }, "2026-11-21", t),
    ).toMatchObject({ ppPerDay: 0.1, daysToFull: null });
    expect(diskTrend({ agent: "a", mount: "/", maxPct: 5, lastPct: 5, base: null }, "2026-11-21", t)).toMatchObject({
      days: null,
      ppPerDay: null,
      daysToFull: null,
      level: "ok",
    });
    expect([addDays("2026-11-21", -7), addDays("2026-03-01", -1), addDays("2026-12-31", 1)]).toEqual([
      "2026-11-14",
      "2026-02-28",
      "2027-01-01",
    ]);
  });

  it("a quiet day without data says so", () => {
    const quiet = buildDigest({
      ...input,
      services: [{ id: "x", name: "X", rollups: [], incidents: [], certificates: [], agents: [], disk: [] }],
    });
    expect(digestText(quiet).sections[0]!.lines).toEqual(["Uptime: no data (0 checks run)", "Incidents: none"]);
  });
});

describe("daily digest through the cron hook", () => {
  let p: Providers;
  let config: VigilConfig;
  beforeAll(async () => {
    p = await providers();
    config = notifyConfig(
      p,
      {
        monitors: [
          { id: "dg-api", type: "http", service: "safework", url: "https://api.safework.test/health" },
          { id: "dg-tls", type: "tls", service: "safework", host: "api.safework.test" },
        ],
        agents: [{ id: "dg-app-01", service: "safework", secret: { env: "AGENT_SECRET" } }],
        digest: { channel: "slack", at: "09:00" },
      },
      { AGENT_SECRET: "agent-secret-0123456789abcdef0123456789" },
    );
  });

  it("queues yesterday's digest once after 09:00 local and delivers it as Block Kit", async () => {
    const dayStart = Date.parse("2026-11-20T15:00:00Z"); // 2026-11-21 00:00 in Seoul
    const stmts = [];
    for (let h = 0; h < 24; h++) {
      stmts.push(
        env.DB.prepare(
          "INSERT INTO rollups_hourly (check_id, hour, count, failures, degraded, latency_avg, latency_p95) VALUES (?, ?, 60, ?, 0, ?, ?)",
        ).bind("dg-api", dayStart + h * H, h === 3 ? 6 : 0, 120, 300),
        env.DB.prepare(
          "INSERT INTO rollups_hourly (check_id, hour, count, failures, degraded, latency_avg, latency_p95) VALUES (?, ?, 120, 0, 0, ?, ?)",
        ).bind("agent:dg-app-01:postgres", dayStart + h * H, 3, 8),
      );
    }
    // Outside the window: the day before.
    stmts.push(
      env.DB.prepare("INSERT INTO rollups_hourly (check_id, hour, count, failures, degraded) VALUES ('dg-api', ?, 60, 60, 0)").bind(
        dayStart - H,
      ),
    );
    stmts.push(
      env.DB.prepare(
        "INSERT INTO incidents (id, service_id, status, title, level, opened_at, resolved_at) VALUES ('inc_dg', 'safework', 'resolved', 'SafeWork: dg-api down', 1, ?, ?)",
      ).bind(dayStart + 3 * H, dayStart + 3 * H + 6 * 60_000),
    );
    stmts.push(
      env.DB.prepare(
        "INSERT INTO agents (agent_id, hostname, version, last_seen, updated_at) VALUES ('dg-app-01', 'app-01', '1.2.0', ?, 0)",
      ).bind(dayStart + 23 * H),
    );
    await env.DB.batch(stmts);

    const certificates = async () => [{ check: "dg-tls", host: "api.safework.test", notAfter: dayStart + 20 * 24 * H, daysLeft: 20 }];
    const nineAm = dayStart + 24 * H + 9 * H; // 2026-11-22 09:00 in Seoul
    expect(await queueDailyDigest(env, config, nineAm - 60_000, { certificates })).toBe(false); // 08:59
    expect(await queueDailyDigest(env, config, nineAm, { certificates })).toBe(true);
    expect(await queueDailyDigest(env, config, nineAm + 60_000, { certificates })).toBe(false); // once a day

    const row = await env.DB.prepare("SELECT message FROM outbox WHERE key = 'digest:2026-11-21:slack'").first<{ message: string }>();
    const message = JSON.parse(row!.message);
    const sim = new SimQueue(p.secretEnv);
    sim.push(message);
    await sim.drain(config);
    const reqs = await p.slack.requests();
    const sent = reqs.filter((r) => JSON.parse(r.body).text === "Vigil daily digest — 2026-11-21");
    expect(sent).toHaveLength(1);
    expect(sent[0]!.problems).toBeUndefined();
    expect(JSON.parse(sent[0]!.body).blocks).toEqual([
      { type: "header", text: { type: "plain_text", text: "Vigil daily digest — 2026-11-21", emoji: true } },
      { type: "divider" },
      {
        type: "section",
        text: {
          type: "mrkdwn",
          text: [
            "*SafeWork*",
            "Uptime: 99.861% (4320 checks run)",
            "Incidents: 1",
            "  • [L1] SafeWork: dg-api down — 2026-11-21 03:00 UTC+9, 6 min",
            "Slowest: dg-api 120 ms (p95 300 ms), agent:dg-app-01:postgres 3 ms (p95 8 ms)",
            "Certificates expiring: api.safework.test in 20 d",
            "Agents: dg-app-01 seen (v1.2.0)",
          ].join("\n"),
        },
      },
    ]);
  });
});
