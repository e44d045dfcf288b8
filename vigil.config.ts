/**
 * Vigil config: what to watch, who to tell. `npm start` runs it locally (and reloads it when
 * you save; a config with problems is refused and the last valid one keeps running);
 * `npm run validate` checks it. Secrets are never written here: `{ env: "NAME" }` names an
 * environment variable (.dev.vars locally, `wrangler secret put NAME` in production).
 *
 * This one watches what exists on your machine once `npm start` runs: Vigil itself, and a demo
 * target that `npm start` runs beside it (scripts/demo-target.mjs; press `d` in the terminal, or
 * `curl -X POST <demo>/down` and `/up`, to switch it off and on). Notifications go to a local
 * receiver that `npm start` also runs, which checks their signatures and prints them.
 *
 * Real services: examples/safework.config.ts and examples/nucleus.config.ts are complete
 * configs to start from (`VIGIL_CONFIG=examples/safework.config.ts npm start`).
 */
import { defineConfig } from "./src/config";

export default defineConfig((env) => {
  // Set by `npm start` from PORT (VIGIL_DEMO_PORT / VIGIL_RECEIVER_PORT move the other two).
  const self = String(env.VIGIL_SELF_URL ?? "http://127.0.0.1:8787");
  const demo = String(env.VIGIL_DEMO_URL ?? "http://127.0.0.1:8797");
  const receiver = String(env.VIGIL_LOCAL_WEBHOOK_URL ?? "http://127.0.0.1:8798");
  return {
    publicUrl: self,
    services: [
      { id: "vigil", name: "Vigil", policy: "local", description: "This Vigil watching itself" },
      { id: "demo", name: "Demo target", policy: "local", description: "scripts/demo-target.mjs: switch it off to see an incident" },
    ],
    monitors: [
      { id: "vigil-health", type: "http", service: "vigil", url: `${self}/health`, interval: "30s", keyword: '"status":"ok"' },
      // Every 10 s, down at the first failure and up at the first success: switching the demo
      // target off opens an incident within ~10 s, switching it on resolves it as quickly.
      {
        id: "demo",
        type: "http",
        service: "demo",
        url: `${demo}/health`,
        interval: "10s",
        keyword: "healthy",
        failureThreshold: 1,
        recoveryThreshold: 1,
      },
    ],
    channels: [
      // The local receiver. For Slack, e-mail, PagerDuty … see examples/ and the README.
      { id: "local-webhook", type: "webhook", url: `${receiver}/vigil`, secret: { env: "LOCAL_WEBHOOK_SECRET" } },
    ],
    policies: [
      // Page at once (no grouping wait), so the demo shows its page within seconds.
      { id: "local", groupWait: "0s", levels: [{ channels: ["local-webhook"] }] },
    ],
    statusPage: { title: "Vigil on this machine" },
  };
});
