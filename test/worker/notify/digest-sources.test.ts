/**
 * Where the digest's certificate and disk facts come from, end to end inside workerd:
 *
 * - Disk trend: signed agent reports with host-check disk metrics over ten simulated days (the
 *   checks' `observedAt` carries the simulated time; signatures are made now) go through the
 *   ingest route and the AgentObject into `agent_disk_daily`; the digest for one of those days
 *   is queued by the cron hook and delivered to every channel kind that renders it (Slack,
 *   Discord, Teams, e-mail through the Resend server, and a signed webhook).
 * - Certificates: two tls monitors against real TLS servers on loopback (3 and 40 days left)
 *   are run by the probe batch, which records what they read; the digest lists the 3-day one.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { VigilConfig, VigilConfigInput } from "../../../src/config";
import { diskMetricKey, type AgentReportInput } from "../../../src/contract/report";
import { digestWindow, queueDailyDigest } from "../../../src/notify/digest-source";
import type { NotifyMessage } from "../../../src/notify/message";
import { runBatch } from "../../../src/scheduler/run";
import { configureSink, sinkRecords, spawn } from "../fixtures";
import { makeReport, sendReport } from "../ingest/helpers";
import { SimQueue, notifyConfig, providers, type Providers } from "./harness";

const H = 3_600_000;
const AGENT_SECRET = { AGENT_SECRET: "agent-secret-0123456789abcdef0123456789" };

/** Delivers the outbox message with `key` through the real consumer. */
async function deliver(p: Providers, config: VigilConfig, key: string): Promise<void> {
  const row = await env.DB.prepare("SELECT message FROM outbox WHERE key = ?").bind(key).first<{ message: string }>();
  expect(row, `outbox ${key}`).not.toBeNull();
  const sim = new SimQueue(p.secretEnv);
  sim.push(JSON.parse(row!.message) as NotifyMessage);
  await sim.drain(config);
}

describe("digest disk trend from agent reports", () => {
  let p: Providers;
  beforeAll(async () => {
    p = await providers();
  });

  /** Local (Seoul) wall time on a simulated day, ISO. */
  const seoul = (day: string, hour: number) => new Date(Date.parse(`${day}T00:00:00+09:00`) + hour * H).toISOString();
  const days = Array.from({ length: 10 }, (_, i) => new Date(Date.parse("2026-10-12T00:00:00Z") + i * 24 * H).toISOString().slice(0, 10)); // 10-12 … 10-21
  const seq = new Map<string, number>();

  async function report(agent: string, observedAt: string, disks: Record<string, number>): Promise<void> {
    const metrics: Record<string, number> = {
      cpuPct: 12,
      memoryPct: 40,
      load1: 0.4,
      cores: 4,
      diskMaxPct: Math.max(...Object.values(disks)),
    };
    for (const [mount, pct] of Object.entries(disks)) metrics[diskMetricKey(mount)] = pct;
    const worst = metrics.diskMaxPct!;
    const n = (seq.get(agent) ?? 0) + 1;
    seq.set(agent, n);
    const body: AgentReportInput = makeReport(agent, n, {
      checks: [
        {
          id: "host:local",
          kind: "host",
          status: worst >= 90 ? "critical" : worst >= 80 ? "warn" : "ok",
          summary: Object.entries(disks)
            .map(([m, v]) => `disk ${m} ${v} %`)
            .join(", "),
          observedAt,
          durationMs: 2,
          metrics,
        },
      ],
    });
    const res = await sendReport(agent, body);
    expect(res.status, await res.clone().text()).toBe(202);
  }

  const row = (agent: string, mount: string, day: string) =>
    env.DB.prepare("SELECT max_used_pct AS max, last_used_pct AS last FROM agent_disk_daily WHERE agent_id = ? AND mount = ? AND day = ?")
      .bind(agent, mount, day)
      .first<{ max: number; last: number }>();

  it("keeps a daily series per agent mount, written on day turnover and throttled within a day", async () => {
    // t-disk-1 "/": grows 1.5 points a day (03:00 base, 13:00 peak +2, 23:00 last +0.5); "/data" flat at 40.
    // t-disk-2 "/": seen from 10-17 only, shrinking 0.5 points a day.
    for (const [i, day] of days.entries()) {
      const hours = day === "2026-10-21" ? [3] : [3, 13, 23];
      for (const hour of hours) {
        const bump = hour === 13 ? 2 : hour === 23 ? 0.5 : 0;
        await report("t-disk-1", seoul(day, hour), { "/": 70 + 1.5 * i + bump, "/data": 40 });
        if (i >= 5) await report("t-disk-2", seoul(day, hour), { "/": 55 - 0.5 * (i - 5) });
        if (day === "2026-10-20" && hour === 13) {
          // Within the day and within 15 minutes of the last write: D1 still has the 03:00 values.
          expect(await row("t-disk-1", "/", day)).toEqual({ max: 82, last: 82 });
        }
      }
    }
    // The next day's first report wrote the finished day's peak and latest value.
    expect(await row("t-disk-1", "/", "2026-10-20")).toEqual({ max: 84, last: 82.5 });
    expect(await row("t-disk-1", "/", "2026-10-21")).toEqual({ max: 83.5, last: 83.5 });
    const all = await env.DB.prepare(
      "SELECT mount, day, max_used_pct AS max, last_used_pct AS last FROM agent_disk_daily WHERE agent_id = 't-disk-1' ORDER BY mount, day",
    ).all();
    expect(all.results).toHaveLength(20);
    expect(all.results.filter((r) => r.mount === "/" && r.day !== "2026-10-21")).toEqual(
      days.slice(0, 9).map((day, i) => ({ mount: "/", day, max: 72 + 1.5 * i, last: 70.5 + 1.5 * i })),
    );

    // A report observed on a day already closed changes nothing.
    await report("t-disk-1", seoul("2026-10-19", 12), { "/": 99, "/data": 99 });
    await report("t-disk-1", seoul("2026-10-21", 4), { "/": 83.5, "/data": 40 });
    expect(await row("t-disk-1", "/", "2026-10-19")).toEqual({ max: 82.5, last: 81 });
  });

  it("the digest shows each mount yesterday against 7 days before in every channel that renders it", async () => {
    const hook = "digest-disk";
    await configureSink(hook, { secret: env.TEST_WEBHOOK_SECRET });
    const input = (channel: string): Partial<VigilConfigInput> => ({
      channels: [
        { id: "slack", type: "slack", url: { env: "SLACK_WEBHOOK_URL" }, timeout: "2s" },
        { id: "discord", type: "discord", url: { env: "DISCORD_WEBHOOK_URL" }, timeout: "2s" },
        { id: "teams", type: "teams", url: { env: "TEAMS_WEBHOOK_URL" }, timeout: "2s" },
        {
          id: "leaders",
          type: "email",
          apiKey: { env: "RESEND_API_KEY" },
          from: "Vigil <alerts@vigil.test>",
          to: ["ops@safework.test"],
          url: `${p.resend.url}/emails`,
          timeout: "2s",
        },
        { id: "hook", type: "webhook", url: `${env.FIXTURES_URL}/sink/${hook}`, secret: { env: "HOOK_SECRET" }, timeout: "2s" },
      ],
      policies: [{ id: "runbook", levels: [{ channels: ["slack"] }] }],
      agents: ["t-disk-1", "t-disk-2"].map((id) => ({ id, service: "safework", secret: { env: "AGENT_SECRET" } })),
      digest: { channel, at: "09:00" },
    });
    const lines = [
      "Disk (yesterday vs 7 days before):",
      "  • t-disk-1 /: 82.5% (peak 84%) WARN, +1.5 pp/day over 7 d (from 72%), full in ~11 d",
      "  • t-disk-1 /data: 40%, flat over 7 d (from 40%)",
      "  • t-disk-2 /: 53.5%, -0.5 pp/day over 3 d (from 55%)",
    ];
    const title = "Vigil daily digest — 2026-10-20";
    const nineAm = Date.parse("2026-10-21T09:00:00+09:00");
    for (const channel of ["slack", "discord", "teams", "leaders", "hook"]) {
      const config = notifyConfig(p, input(channel), AGENT_SECRET);
      expect(await queueDailyDigest(env, config, nineAm)).toBe(true);
      await deliver(p, config, `digest:2026-10-20:${channel}`);
    }

    // Slack: one section per service, the lines as they are.
    const slack = (await p.slack.requests()).filter((r) => JSON.parse(r.body).text === title);
    expect(slack).toHaveLength(1);
    expect(slack[0]!.problems).toBeUndefined();
    const section = JSON.parse(slack[0]!.body).blocks[2].text.text as string;
    expect(section.split("\n").slice(0, 1)).toEqual(["*SafeWork*"]);
    expect(section).toContain(lines.join("\n"));

    // Discord: an embed field per service.
    const discord = (await p.discord.requests()).filter((r) => JSON.parse(r.body).embeds?.[0]?.title === title);
    expect(discord).toHaveLength(1);
    expect(discord[0]!.problems).toBeUndefined();
    expect(JSON.parse(discord[0]!.body).embeds[0].fields[0]).toMatchObject({
      name: "SafeWork",
      value: expect.stringContaining(lines.join("\n")),
    });

    // Teams: a TextBlock per service, one paragraph per line.
    const teams = (await p.teams.requests()).filter((r) => r.body.includes(title));
    expect(teams).toHaveLength(1);
    expect(teams[0]!.problems).toBeUndefined();
    const blocks = JSON.parse(teams[0]!.body).attachments[0].content.body as { text: string }[];
    expect(blocks.some((b) => b.text.includes(lines.join("\n\n")))).toBe(true);

    // E-mail (Resend): plain text indented under the service, HTML list items.
    const email = ((await p.resend.state()).emails as { subject: string; text: string; html: string }[]).filter((e) => e.subject === title);
    expect(email).toHaveLength(1);
    expect(email[0]!.text).toContain(lines.map((l) => `  ${l}`).join("\n"));
    expect(email[0]!.html).toContain(`<li>${lines[1]!.trim()}</li><li>${lines[2]!.trim()}</li><li>${lines[3]!.trim()}</li>`);

    // Webhook: the structured report, signed.
    const records = (await sinkRecords(hook)).filter((r) => JSON.parse(r.body).type === "digest.daily");
    expect(records).toHaveLength(1);
    expect(records[0]!.verified).toBe(true);
    const digest = JSON.parse(records[0]!.body).data.digest;
    expect(digest.date).toBe("2026-10-20");
    expect(digest.services[0].disk).toEqual([
      {
        agent: "t-disk-1",
        mount: "/",
        maxPct: 84,
        lastPct: 82.5,
        base: { day: "2026-10-13", lastPct: 72 },
        days: 7,
        ppPerDay: 1.5,
        daysToFull: 11,
        level: "warn",
      },
      {
        agent: "t-disk-1",
        mount: "/data",
        maxPct: 40,
        lastPct: 40,
        base: { day: "2026-10-13", lastPct: 40 },
        days: 7,
        ppPerDay: 0,
        daysToFull: null,
        level: "ok",
      },
      {
        agent: "t-disk-2",
        mount: "/",
        maxPct: 53.5,
        lastPct: 53.5,
        base: { day: "2026-10-17", lastPct: 55 },
        days: 3,
        ppPerDay: -0.5,
        daysToFull: null,
        level: "ok",
      },
    ]);
  });
});

describe("digest certificates from tls monitor runs", () => {
  it("a real TLS reading goes through the probe batch into what the digest lists (3 days: listed, 40 days: not)", async () => {
    const p = await providers();
    const [soon, later] = await Promise.all([
      spawn("tls", { days: 3, names: ["soon.test"] }),
      spawn("tls", { days: 40, names: ["later.test"] }),
    ]);
    const tls = (id: string, port: number, servername: string) => ({
      id,
      type: "tls" as const,
      service: "safework",
      host: "127.0.0.1",
      port,
      servername,
      timeout: "3s",
      criticalDays: 2,
    });
    const config = notifyConfig(p, {
      monitors: [tls("dg-cert-soon", soon.port, "soon.test"), tls("dg-cert-later", later.port, "later.test")],
      digest: { channel: "leaders", at: "00:00" },
    });
    const ids = ["dg-cert-soon", "dg-cert-later"];
    const runOnce = (batch: number) =>
      runBatch(
        env,
        config,
        { minute: Math.floor(Date.now() / 60_000) * 60_000, batch, monitors: ids },
        ids.map((monitorId) => ({ monitorId, at: Date.now() })),
      );

    expect(await runOnce(951)).toMatchObject({ executed: 2 });
    // Recorded like any probe: the check's state, and the certificate it read.
    const state = await env.DB.prepare("SELECT status, reason FROM check_state WHERE check_id = 'dg-cert-soon'").first<{
      status: string;
      reason: string;
    }>();
    expect(state).toMatchObject({
      status: "degraded",
      reason: expect.stringMatching(/^certificate expires in 3 days\b.*warning threshold$/),
    });
    const stored = await env.DB.prepare(
      "SELECT check_id, host, not_after, checked_at FROM tls_certificates WHERE check_id IN ('dg-cert-soon', 'dg-cert-later') ORDER BY check_id",
    ).all<{ check_id: string; host: string; not_after: number; checked_at: number }>();
    expect(stored.results.map((r) => [r.check_id, r.host, r.not_after])).toEqual([
      ["dg-cert-later", "later.test", Date.parse(String(later.notAfter))],
      ["dg-cert-soon", "soon.test", Date.parse(String(soon.notAfter))],
    ]);
    // The same certificate read again within the hour writes nothing.
    await runOnce(952);
    const again = await env.DB.prepare(
      "SELECT check_id, checked_at FROM tls_certificates WHERE check_id IN ('dg-cert-soon', 'dg-cert-later') ORDER BY check_id",
    ).all();
    expect(again.results).toEqual(stored.results.map((r) => ({ check_id: r.check_id, checked_at: r.checked_at })));

    const now = Date.now();
    expect(await queueDailyDigest(env, config, now)).toBe(true);
    const { date } = digestWindow(now, config.timezone);
    await deliver(p, config, `digest:${date}:leaders`);
    const email = ((await p.resend.state()).emails as { subject: string; text: string }[]).filter(
      (e) => e.subject === `Vigil daily digest — ${date}`,
    );
    expect(email).toHaveLength(1);
    expect(email[0]!.text).toContain("  Certificates expiring: soon.test in 3 d\n");
    expect(email[0]!.text).not.toContain("later.test");
  });
});
