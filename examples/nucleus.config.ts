/**
 * The Nucleus runbook (shared/runbooks/nucleus-troubleshooting.md) as a Vigil config: the web
 * server's health and API, its certificate, the real-time sync WebSocket, and the host's
 * PostgreSQL and Redis through the host agent. The runbook's API checks (the permission walk,
 * upload speed) are `api` monitors in nucleus-api.config.ts.
 * Try it: `VIGIL_CONFIG=examples/nucleus.config.ts npm start`, or check it with
 * `npm run validate -- examples/nucleus.config.ts` (`npm test` does).
 *
 * Secrets are never written here: `{ env: "NAME" }` names an environment variable (.dev.vars
 * locally, `wrangler secret put NAME` in production).
 */
import { defineConfig } from "../src/config";

export default defineConfig((env) => {
  const self = String(env.VIGIL_SELF_URL ?? "http://127.0.0.1:8787");
  const has = (name: string) => typeof env[name] === "string" && env[name] !== "";
  const chat = has("SLACK_WEBHOOK_URL") ? "ops-slack" : "ops-webhook";
  return {
    timezone: "Asia/Seoul",
    publicUrl: self,
    services: [
      { id: "nucleus", name: "Nucleus", policy: "nucleus", description: "File sharing and real-time sync", dependsOn: ["nucleus-db"] },
      { id: "nucleus-sync", name: "Nucleus sync", policy: "nucleus", dependsOn: ["nucleus"] },
      { id: "nucleus-db", name: "Nucleus database", policy: "nucleus" },
    ],
    monitors: [
      // Runbook, "cannot connect": `curl -I https://nucleus.company.com/health`.
      {
        id: "nucleus-health",
        type: "http",
        service: "nucleus",
        url: "https://nucleus.example.com/health",
        interval: "30s",
        expectedStatus: [200],
      },
      // Runbook, emergency recovery step 5: `GET /api/v1/status` answers within 5 s.
      {
        id: "nucleus-api",
        type: "http",
        service: "nucleus",
        url: "https://nucleus.example.com/api/v1/status",
        interval: "1m",
        timeout: "5s",
        degradedMs: 2_000,
      },
      // Runbook, "SSL certificate verify failed": renew before it expires.
      { id: "nucleus-tls", type: "tls", service: "nucleus", host: "nucleus.example.com", interval: "6h", warnDays: 21, criticalDays: 7 },
      // Runbook, "real-time sync does not work": the sync WebSocket (port 8081 behind nginx) opens.
      { id: "nucleus-sync-ws", type: "websocket", service: "nucleus-sync", url: "wss://nucleus.example.com/ws", interval: "1m" },
      // Runbook, `netstat -tuln | grep -E ":8080|:8443|:8081"`: the three ports accept connections.
      { id: "nucleus-https-port", type: "tcp", service: "nucleus", host: "nucleus.example.com", port: 8443, interval: "1m" },
    ],
    // `pg_isready`, active connections, `systemctl is-active redis`, disk space: the host agent
    // (agent/README.md) on the Nucleus server.
    agents: [{ id: "nucleus-1", service: "nucleus-db", secret: { env: "NUCLEUS_AGENT_SECRET" } }],
    channels: [
      {
        id: "ops-webhook",
        type: "webhook",
        // Without OPS_WEBHOOK_URL: the local receiver `npm start` runs, which prints each notification.
        url: has("OPS_WEBHOOK_URL")
          ? { env: "OPS_WEBHOOK_URL" }
          : `${String(env.VIGIL_LOCAL_WEBHOOK_URL ?? "http://127.0.0.1:8798")}/vigil`,
        secret: { env: "OPS_WEBHOOK_SECRET" },
      },
      ...(has("SLACK_WEBHOOK_URL") ? [{ id: "ops-slack", type: "slack" as const, url: { env: "SLACK_WEBHOOK_URL" } }] : []),
    ],
    policies: [
      {
        id: "nucleus",
        groupWait: "30s",
        repeat: "1h",
        levels: [{ channels: [chat] }, { channels: ["ops-webhook"], after: "30m", when: [{ outageFor: "30m" }] }],
      },
    ],
    statusPage: { title: "Nucleus status" },
  };
});
