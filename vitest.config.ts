import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig(async () => {
  const migrations = await readD1Migrations(here("./migrations"));
  return {
    test: {
      projects: [
        {
          // Worker code, run inside workerd through Cloudflare's vitest integration.
          plugins: [
            cloudflareTest(({ inject }) => ({
              wrangler: { configPath: here("./wrangler.toml") },
              miniflare: {
                bindings: {
                  TEST_MIGRATIONS: migrations,
                  FIXTURES_URL: inject("fixturesUrl"),
                  VIGIL_ADMIN_TOKEN: "test-admin-token-0123456789abcdef",
                  // Standard Webhooks secret for the test sink (base64 after whsec_).
                  TEST_WEBHOOK_SECRET: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                  // Agent report signing key and ping keys of test/worker/vigil.config.ts.
                  TEST_AGENT_SECRET: "test-agent-secret-5f0c2a9e4b7d1c3e",
                  TEST_PING_KEY_PERIOD: "pk-period-0123456789abcdef",
                  TEST_PING_KEY_VARIANTS: "pk-variants-0123456789abcdef",
                  TEST_PING_KEY_CRON: "pk-cron-0123456789abcdef",
                  TEST_PING_KEY_FAST: "pk-fast-0123456789abcdef",
                  TEST_PING_KEY_RUN: "pk-run-0123456789abcdef",
                  TEST_PING_KEY_OFF: "pk-off-0123456789abcdef",
                },
              },
            })),
          ],
          resolve: { alias: { "vigil-config": here("./test/worker/vigil.config.ts") } },
          test: {
            name: "worker",
            include: ["test/worker/**/*.test.ts"],
            globalSetup: [here("./test/global-setup.ts")],
            setupFiles: [here("./test/worker/setup.ts")],
            testTimeout: 30_000,
          },
        },
        {
          // The host agent and the Node-side scripts, run in Node against real services.
          test: {
            name: "node",
            include: ["test/agent/**/*.test.ts", "test/node/**/*.test.ts"],
            globalSetup: [here("./test/agent/global-setup.ts")],
            environment: "node",
            testTimeout: 60_000,
            hookTimeout: 120_000,
          },
        },
      ],
    },
  };
});
