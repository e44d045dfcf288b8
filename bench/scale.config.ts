/**
 * The fleet `npm run bench:scale` deploys: BENCH_MONITORS http monitors spread over the local
 * target servers in BENCH_TARGETS, every BENCH_INTERVAL.
 */
import { defineConfig } from "../src/config";

export default defineConfig((env) => {
  const n = Number(env.BENCH_MONITORS ?? 100);
  const targets = String(env.BENCH_TARGETS ?? "")
    .split(",")
    .filter(Boolean);
  const interval = String(env.BENCH_INTERVAL ?? "1m");
  return {
    services: [{ id: "fleet", name: "Fleet", policy: "p" }],
    monitors: Array.from({ length: n }, (_, i) => ({
      id: `m-${i}`,
      type: "http" as const,
      service: "fleet",
      url: `${targets[i % targets.length]}/m-${i}`,
      interval,
      timeout: String(env.BENCH_TIMEOUT ?? "5s"),
    })),
    channels: [{ id: "hook", type: "webhook" as const, url: "http://127.0.0.1:9/unused", secret: { env: "BENCH_WEBHOOK_SECRET" } }],
    policies: [{ id: "p", levels: [{ channels: ["hook"] }] }],
  };
});
