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
    services: [
      { id: "e2e", name: "E2E App", policy: "ops" },
      // Agents and ping jobs (test/worker/ingest, test/worker/heartbeats): their own service,
      // policy and sink, so their incidents never reach the e2e test's sink.
      { id: "hosts", name: "Hosts", policy: "hosts" },
      { id: "hosts-rearm", name: "Hosts (alarm re-arm test)", policy: "hosts" },
      // Escalation scenarios (test/worker/escalation): one service each, the runbook policy
      // with minutes compressed to seconds.
      ...[
        "esc-dep",
        "esc-recov",
        "esc-flag",
        "esc-outage",
        "esc-dbfail",
        "esc-containers",
        "esc-ack",
        "esc-silence",
        "esc-silence2",
        "esc-maint",
        "esc-db",
        "esc-links",
        "esc-links2",
      ].map((id) => ({
        id,
        name: id === "esc-db" ? "PostgreSQL" : id,
        policy: "runbook-fast",
      })),
      { id: "esc-app", name: "SafeWork app", policy: "runbook-fast", dependsOn: ["esc-db"] },
      // Scheduler tests (test/worker/scheduler).
      { id: "sched", name: "Scheduler tests", policy: "hosts" },
      // Private locations (test/worker/ingest/locations.test.ts).
      { id: "private", name: "Private locations", policy: "hosts" },
      // Upstream status pages (test/worker/upstreams): no page by default, level 1 with ups-l1.
      { id: "ups-app", name: "Upstream app", policy: "ups", upstreams: ["cloud"] },
      { id: "ups-app1", name: "Upstream app (L1)", policy: "ups-l1", upstreams: ["cloud"] },
      { id: "ups-unk", name: "Upstream app (page unreadable)", policy: "ups", upstreams: ["cloud"] },
      // Every page gets its resolve (test/worker/escalation/resolves.test.ts): one service per path.
      ...["res-silence", "res-maint", "res-inhib-db", "res-restart", "res-redeploy", "res-flaky", "res-blips"].map((id) => ({
        id,
        name: id,
        policy: "res-fast",
      })),
      { id: "res-inhib", name: "res-inhib", policy: "res-fast", dependsOn: ["res-inhib-db"] },
      // State pages (test/worker/escalation/state-pages.test.ts): unknown and degraded page res-l2 when held.
      { id: "sp-unknown", name: "sp-unknown", policy: "res-states" },
      { id: "sp-degraded", name: "sp-degraded", policy: "res-states" },
      { id: "sp-plain", name: "sp-plain", policy: "res-fast" },
      // State pages held by silences and windows, unknown from the start, overdue monitors
      // (test/worker/escalation/state-pages-held.test.ts, test/worker/scheduler/overdue.test.ts).
      ...["sp-silence", "sp-silence2", "sp-maint", "sp-first", "sp-never", "sp-overdue", "sp-restart"].map((id) => ({
        id,
        name: id,
        policy: "res-states",
      })),
    ],
    // The tests read the status document from a spawned server (test/servers/statuspage-document.ts)
    // by passing pollUpstreams a config with its URL; this one only answers the cron's ticks.
    upstreams: [{ id: "cloud", name: "Upstream Cloud", url: `${fixtures}/target/upstream-cloud` }],
    maintenance: [
      {
        id: "esc-maint-window",
        services: ["esc-maint"],
        title: "Planned database upgrade",
        start: new Date(Date.now() - 3_600_000).toISOString(),
        end: new Date(Date.now() + 3_600_000).toISOString(),
      },
      // Reached by inputs dated into it (test/worker/escalation/resolves.test.ts), never by the clock.
      {
        id: "res-maint-window",
        services: ["res-maint"],
        title: "Planned failover",
        start: "2099-01-01T00:00:00Z",
        end: "2099-01-01T01:00:00Z",
      },
      // The same for state pages (test/worker/escalation/state-pages-held.test.ts).
      {
        id: "sp-maint-window",
        services: ["sp-maint"],
        title: "Planned failover",
        start: "2099-02-01T00:00:00Z",
        end: "2099-02-01T01:00:00Z",
      },
    ],
    agents: [
      // One agent per concern so test files never share an object's state.
      ...[
        "t-sig",
        "t-size",
        "t-schema",
        "t-seq",
        "t-late",
        "t-conc",
        "t-eval",
        "t-remed",
        "t-dead",
        "t-many",
        "t-hostile",
        "t-hostile-ids",
        "t-hostile-arr",
        "t-hostile-body",
        "t-rotate",
      ].map((id) => ({
        id,
        service: "hosts",
        secret: { env: "TEST_AGENT_SECRET" },
      })),
      { id: "t-off", service: "hosts", secret: { env: "TEST_AGENT_SECRET" }, enabled: false },
      {
        id: "t-thresh",
        service: "hosts",
        secret: { env: "TEST_AGENT_SECRET" },
        failureThreshold: 1,
        recoveryThreshold: 1,
        checks: { "docker:db": { failureThreshold: 3 } },
      },
      // Short graces: the precision test waits for real alarms.
      { id: "t-fast", service: "hosts", secret: { env: "TEST_AGENT_SECRET" }, grace: "1500ms" },
      { id: "t-fast2", service: "hosts", secret: { env: "TEST_AGENT_SECRET" }, grace: "1500ms" },
      { id: "t-fast3", service: "hosts-rearm", secret: { env: "TEST_AGENT_SECRET" }, grace: "1500ms" },
      // Escalation by failed recoveries (test/worker/escalation).
      { id: "t-esc", service: "esc-recov", secret: { env: "TEST_AGENT_SECRET" }, failureThreshold: 1, recoveryThreshold: 1 },
      // The daily disk series behind the digest's disk trend (test/worker/notify/digest-sources.test.ts).
      ...["t-disk-1", "t-disk-2"].map((id) => ({ id, service: "hosts", secret: { env: "TEST_AGENT_SECRET" } })),
      // Agents that probe monitors from their networks (test/worker/ingest/locations.test.ts).
      ...["t-loc-1", "t-loc-2"].map((id) => ({ id, service: "private", secret: { env: "TEST_AGENT_SECRET" } })),
    ],
    jobs: [
      { id: "j-period", service: "hosts", key: { env: "TEST_PING_KEY_PERIOD" }, period: "1h", grace: "5m" },
      { id: "j-variants", service: "hosts", key: { env: "TEST_PING_KEY_VARIANTS" }, period: "1h", grace: "5m" },
      {
        id: "j-cron",
        service: "hosts",
        key: { env: "TEST_PING_KEY_CRON" },
        cron: "30 2 * * *",
        timezone: "America/New_York",
        grace: "30m",
      },
      { id: "j-fast", service: "hosts", key: { env: "TEST_PING_KEY_FAST" }, period: "1s", grace: "1s" },
      { id: "j-run", service: "hosts", key: { env: "TEST_PING_KEY_RUN" }, period: "1h", grace: "1s" },
      { id: "j-off", service: "hosts", key: { env: "TEST_PING_KEY_OFF" }, period: "1h", enabled: false },
      // Run envelopes (test/worker/heartbeats/envelope.test.ts): one bound each, and one learning all.
      {
        id: "j-short",
        service: "hosts",
        key: { env: "TEST_PING_KEY_SHORT" },
        period: "1h",
        envelope: { minDuration: "30s", learn: false },
      },
      { id: "j-long", service: "hosts", key: { env: "TEST_PING_KEY_LONG" }, period: "1h", envelope: { maxDuration: "10m", learn: false } },
      {
        id: "j-often",
        service: "hosts",
        key: { env: "TEST_PING_KEY_OFTEN" },
        period: "1h",
        envelope: { minInterval: "50m", learn: false },
      },
      { id: "j-late", service: "hosts", key: { env: "TEST_PING_KEY_LATE" }, period: "1h", envelope: { maxStartDelay: "5m", learn: false } },
      { id: "j-learn", service: "hosts", key: { env: "TEST_PING_KEY_LEARN" }, period: "1h", envelope: {} },
    ],
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
      // Probed through the PROBE queue by test/worker/scheduler (and by the e2e ticks, harmlessly).
      { id: "sched-q", type: "http", service: "sched", url: `${fixtures}/target/sched-q`, interval: "10s", timeout: "2s" },
      // One edge region and two private locations vote (test/worker/ingest/locations.test.ts).
      {
        id: "loc-api",
        type: "http",
        service: "private",
        url: `${fixtures}/target/loc-api`,
        interval: "1m",
        timeout: "2s",
        regions: ["weur"],
        locations: ["agent:t-loc-1", "agent:t-loc-2"],
        failureThreshold: 1,
        recoveryThreshold: 1,
      },
      // Probed only from inside: its secret is the agent's, never set on the worker.
      {
        id: "loc-inside",
        type: "http",
        service: "private",
        url: "http://10.20.30.40:8080/health",
        timeout: "2s",
        locations: ["agent:t-loc-1"],
        headers: { authorization: { env: "INSIDE_API_TOKEN" } },
      },
      // Check-level dependency (test/worker/escalation): never probed, only their states matter.
      { id: "esc-dep-db", type: "http", service: "esc-dep", url: `${fixtures}/target/esc-dep-db`, enabled: false },
      {
        id: "esc-dep-api",
        type: "http",
        service: "esc-dep",
        url: `${fixtures}/target/esc-dep-api`,
        enabled: false,
        dependsOn: ["esc-dep-db"],
      },
    ],
    channels: [
      { id: "ops-hook", type: "webhook", url: `${fixtures}/sink/e2e`, secret: { env: "TEST_WEBHOOK_SECRET" } },
      { id: "hosts-hook", type: "webhook", url: `${fixtures}/sink/hosts`, secret: { env: "TEST_WEBHOOK_SECRET" } },
      ...["l1", "l2", "l3"].map((l) => ({
        id: `esc-${l}`,
        type: "webhook" as const,
        url: `${fixtures}/sink/esc-${l}`,
        secret: { env: "TEST_WEBHOOK_SECRET" },
      })),
      ...["l1", "l2"].map((l) => ({
        id: `ups-${l}`,
        type: "webhook" as const,
        url: `${fixtures}/sink/ups-${l}`,
        secret: { env: "TEST_WEBHOOK_SECRET" },
      })),
      ...["l1", "l2", "new"].map((l) => ({
        id: `res-${l}`,
        type: "webhook" as const,
        url: `${fixtures}/sink/res-${l}`,
        secret: { env: "TEST_WEBHOOK_SECRET" },
      })),
    ],
    policies: [
      { id: "ops", groupWait: "0s", levels: [{ channels: ["ops-hook"] }] },
      {
        // The runbook policy of examples/safework.config.ts, with 30 minutes as 3 seconds.
        id: "runbook-fast",
        groupWait: "1s",
        reopenWithin: "1s",
        levels: [
          { channels: ["esc-l1"] },
          { channels: ["esc-l2"], after: "1h", when: [{ failedRecoveries: 3 }, { flag: "data-loss-risk" }, { flag: "security" }] },
          {
            channels: ["esc-l3"],
            when: [{ outageFor: "3s" }, { failedRecoveries: 1, check: "agent:*:postgres" }, { failingMembers: 2, kind: "docker" }],
          },
        ],
      },
      { id: "hosts", levels: [{ channels: ["hosts-hook"] }] },
      // Upstream incidents: pages nobody (default upstreamLevel 0) / only level 1.
      { id: "ups", groupWait: "0s", levels: [{ channels: ["ups-l1"] }, { channels: ["ups-l2"], after: "1s" }] },
      { id: "ups-l1", groupWait: "0s", upstreamLevel: 1, levels: [{ channels: ["ups-l1"] }, { channels: ["ups-l2"], after: "1s" }] },
      {
        // Pages at once; TEST_REDEPLOY=2 stands for a redeploy that moved level 1 to another channel.
        id: "res-fast",
        groupWait: "0s",
        reopenWithin: "0s",
        levels: [{ channels: [env.TEST_REDEPLOY === "2" ? "res-new" : "res-l1"] }, { channels: ["res-l2"], when: [{ flag: "security" }] }],
      },
      {
        // Incidents page res-l1; a check unknown 10 min or degraded 15 min pages res-l2.
        id: "res-states",
        groupWait: "0s",
        levels: [{ channels: ["res-l1"] }],
        monitoringBroken: { after: "10m", channels: ["res-l2"] },
        degraded: { after: "15m", channels: ["res-l2"] },
      },
    ],
  };
});
