/** Bindings the worker tests see: the worker's own plus the test-only ones from vitest.config.ts. */
type VigilEnv = import("../src/env").Env;
type TestMigrations = import("cloudflare:test").D1Migration[];

declare namespace Cloudflare {
  interface Env extends VigilEnv {
    TEST_MIGRATIONS: TestMigrations;
    FIXTURES_URL: string;
    TEST_WEBHOOK_SECRET: string;
    /** "trusted" when workerd trusts the test CA (vitest.config.ts), else why it does not. */
    TEST_CA_STATUS: string;
  }
}
