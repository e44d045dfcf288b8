/**
 * Vigil config: what to watch, who to tell. `npm start` runs it locally; `npm run validate`
 * checks it. Secrets are never written here: `{ env: "NAME" }` names an environment variable
 * (.dev.vars locally, `wrangler secret put NAME` in production).
 *
 * The function form receives the environment, so one file serves local and production.
 */
import { defineConfig } from "./src/config";

export default defineConfig((env) => {
  const self = String(env.VIGIL_SELF_URL ?? "http://127.0.0.1:8787");
  return {
    timezone: "Asia/Seoul",
    publicUrl: self,
    services: [
      { id: "safework", name: "SafeWork", policy: "runbook", description: "The SafeWork app, its PostgreSQL and Redis" },
      { id: "vigil", name: "Vigil", policy: "runbook", description: "This Vigil deployment watching itself" },
    ],
    monitors: [
      // Runbook: `curl -I https://…/health`; anything but 2xx with "healthy" in the body is down.
      {
        id: "safework-health",
        type: "http",
        service: "safework",
        url: "https://safework.example.com/health",
        interval: "1m",
        timeout: "10s",
        keyword: "healthy",
        failureThreshold: 2,
        recoveryThreshold: 2,
      },
      { id: "vigil-health", type: "http", service: "vigil", url: `${self}/health`, interval: "1m", timeout: "5s", keyword: '"status":"ok"' },
    ],
    channels: [
      {
        id: "ops-webhook",
        type: "webhook",
        // Any receiver that verifies Standard Webhooks signatures.
        url: env.OPS_WEBHOOK_URL ? { env: "OPS_WEBHOOK_URL" } : "http://127.0.0.1:9999/vigil",
        secret: { env: "OPS_WEBHOOK_SECRET" },
      },
    ],
    policies: [{ id: "runbook", levels: [{ channels: ["ops-webhook"] }] }],
    statusPage: { title: "SafeWork status" },
  };
});
