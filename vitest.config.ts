import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";
import { ensureTestCa, TEST_CA_ENV } from "./test/servers/certs.ts";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/**
 * The test CA that workerd trusts, so that https:// and wss:// probes can succeed against
 * loopback servers (test/servers/certs.ts). Made once under .vigil/test-ca/ (gitignored), or
 * taken from VIGIL_TEST_CA_KEY / VIGIL_TEST_CA_CERT when those are set; the paths go to the
 * fixture servers through the same variables. Without it the tests that need it skip, saying
 * why; under CI it is an error.
 */
function trustedTestCa(): { certPem: string } | { skip: string } {
  try {
    const given = process.env[TEST_CA_ENV.key] && process.env[TEST_CA_ENV.cert];
    const ca = given
      ? { certPem: readFileSync(process.env[TEST_CA_ENV.cert]!, "utf8") }
      : ensureTestCa(process.env.VIGIL_TEST_CA_DIR ?? here("./.vigil/test-ca"));
    if (!given && "keyPath" in ca) {
      process.env[TEST_CA_ENV.key] = ca.keyPath;
      process.env[TEST_CA_ENV.cert] = ca.certPath;
    }
    return { certPem: ca.certPem };
  } catch (err) {
    if (process.env.CI && process.env.CI !== "false") throw new Error(`the test CA is required under CI: ${(err as Error).message}`);
    return { skip: `no trusted test CA (${(err as Error).message})` };
  }
}

/**
 * The worker's outbound network: Miniflare's default ("internet": public and private
 * addresses, the usual CAs, and NODE_EXTRA_CA_CERTS, which Miniflare reads only when it is
 * imported) plus the test CA.
 */
function outboundNetwork(testCaPem: string | undefined) {
  let extraPems: string[] = [];
  try {
    const extra = process.env.NODE_EXTRA_CA_CERTS;
    if (extra) extraPems = readFileSync(extra, "utf8").match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  } catch {
    // Miniflare ignores an unreadable file too.
  }
  return {
    network: {
      allow: ["public", "private", "240.0.0.0/4"],
      deny: [],
      tlsOptions: { trustBrowserCas: true, trustedCertificates: [...extraPems, ...(testCaPem ? [testCaPem] : [])] },
    },
  };
}

export default defineConfig(async () => {
  const migrations = await readD1Migrations(here("./migrations"));
  const testCa = trustedTestCa();
  return {
    test: {
      projects: [
        {
          // Worker code, run inside workerd through Cloudflare's vitest integration.
          plugins: [
            cloudflareTest(({ inject }) => ({
              wrangler: { configPath: here("./wrangler.toml") },
              miniflare: {
                // Without this, Miniflare puts a JS worker (strip-cf-connecting-ip) between the
                // worker and the network; when an outbound fetch fails (a refused certificate or
                // connection, which the probe tests do on purpose) that worker's handler rejects
                // and workerd logs "Uncaught (in promise)" although Vigil handles the error. The
                // deployed worker has no such hop, and no test reads the headers it sets.
                stripCfConnectingIp: false,
                outboundService: outboundNetwork("certPem" in testCa ? testCa.certPem : undefined),
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
                  // "trusted" when https:// and wss:// to loopback servers can succeed, else why not.
                  TEST_CA_STATUS: "certPem" in testCa ? "trusted" : testCa.skip,
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
          // The host agent, the Node-side scripts and lib/, run in Node against real services.
          test: {
            name: "node",
            include: ["test/agent/**/*.test.ts", "test/node/**/*.test.ts", "test/lib/**/*.test.ts"],
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
