/**
 * The SafeWork runbook (shared/runbooks/safework-troubleshooting.md) as a Vigil config.
 * Try it: `VIGIL_CONFIG=examples/safework.config.ts npm start`, or check it with
 * `npm run validate -- examples/safework.config.ts` (`npm test` does).
 *
 * The function form receives the environment, so one file serves a laptop (everything goes to
 * a signed webhook) and production (Slack for level 1, SMS to the on-call engineer for level 2,
 * e-mail to leadership for level 3, each switched on by setting its secret). Secrets are never
 * written here: `{ env: "NAME" }` names an environment variable (.dev.vars locally,
 * `wrangler secret put NAME` in production).
 */
import { defineConfig } from "../src/config";

export default defineConfig((env) => {
  const self = String(env.VIGIL_SELF_URL ?? "http://127.0.0.1:8787");
  const has = (name: string) => typeof env[name] === "string" && env[name] !== "";
  const chat = has("SLACK_WEBHOOK_URL") ? "ops-slack" : "ops-webhook";
  const oncall = has("ONCALL_SMS_TOKEN") ? "oncall-sms" : "ops-webhook";
  const leadership = has("RESEND_API_KEY") ? "leadership-mail" : "ops-webhook";
  return {
    timezone: "Asia/Seoul",
    publicUrl: self,
    services: [
      {
        id: "safework",
        name: "SafeWork",
        policy: "runbook",
        description: "The SafeWork app",
        dependsOn: ["safework-db", "safework-redis"],
      },
      { id: "safework-db", name: "SafeWork PostgreSQL", policy: "runbook" },
      { id: "safework-redis", name: "SafeWork Redis", policy: "runbook" },
      { id: "vigil", name: "Vigil", policy: "runbook", description: "This Vigil deployment watching itself" },
    ],
    monitors: [
      // Runbook, level 1: `curl -I https://…/health`; anything but 2xx with "healthy" in the body
      // is down. Level 3: a response slower than 5 s is a performance incident.
      {
        id: "safework-health",
        type: "http",
        service: "safework",
        url: "https://safework.example.com/health",
        interval: "1m",
        timeout: "10s",
        keyword: "healthy",
        degradedMs: 2_000,
        downMs: 5_000,
        failureThreshold: 2,
        recoveryThreshold: 2,
      },
      // Runbook: SSL "certificate has expired" → `certbot renew`; warn three weeks ahead.
      { id: "safework-tls", type: "tls", service: "safework", host: "safework.example.com", interval: "6h", warnDays: 21, criticalDays: 7 },
      { id: "vigil-health", type: "http", service: "vigil", url: `${self}/health`, interval: "1m", keyword: '"status":"ok"' },
    ],
    // The host agent on the SafeWork server (agent/README.md, agent/agent.config.example.json):
    // docker, pg_isready, redis-cli ping, disk/memory/CPU, log error ratio, with restarts.
    agents: [{ id: "safework-prod-1", service: "safework-db", secret: { env: "SAFEWORK_AGENT_SECRET" } }],
    channels: [
      {
        id: "ops-webhook",
        type: "webhook",
        // Any receiver that verifies Standard Webhooks signatures. Without OPS_WEBHOOK_URL: the
        // local receiver `npm start` runs, which prints each notification.
        url: has("OPS_WEBHOOK_URL")
          ? { env: "OPS_WEBHOOK_URL" }
          : `${String(env.VIGIL_LOCAL_WEBHOOK_URL ?? "http://127.0.0.1:8798")}/vigil`,
        secret: { env: "OPS_WEBHOOK_SECRET" },
      },
      ...(has("SLACK_WEBHOOK_URL") ? [{ id: "ops-slack", type: "slack" as const, url: { env: "SLACK_WEBHOOK_URL" } }] : []),
      ...(has("ONCALL_SMS_TOKEN")
        ? [
            {
              id: "oncall-sms",
              type: "sms" as const,
              accountSid: String(env.ONCALL_SMS_ACCOUNT_SID),
              authToken: { env: "ONCALL_SMS_TOKEN" },
              from: String(env.ONCALL_SMS_FROM),
              to: String(env.ONCALL_SMS_TO),
            },
          ]
        : []),
      ...(has("RESEND_API_KEY")
        ? [
            {
              id: "leadership-mail",
              type: "email" as const,
              apiKey: { env: "RESEND_API_KEY" },
              from: "Vigil <alerts@example.com>",
              to: ["leadership@example.com"],
            },
          ]
        : []),
    ],
    policies: [
      {
        // The runbook: L1 chat; L2 on-call after 3 failed recoveries, a data-loss risk or a
        // suspected breach (or 15 min unacknowledged); L3 leadership after 30 min of outage, a
        // failed database recovery, or several containers failing at once.
        id: "runbook",
        groupWait: "10s",
        repeat: "30m",
        reopenWithin: "5m",
        levels: [
          { channels: [chat] },
          { channels: [oncall], after: "15m", when: [{ failedRecoveries: 3 }, { flag: "data-loss-risk" }, { flag: "security" }] },
          {
            channels: [leadership],
            after: "1h",
            when: [{ outageFor: "30m" }, { failedRecoveries: 1, check: "agent:*:postgres" }, { failingMembers: 2, kind: "docker" }],
          },
        ],
      },
    ],
    maintenance: [
      // The weekly maintenance slot: no pages for the database on Sundays 04:00–04:30 KST.
      { id: "weekly-db", services: ["safework-db"], title: "Weekly database maintenance", cron: "0 4 * * 0", duration: "30m" },
    ],
    statusPage: { title: "SafeWork status" },
  };
});
