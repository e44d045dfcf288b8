/**
 * `npm run deploy` end to end against a loopback Cloudflare API (test/servers/cloudflare-api.ts):
 * the real script and the real wrangler 4.86, in a fresh copy of the repository (its tracked
 * files, node_modules linked), with CLOUDFLARE_API_BASE_URL pointing at the loopback server.
 * The command that deploys is the one in docs/deploy.md's GitHub Actions workflow.
 */
import { spawn } from "node:child_process";
import { cpSync, existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCloudflareApi, type ApiCall, type CloudflareApi } from "../servers/cloudflare-api";
import { freshClone, root } from "./clone";
let api: CloudflareApi;
let clone = "";

/** The workflow's deploy step from docs/deploy.md: its `run:` line and `env:` names. */
function workflowDeployStep(): { run: string; env: string[] } {
  const doc = readFileSync(join(root, "docs/deploy.md"), "utf8");
  const yaml = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!).find((y) => y.includes("- name: Deploy"))!;
  const step = yaml.slice(yaml.indexOf("- name: Deploy"));
  return { run: /run:\s*(.+)/.exec(step)![1]!.trim(), env: [...step.matchAll(/^\s+([A-Z_]+):\s*\$\{\{/gm)].map((m) => m[1]!) };
}

interface Run {
  code: number;
  out: string;
  calls: ApiCall[];
}

/** Runs a shell command in the clone with the Cloudflare API pointed at the loopback server. */
function sh(command: string, env: Record<string, string> = {}): Promise<Run> {
  const before = api.calls.length;
  return new Promise((ok) => {
    const child = spawn("bash", ["-c", command], {
      cwd: clone,
      env: {
        ...process.env,
        CLOUDFLARE_API_BASE_URL: api.baseUrl,
        CLOUDFLARE_API_TOKEN: "loopback-test-token",
        CLOUDFLARE_ACCOUNT_ID: api.accountId,
        WRANGLER_SEND_METRICS: "false",
        VIGIL_CONFIG: "deploy.config.ts",
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("close", (code) => ok({ code: code ?? 1, out, calls: api.calls.slice(before) }));
  });
}

const deployEnv = { OPS_WEBHOOK_URL: "https://hooks.vigil-deploy.dev/vigil" };
const deploy = (args = "", env: Record<string, string> = {}) =>
  sh(`${workflowDeployStep().run}${args ? ` -- ${args}` : ""}`, { ...deployEnv, ...env });
/** Calls that create or change something on the account. */
const writes = (calls: ApiCall[]) =>
  calls.filter(
    (c) =>
      c.method !== "GET" &&
      !(
        c.method === "POST" &&
        /\/d1\/database\/[^/]+\/query$/.test(c.path) &&
        /^\s*(CREATE TABLE IF NOT EXISTS d1_migrations|SELECT)/i.test(String((c.body as { sql?: string })?.sql))
      ),
  );
const steps = (out: string) => [...out.matchAll(/^vigil deploy: (\S+)/gm)].map((m) => m[1]);
const migrationFiles = () =>
  readdirSync(join(clone, "migrations"))
    .filter((f) => f.endsWith(".sql"))
    .sort();
const upload = (calls: ApiCall[]) => calls.find((c) => c.parts && (c.method === "PUT" || c.path.endsWith("/versions")));

describe("npm run deploy against the loopback Cloudflare API", () => {
  beforeAll(async () => {
    api = await startCloudflareApi();
    clone = freshClone("vigil-deploy-");
    cpSync(join(root, "test/node/fixtures/deploy.config.ts"), join(clone, "deploy.config.ts"));
    writeFileSync(
      join(clone, "deploy.config.ts"),
      readFileSync(join(clone, "deploy.config.ts"), "utf8").replaceAll("../../../src/config", "./src/config"),
    );
  });

  afterAll(async () => {
    await api?.close();
    if (clone) rmSync(clone, { recursive: true, force: true });
  });

  it("the workflow in docs/deploy.md deploys with the repository's command and passes the Cloudflare credentials", () => {
    const step = workflowDeployStep();
    expect(step.run).toMatch(/^npm run deploy\b/);
    expect(step.env).toEqual(expect.arrayContaining(["CLOUDFLARE_API_TOKEN", "CLOUDFLARE_ACCOUNT_ID", "VIGIL_ADMIN_TOKEN"]));
  });

  it("refuses an invalid config before any call to Cloudflare, listing every problem with its path", async () => {
    cpSync(join(root, "test/node/fixtures/bad.config.ts"), join(clone, "bad.config.ts"));
    writeFileSync(
      join(clone, "bad.config.ts"),
      readFileSync(join(clone, "bad.config.ts"), "utf8").replaceAll("../../../src/config", "./src/config"),
    );
    const r = await deploy("", { VIGIL_CONFIG: "bad.config.ts" });
    expect(r.code).toBe(1);
    expect(r.out).toContain("vigil deploy: config     bad.config.ts: 6 problems; nothing was changed");
    expect(r.out).toContain("  timezone: unknown IANA time zone");
    expect(r.out).toContain('  monitors[2].service: unknown service "nowhere"');
    expect(r.calls).toEqual([]);
  });

  it("refuses loopback, private-network and example.com targets unless --allow-local, before any call", async () => {
    writeFileSync(
      join(clone, "local.config.ts"),
      readFileSync(join(clone, "deploy.config.ts"), "utf8")
        .replace('publicUrl: "https://status.vigil-deploy.dev"', 'publicUrl: "http://127.0.0.1:8787"')
        .replace("https://shop.vigil-deploy.dev/health", "https://safework.example.com/health"),
    );
    const r = await deploy("", { VIGIL_CONFIG: "local.config.ts" });
    expect(r.code).toBe(1);
    expect(r.out).toMatch(
      /vigil deploy: targets +\d+ addresses are not reachable from Cloudflare or reserved for examples; write your own config \(docs\/deploy\.md\) or pass --allow-local; nothing was changed/,
    );
    expect(r.out).toContain("  publicUrl: http://127.0.0.1:8787 (loopback)");
    expect(r.out).toContain("  monitors[0].url: https://safework.example.com/health (a reserved example name)");
    expect(r.calls).toEqual([]);
  });

  it("a plain `wrangler deploy --dry-run` validates the config first, and refuses a VIGIL_CONFIG it would not bundle", async () => {
    const other = await sh("node_modules/.bin/wrangler deploy --dry-run --outdir /tmp/unused-vigil-dist");
    expect(other.code).not.toBe(0);
    expect(other.out).toContain(
      "VIGIL_CONFIG is deploy.config.ts, but this wrangler.toml bundles ./vigil.config.ts; deploy with `npm run deploy`",
    );
    const bad = await sh(
      "cp bad.config.ts vigil.config.ts.bad && mv vigil.config.ts vigil.config.ts.good && mv vigil.config.ts.bad vigil.config.ts && node_modules/.bin/wrangler deploy --dry-run --outdir dist-bad; code=$?; mv vigil.config.ts.good vigil.config.ts; exit $code",
      { VIGIL_CONFIG: "" },
    );
    expect(bad.code).not.toBe(0);
    expect(bad.out).toContain("./vigil.config.ts: 6 problems");
    expect(existsSync(join(clone, "dist-bad/index.js"))).toBe(false);
    expect([...other.calls, ...bad.calls]).toEqual([]);
  });

  it("stops before changing anything when a secret is neither on the worker, in the environment nor generated", async () => {
    const r = await deploy("", { OPS_WEBHOOK_URL: "" });
    expect(r.code, r.out).toBe(1);
    expect(r.out).toContain("vigil deploy: secrets    5 secrets are not set on the worker vigil; nothing was changed");
    expect(r.out).toContain("  OPS_WEBHOOK_URL: set it in the environment of this command\n");
    expect(r.out).toContain("  OPS_WEBHOOK_SECRET: set it in the environment of this command, or pass --generate-secrets\n");
    expect(r.calls.length).toBeGreaterThan(0);
    expect(writes(r.calls)).toEqual([]);
    expect(api.state.databases).toEqual([]);
  }, 600_000);

  it("deploys from a fresh clone: creates the database and queues, migrates, sets the secrets, uploads once", async () => {
    const r = await deploy("--generate-secrets", { VIGIL_ADMIN_TOKEN: "admin-token-from-ci-0123456789abcdef0123456789" });
    expect(r.code, r.out).toBe(0);
    expect(steps(r.out)).toEqual(["config", "targets", "d1", "queues", "migrations", "bundle", "secrets", "deploy", "urls", "next"]);
    expect(api.unknown).toEqual([]);

    // D1 and every queue the worker binds, created once, ids recorded in the generated config.
    const [db] = api.state.databases;
    expect(api.state.databases.map((d) => d.name)).toEqual(["vigil"]);
    expect(api.state.queues.map((q) => q.queue_name).sort()).toEqual([
      "vigil-notify",
      "vigil-notify-dlq",
      "vigil-probe",
      "vigil-probe-dlq",
    ]);
    const generated = readFileSync(join(clone, ".vigil/deploy/wrangler.toml"), "utf8");
    expect(generated).toContain(`database_id = "${db!.uuid}"`);
    for (const q of api.state.queues) expect(generated).toContain(`# queue ${q.queue_name}: ${q.queue_id}`);
    expect(readFileSync(join(clone, "wrangler.toml"), "utf8")).toContain('database_id = "00000000-0000-0000-0000-000000000000"');

    // Every migration, before the upload.
    expect(api.state.d1[db!.uuid]!.migrations).toEqual(migrationFiles());
    const lastMigration = r.calls.findLastIndex((c) => /\/query$/.test(c.path));
    const up = upload(r.calls)!;
    expect(lastMigration).toBeLessThan(r.calls.indexOf(up));

    // The upload: the deploy config's bindings, the dead-letter consumers, the cron, the secrets.
    const metadata = JSON.parse(up.parts!.metadata!.text);
    expect(metadata.bindings).toEqual(
      expect.arrayContaining([
        { type: "d1", name: "DB", id: db!.uuid },
        expect.objectContaining({ type: "queue", name: "NOTIFY", queue_name: "vigil-notify" }),
      ]),
    );
    // The Durable Object migrations wrangler.toml declares, up to the last one.
    const tags = [...readFileSync(join(clone, "wrangler.toml"), "utf8").matchAll(/^tag = "([^"]+)"$/gm)].map((m) => m[1]);
    expect(metadata.migrations.new_tag).toBe(tags.at(-1));
    expect(api.state.queues.find((q) => q.queue_name === "vigil-notify")!.consumers[0]).toMatchObject({
      script_name: "vigil",
      dead_letter_queue: "vigil-notify-dlq",
    });
    expect(api.state.scripts.vigil!.schedules).toEqual([{ cron: "* * * * *" }]);
    const secrets = api.state.scripts.vigil!.secrets;
    expect(Object.keys(secrets).sort()).toEqual([
      "BACKUP_PING_KEY",
      "OPS_WEBHOOK_SECRET",
      "OPS_WEBHOOK_URL",
      "SHOP_AGENT_SECRET",
      "VIGIL_ADMIN_TOKEN",
      "VIGIL_METRICS_TOKEN",
    ]);
    expect(secrets.VIGIL_ADMIN_TOKEN).toBe("admin-token-from-ci-0123456789abcdef0123456789");
    expect(secrets.OPS_WEBHOOK_URL).toBe(deployEnv.OPS_WEBHOOK_URL);
    expect(secrets.OPS_WEBHOOK_SECRET).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(secrets.SHOP_AGENT_SECRET).toMatch(/^[0-9a-f]{64}$/);

    // Generated values go to a private file and nowhere else; no secret is printed.
    const file = join(clone, ".vigil/deploy/generated-secrets.env");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, "utf8")).toContain(`SHOP_AGENT_SECRET=${secrets.SHOP_AGENT_SECRET}`);
    for (const value of Object.values(secrets)) if (value !== deployEnv.OPS_WEBHOOK_URL) expect(r.out).not.toContain(value);
    expect(r.out).toContain(
      "vigil deploy: urls       status page https://status.vigil-deploy.dev/  API https://status.vigil-deploy.dev/v1  pings https://status.vigil-deploy.dev/ping/<key>",
    );
    expect(r.out).toContain(
      "vigil deploy: next       connect an agent: vigil-agent init --worker https://status.vigil-deploy.dev --id <host-id>",
    );
  }, 600_000);

  it("a second run with nothing changed changes nothing", async () => {
    const r = await deploy("--generate-secrets");
    expect(r.code, r.out).toBe(0);
    expect(writes(r.calls)).toEqual([]);
    expect(r.out).toContain("vigil deploy: d1         reusing vigil");
    expect(r.out).toContain("vigil deploy: queues     created none; reusing vigil-probe, vigil-probe-dlq, vigil-notify, vigil-notify-dlq");
    expect(r.out).toContain("vigil deploy: migrations none to apply");
    expect(r.out).toMatch(/vigil deploy: deploy {5}unchanged: the serving version already runs bundle [0-9a-f]{16}/);
    expect(api.state.scripts.vigil!.uploads).toBe(1);
  }, 600_000);

  it("an upgrade applies the new version's D1 migration before its code is uploaded, keeping the secrets", async () => {
    writeFileSync(join(clone, "migrations/0999_deploy_test.sql"), "CREATE TABLE deploy_test (id INTEGER PRIMARY KEY);\n");
    writeFileSync(
      join(clone, "deploy.config.ts"),
      readFileSync(join(clone, "deploy.config.ts"), "utf8").replace('timeout: "5s"', 'timeout: "6s"'),
    );
    const before = { ...api.state.scripts.vigil!.secrets };
    const r = await deploy();
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain("vigil deploy: migrations applied 0999_deploy_test.sql");
    const migration = r.calls.findIndex((c) => String((c.body as { sql?: string })?.sql).includes("CREATE TABLE deploy_test"));
    const up = upload(r.calls)!;
    expect(migration).toBeGreaterThanOrEqual(0);
    expect(migration).toBeLessThan(r.calls.indexOf(up));
    // The Durable Object classes exist already: no migration step is sent again.
    expect(JSON.parse(up.parts!.metadata!.text).migrations).toBeUndefined();
    expect(api.state.scripts.vigil!.uploads).toBe(2);
    expect(api.state.scripts.vigil!.secrets).toEqual(before);
    expect(writes(r.calls).filter((c) => /\/(d1\/database|queues)$/.test(c.path))).toEqual([]);
  }, 600_000);

  it("a refused upload stops the deploy and leaves no secret behind in a temporary file", async () => {
    writeFileSync(
      join(clone, "deploy.config.ts"),
      readFileSync(join(clone, "deploy.config.ts"), "utf8").replace(
        'agents: [{ id: "shop-1"',
        'agents: [{ id: "shop-2", service: "shop", secret: { env: "SHOP_2_AGENT_SECRET" } }, { id: "shop-1"',
      ),
    );
    const secret = "shop-2-agent-secret-0123456789abcdef0123456789abcdef";
    const temp = () => readdirSync(tmpdir()).filter((d) => d.startsWith("vigil-deploy-") && existsSync(join(tmpdir(), d, "secrets.json")));
    const before = temp();
    api.failNextUpload = true;
    const r = await deploy("", { SHOP_2_AGENT_SECRET: secret });
    expect(r.code).toBe(1);
    expect(r.out).toContain("vigil deploy: secrets    1 to set with this deploy: SHOP_2_AGENT_SECRET from the environment");
    expect(r.out).toContain("vigil deploy: deploy     wrangler deploy failed");
    expect(r.out).toContain("the loopback API refused this upload");
    expect(r.out).not.toContain(secret);
    expect(temp()).toEqual(before);
    expect(api.state.scripts.vigil!.secrets.SHOP_2_AGENT_SECRET).toBeUndefined();
  }, 600_000);
});
