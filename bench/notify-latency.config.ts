/**
 * The config `npm run bench:notify` deploys to `wrangler dev` (aliased as `vigil-config`):
 * BENCH_AGENTS agents (grace BENCH_GRACE) and BENCH_MONITORS HTTP monitors against the
 * bench's target, each in a service of its own so that every dead-man deadline and every
 * failed probe opens an incident and pages. One webhook channel (the bench's verifying
 * receiver) gets every page and, with `stateChanges`, every status change. The policy pages
 * at once (`groupWait: 0s`) and escalates to level 2 when the outage lasts BENCH_ESCALATE.
 */
import { defineConfig } from "../src/config/index";

export default defineConfig((env) => {
  const agents = Number(env.BENCH_AGENTS ?? 50);
  const monitors = Number(env.BENCH_MONITORS ?? 50);
  const grace = String(env.BENCH_GRACE ?? "2s");
  const escalate = String(env.BENCH_ESCALATE ?? "3s");
  const target = String(env.BENCH_TARGET_URL ?? "http://127.0.0.1:9/");
  return {
    services: [
      ...Array.from({ length: agents }, (_, i) => ({ id: `agent-svc-${i}`, name: `Agent service ${i}`, policy: "page" })),
      ...Array.from({ length: monitors }, (_, i) => ({ id: `probe-svc-${i}`, name: `Probe service ${i}`, policy: "page" })),
    ],
    channels: [
      {
        id: "sink",
        type: "webhook",
        url: String(env.BENCH_RECEIVER_URL ?? "http://127.0.0.1:9/"),
        secret: { env: "BENCH_WEBHOOK_SECRET" },
        stateChanges: true,
      },
    ],
    policies: [{ id: "page", groupWait: "0s", levels: [{ channels: ["sink"] }, { channels: ["sink"], when: [{ outageFor: escalate }] }] }],
    agents: Array.from({ length: agents }, (_, i) => ({
      id: `bench-${i}`,
      service: `agent-svc-${i}`,
      secret: { env: "BENCH_AGENT_SECRET" },
      grace,
    })),
    monitors: Array.from({ length: monitors }, (_, i) => ({
      id: `probe-${i}`,
      service: `probe-svc-${i}`,
      type: "http" as const,
      url: `${target}m/${i}`,
      interval: "1m",
      timeout: "2s",
      failureThreshold: 1,
      recoveryThreshold: 1,
    })),
  };
});
