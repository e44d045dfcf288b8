/**
 * The config `npm run bench:ingest` deploys to `wrangler dev` (aliased as `vigil-config`).
 * BENCH_AGENTS agents spread over BENCH_SERVICES services; the first BENCH_BUSY_AGENTS (the
 * throughput phases') with a 1-hour grace, so they do not go silent into the dead-man
 * measurement, the rest with BENCH_GRACE; the webhook
 * points at a closed port (notifications stay in the outbox: no cron runs during the bench).
 */
import { defineConfig } from "../src/config/index";

export default defineConfig((env) => {
  const agents = Number(env.BENCH_AGENTS ?? 500);
  const services = Number(env.BENCH_SERVICES ?? 10);
  const grace = String(env.BENCH_GRACE ?? "30s");
  const busy = Number(env.BENCH_BUSY_AGENTS ?? 0);
  return {
    services: Array.from({ length: services }, (_, i) => ({ id: `svc-${i}`, name: `Service ${i}`, policy: "bench" })),
    channels: [{ id: "sink", type: "webhook", url: "http://127.0.0.1:9/", secret: { env: "BENCH_WEBHOOK_SECRET" } }],
    policies: [{ id: "bench", levels: [{ channels: ["sink"] }] }],
    agents: Array.from({ length: agents }, (_, i) => ({
      id: `bench-${i}`,
      service: `svc-${i % services}`,
      secret: { env: "BENCH_AGENT_SECRET" },
      grace: i < busy ? "1h" : grace,
    })),
  };
});
