/**
 * Private locations (issue #23, point 3): a monitor's `locations: ["agent:<id>"]` vote with the
 * results their agents put in signed reports, beside the edge regions, judged by one quorum.
 * `loc-api` (test/worker/vigil.config.ts) has one region (`weur`, probing a loopback target that
 * answers 200) and two locations (`agent:t-loc-1`, `agent:t-loc-2`): three voters, majority 2.
 */
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { loadConfig } from "../../../src/config/load";
import { parseConfig, type MonitorSpec } from "../../../src/config";
import source from "vigil-config";
import type { AgentReportInput } from "../../../src/contract/report";
import { runCost } from "../../../src/engine/plan";
import { probeWithRetries, runBatch } from "../../../src/scheduler/run";
import { adminPost, agentView, makeReport, sendReport, useTestClock } from "./helpers";

type Result = NonNullable<AgentReportInput["probes"]>[number]["result"];

const config = () => {
  const loaded = loadConfig(env);
  if (loaded instanceof Error) throw loaded;
  return loaded;
};
const spec = (id = "loc-api") => config().monitors.find((m) => m.id === id) as MonitorSpec;

const down = (reason = "connection refused by 10.0.0.5:443"): Result => ({
  status: "down",
  latencyMs: 3,
  reason,
  checkedAt: new Date().toISOString(),
});
const up = (): Result => ({ status: "up", latencyMs: 4, statusCode: 200, checkedAt: new Date().toISOString() });

const seqs = new Map<string, number>();
async function report(agent: string, probes?: AgentReportInput["probes"]) {
  const seq = (seqs.get(agent) ?? 0) + 1;
  seqs.set(agent, seq);
  const res = await sendReport(agent, makeReport(agent, seq, probes ? { probes } : {}));
  expect(res.status).toBe(202);
  return res.json<{ monitors: MonitorSpec[] }>();
}

describe("private locations", () => {
  afterEach(() => vi.useRealTimers());

  it("the answer to a report lists the agent's monitors, secrets as references only", async () => {
    const answer = await report("t-loc-1");
    expect(answer.monitors.map((m) => m.id).sort()).toEqual(["loc-api", "loc-inside"]);
    const inside = answer.monitors.find((m) => m.id === "loc-inside")!;
    expect(inside).toMatchObject({ type: "http", url: "http://10.20.30.40:8080/health", timeout: 2000, interval: 60_000, samples: 1 });
    expect((inside as { headers: unknown }).headers).toEqual({ authorization: { env: "INSIDE_API_TOKEN" } });
    // The other agent runs only loc-api.
    expect((await report("t-loc-2")).monitors.map((m) => m.id)).toEqual(["loc-api"]);
  });

  it("an old-format report (no probes, no schemaVersion) is still accepted", async () => {
    const seq = (seqs.get("t-loc-2") ?? 0) + 1;
    seqs.set("t-loc-2", seq);
    const { schemaVersion: _, ...old } = { schemaVersion: 1, ...makeReport("t-loc-2", seq) };
    const res = await sendReport("t-loc-2", JSON.stringify(old));
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ accepted: true, seq });
  });

  it("one location down, the region and the other location up: degraded, unconfirmed", async () => {
    await report("t-loc-1", [{ monitor: "loc-api", result: down() }]);
    await report("t-loc-2", [{ monitor: "loc-api", result: up() }]);
    const result = await probeWithRetries(env, spec());
    expect(result).toMatchObject({
      status: "degraded",
      reason: "down from 1 of 3 locations, unconfirmed (agent:t-loc-1: connection refused by 10.0.0.5:443)",
    });
    expect(result.regions).toMatchObject({
      weur: { status: "up" },
      "agent:t-loc-1": { status: "down" },
      "agent:t-loc-2": { status: "up" },
    });
    // The agent's view in the admin API shows what it measured.
    expect((await agentView("t-loc-1")).locations).toEqual([
      expect.objectContaining({
        monitor: "loc-api",
        status: "down",
        reason: "connection refused by 10.0.0.5:443",
        checkedAt: expect.any(String),
      }),
    ]);
    // With quorum 1, the same votes are down.
    expect(await probeWithRetries(env, { ...spec(), quorum: 1 })).toMatchObject({ status: "down" });
  });

  it("both locations down outvote the up region: the monitor's state goes down through the runner", async () => {
    await report("t-loc-1", [{ monitor: "loc-api", result: down() }]);
    await report("t-loc-2", [{ monitor: "loc-api", result: down("timed out after 2 s while connecting to 10.0.0.5:443") }]);
    const minute = Math.floor(Date.now() / 60_000) * 60_000 - 5 * 60 * 60_000;
    const summary = await runBatch(env, config(), { minute, batch: 23, monitors: ["loc-api"] }, [{ monitorId: "loc-api", at: Date.now() }]);
    expect(summary.executed).toBe(1);
    const state = await env.DB.prepare("SELECT status, reason FROM check_state WHERE check_id = 'loc-api'").first<{
      status: string;
      reason: string;
    }>();
    expect(state).toMatchObject({ status: "down" });
    expect(state!.reason).toMatch(/^down from 2 of 3 locations \(agent:t-loc-1, agent:t-loc-2: connection refused/);

    // Both agents up again: up (recoveryThreshold 1).
    await report("t-loc-1", [{ monitor: "loc-api", result: up() }]);
    await report("t-loc-2", [{ monitor: "loc-api", result: up() }]);
    await runBatch(env, config(), { minute, batch: 24, monitors: ["loc-api"] }, [{ monitorId: "loc-api", at: Date.now() }]);
    const after = await env.DB.prepare("SELECT status FROM check_state WHERE check_id = 'loc-api'").first<{ status: string }>();
    expect(after?.status).toBe("up");
  });

  it("a silent agent's location is left out of the vote (unknown, not down); all silent: unknown", async () => {
    useTestClock();
    await report("t-loc-1", [{ monitor: "loc-api", result: down() }]);
    await report("t-loc-2", [{ monitor: "loc-api", result: up() }]);
    // 3 minutes on: the results are older than interval (1m) + timeout + 30 s slack + the agent's 30 s.
    vi.setSystemTime(Date.now() + 3 * 60_000);
    const result = await probeWithRetries(env, spec());
    expect(result.status).toBe("up");
    expect(result.reason).toMatch(/^no measurement from agent:t-loc-1 \(its latest result is 3 ?m(in)? old\), agent:t-loc-2 \(/);

    // An agent-only monitor whose agent is silent: nobody measured, so the run is unknown.
    const inside = await probeWithRetries(env, spec("loc-inside"));
    expect(inside.reason).toMatch(/^internal error in the regions probe: no location measured \(agent:t-loc-1: /);
  });

  it("an agent that cannot run the kind reports an internal error: unknown, left out with its reason", async () => {
    const reason = 'internal error in the agent probe: this agent (0.1.0) does not know the probe kind "smtp-from-2030"';
    await report("t-loc-1", [{ monitor: "loc-api", result: down(reason) }]);
    await report("t-loc-2", [{ monitor: "loc-api", result: down() }]);
    const result = await probeWithRetries(env, spec());
    expect(result).toMatchObject({ status: "degraded" });
    expect(result.reason).toContain(
      `down from 1 of 2 locations, unconfirmed (agent:t-loc-2: connection refused by 10.0.0.5:443); no measurement from agent:t-loc-1 (${reason})`,
    );
  });

  it("the planner counts one subrequest per region and per location", () => {
    expect(runCost(spec())).toBe(3); // weur + two agents
    expect(runCost(spec("loc-inside"))).toBe(1); // one agent, no edge probe
  });

  it("a result for a monitor that does not list the agent is dropped; a malformed one refuses the report", async () => {
    await report("t-loc-2", [{ monitor: "loc-inside", result: down() }]);
    const vote = await env.AGENT.getByName("t-loc-2").locationVote("loc-inside", 60_000);
    expect(vote).toEqual({ why: expect.stringMatching(/^the agent has reported no result for this monitor/) });

    const seq = (seqs.get("t-loc-2") ?? 0) + 1;
    const bad = makeReport("t-loc-2", seq, { probes: [{ monitor: "loc-api", result: { ...up(), status: "sideways" as "up" } }] });
    const res = await sendReport("t-loc-2", bad);
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toContain("probes[0].result.status");
  });
});

describe("locations in the config", () => {
  const withMonitor = (monitor: Record<string, unknown>) => {
    const raw = typeof source === "function" ? source(env as never) : source;
    const m = { id: "loc-bad", service: "private", ...(monitor.type ? {} : { type: "tcp", host: "10.0.0.5", port: 5432 }), ...monitor };
    return () => parseConfig({ ...raw, monitors: [...(raw.monitors ?? []), m] } as never, env as never);
  };

  it("names the field of each mistake", () => {
    expect(withMonitor({ locations: ["db-1"] })).toThrow(
      /monitors\[\d+\]\.locations\[0\]: expected "agent:<agent id>", such as "agent:db-1"/,
    );
    expect(withMonitor({ locations: ["agent:nope"] })).toThrow(
      /monitors\[\d+\]\.locations\[0\]: unknown location "agent:nope" \(known: .*"agent:t-loc-1"/,
    );
    expect(withMonitor({ locations: ["agent:t-loc-1", "agent:t-loc-1"] })).toThrow(/monitors\[\d+\]\.locations: lists a location twice/);
    expect(withMonitor({ regions: ["weur"], locations: ["agent:t-loc-1"], quorum: 3 })).toThrow(
      /monitors\[\d+\]\.quorum: must be at most the number of regions and locations \(2\), got 3/,
    );
  });

  it("a monitor probed only by agents gives POST /v1/probe no reach to its private host", async () => {
    const res = await adminPost("/v1/probe", { id: "try-inside", type: "tcp", service: "private", host: "10.20.30.40", port: 8080 });
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toContain("host: 10.20.30.40 is a private, loopback or link-local address");
  });

  it("a location-only monitor's secret need not be set on the worker; one with regions must be", () => {
    const headers = { authorization: { env: "NOT_ON_THE_WORKER" } };
    const inside = { type: "http", url: "http://10.0.0.5/health", headers };
    expect(withMonitor({ ...inside, locations: ["agent:t-loc-1"] })).not.toThrow();
    expect(withMonitor({ ...inside, locations: ["agent:t-loc-1"], regions: ["weur"] })).toThrow(
      /monitors\[\d+\]\.headers\.authorization: environment variable NOT_ON_THE_WORKER is not set/,
    );
  });
});
