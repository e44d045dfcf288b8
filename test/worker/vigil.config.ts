/**
 * The config the worker tests deploy (aliased as `vigil-config` in vitest.config.ts). Function
 * form: its URLs point at the loopback fixture server, whose port is known only at run time.
 */
import { defineConfig } from "../../src/config";

export default defineConfig((env) => {
  const fixtures = String(env.FIXTURES_URL);
  return {
    timezone: "Asia/Seoul",
    publicUrl: "https://vigil.test",
    services: [{ id: "e2e", name: "E2E App", policy: "ops" }],
    monitors: [
      {
        id: "e2e-health",
        type: "http",
        service: "e2e",
        url: `${fixtures}/target/e2e`,
        interval: "1m",
        timeout: "2s",
        keyword: "healthy",
        failureThreshold: 2,
        recoveryThreshold: 2,
      },
    ],
    channels: [{ id: "ops-hook", type: "webhook", url: `${fixtures}/sink/e2e`, secret: { env: "TEST_WEBHOOK_SECRET" } }],
    policies: [{ id: "ops", levels: [{ channels: ["ops-hook"] }] }],
  };
});
