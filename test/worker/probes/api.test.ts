/**
 * The `api` probe inside workerd against a loopback Nucleus (spawn kind "nucleus"): the
 * runbook's permission walk as shipped in examples/nucleus-api.config.ts (200 / 403 / 404),
 * variables and secrets, step and run timeouts, and upload / download throughput against a
 * server reading and writing at a controlled rate.
 */
import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import source from "../../../examples/nucleus-api.config";
import { formatIssues, monitorSpec, parseConfig, type MonitorSpec } from "../../../src/config";
import { subrequestsPerRun } from "../../../src/limits";
import { runProbe } from "../../../src/probes";
import worker from "../../../src/index";
import { controlSpawned, spawn } from "../fixtures";
import { monitor } from "./spec";

const TOKEN = "nucleus-secret-token-5f1c";
const secrets = { NUCLEUS_API_TOKEN: TOKEN };
let port = 0;
let base = "";
const control = (body: Record<string, unknown>) => controlSpawned(port, body);

beforeAll(async () => {
  port = (await spawn("nucleus", { token: TOKEN })).port;
  base = `http://127.0.0.1:${port}`;
});
beforeEach(() => control({ reset: true }));

/** The example config's monitor, pointed at the loopback Nucleus. */
function shipped(id: string): MonitorSpec {
  const config = parseConfig(source, { NUCLEUS_URL: base, ...secrets }, { checkSecrets: false });
  return config.monitors.find((m) => m.id === id)!;
}

const api = (fields: Record<string, unknown>) =>
  monitor("api", {
    baseUrl: `${base}/api/v1`,
    variables: { token: { env: "NUCLEUS_API_TOKEN" } },
    headers: { authorization: "Bearer {{token}}" },
    ...fields,
  });

describe("api probe: the runbook's permission walk (examples/nucleus-api.config.ts)", () => {
  it("is up when the user can read the file and has project permission, and reports each step", async () => {
    const r = await runProbe(shipped("nucleus-permissions"), secrets);
    expect(r).toMatchObject({ status: "up" });
    expect(r.reason).toBeUndefined();
    expect(r.steps?.map((s) => [s.name, s.request, s.status, s.statusCode])).toEqual([
      ["user role", "GET /users/7", "up", 200],
      ["file owner and project", "GET /files/42", "up", 200],
      // The extracted project id ("p 9") is URL-encoded into the next step's path.
      ["project permissions", "GET /projects/p%209/permissions/7", "up", 200],
    ]);
    for (const s of r.steps!) expect(s.firstByteMs).toBeLessThanOrEqual(s.latencyMs);
  });

  it("names the step and says what a 403 on the file means", async () => {
    await control({ file: 403 });
    const r = await runProbe(shipped("nucleus-permissions"), secrets);
    expect(r).toMatchObject({
      status: "down",
      statusCode: 403,
      reason: 'step 2 "file owner and project" (GET /files/42): expected status 200, got 403: no read permission on the file',
    });
    expect(r.steps?.map((s) => s.status)).toEqual(["up", "down"]);
  });

  it("and a 404", async () => {
    await control({ file: 404 });
    const r = await runProbe(shipped("nucleus-permissions"), secrets);
    expect(r.reason).toBe('step 2 "file owner and project" (GET /files/42): expected status 200, got 404: the file does not exist');
  });

  it("fails the project step on a 403 or on a missing permission, naming the assertion", async () => {
    await control({ permissionsStatus: 403 });
    expect((await runProbe(shipped("nucleus-permissions"), secrets)).reason).toBe(
      'step 3 "project permissions" (GET /projects/p%209/permissions/7): expected status 200, got 403: no permission in the file\'s project',
    );
    await control({ permissionsStatus: 200, permissions: ["write"] });
    expect((await runProbe(shipped("nucleus-permissions"), secrets)).reason).toBe(
      'step 3 "project permissions" (GET /projects/p%209/permissions/7): $.permissions contains \'read\' failed: got ["write"]',
    );
  });

  it("sends the bearer token from the secret: a wrong one is a 401 at step 1", async () => {
    const r = await runProbe(shipped("nucleus-permissions"), { NUCLEUS_API_TOKEN: "wrong-token-value" });
    expect(r.reason).toBe('step 1 "user role" (GET /users/7): expected status 2xx, got 401');
  });
});

describe("api probe: variables and secrets", () => {
  it("never shows a secret, nor a value extracted as a secret, in a reason", async () => {
    await control({ session: "sess-0b7e4d2a9c", file: 404 });
    const r = await runProbe(
      api({
        steps: [
          { name: "login", url: "/users/{{token}}", extract: { session: { header: "x-session", secret: true }, role: { json: "$.role" } } },
          { name: "file", url: "/files/{{session}}-{{role}}", headers: { "x-session": "{{session}}" } },
        ],
      }),
      secrets,
    );
    expect(r.reason).toBe('step 2 "file" (GET /files/[redacted]-editor): expected status 2xx, got 404');
    expect(r.steps?.[0]?.request).toBe("GET /users/[redacted]");
    expect(JSON.stringify(r)).not.toContain(TOKEN);
    expect(JSON.stringify(r)).not.toContain("sess-0b7e4d2a9c");
  });

  it("feeds extracted values (JSON path, header, regex) into later URLs, headers and bodies", async () => {
    await control({ session: "s-77" });
    const r = await runProbe(
      api({
        variables: { token: { env: "NUCLEUS_API_TOKEN" }, fileId: "42" },
        steps: [
          {
            name: "file",
            url: "/files/{{fileId}}",
            extract: { projectId: { json: "$.project_id" }, session: { header: "x-session" }, owner: { regex: '"owner":"(\\d+)"' } },
          },
          {
            name: "echo",
            method: "POST",
            url: "/echo?project={{projectId}}",
            headers: { "x-session": "{{session}}", "content-type": "application/json" },
            body: '{"project":"{{projectId}}","owner":{{owner}}}',
            json: [
              { path: "$.headers.x-session", op: "==", value: "s-77" },
              { path: "$.body", op: "==", value: '{"project":"p 9","owner":3}' },
            ],
          },
        ],
      }),
      secrets,
    );
    expect(r).toMatchObject({ status: "up" });
    expect(r.steps?.[1]?.request).toBe("POST /echo?project=p%209");
  });

  it("treats a value extracted from a secret's text as a secret", async () => {
    await control({ file: 404 });
    const r = await runProbe(
      api({
        steps: [
          { name: "whoami", url: "/whoami", extract: { session: { json: "$.session" } } },
          { name: "file", url: "/files/{{session}}" },
        ],
      }),
      secrets,
    );
    expect(r.reason).toBe('step 2 "file" (GET /files/[redacted]): expected status 2xx, got 404');
  });

  it("counts each step as a subrequest of the batch", () => {
    const spec = shipped("nucleus-permissions");
    expect(subrequestsPerRun(spec)).toBe(3);
    expect(subrequestsPerRun({ ...spec, samples: 2 })).toBe(6);
  });

  it("fails the step that cannot extract a value, saying which and why", async () => {
    const r = await runProbe(api({ steps: [{ name: "user", url: "/users/7", extract: { team: { json: "$.team" } } }] }), secrets);
    expect(r).toMatchObject({
      status: "down",
      statusCode: 200,
      reason: 'step 1 "user" (GET /users/7): cannot extract team: $.team is missing',
    });
  });

  it("refuses at config time a step using a variable no earlier step defines, naming the field", () => {
    const parsed = monitorSpec.safeParse({
      id: "walk",
      service: "nucleus",
      type: "api",
      baseUrl: "https://nucleus.example.com/api/v1",
      variables: { userId: "7", token: { env: "NUCLEUS_API_TOKEN" } },
      headers: { authorization: "Bearer {{tokn}}" },
      steps: [
        { name: "permissions", url: "/projects/{{projectId}}/permissions/{{userId}}" },
        { name: "file", url: "/files/{{ bad-name }}", extract: { projectId: { json: "$.project_id" }, userId: { header: "x-user" } } },
        { name: "upload", url: "/files/upload", upload: { bytes: 1024 }, minMBps: 1 },
        { name: "slow", url: "/files/1", minMBps: 1 },
      ],
    });
    expect(parsed.success).toBe(false);
    expect(formatIssues(parsed.error!.issues)).toEqual([
      "headers.authorization: uses {{tokn}}, which neither variables nor an earlier step's extract defines",
      "steps[0].url: uses {{projectId}}, which neither variables nor an earlier step's extract defines (step 2 extracts it, later)",
      'steps[1].url: "{{ bad-name }}" is not a variable: a name is a letter or _, then letters, digits or _',
      "steps[1].extract.userId: userId is already defined by variables",
      "steps[2].method: an upload cannot be sent with GET; use POST, PUT or PATCH",
      "steps[3].minMBps: needs an upload or download in the same step",
    ]);
  });

  it("refuses a malformed extractor and an upload beyond 32 MiB", () => {
    const parsed = monitorSpec.safeParse({
      id: "walk",
      service: "nucleus",
      type: "api",
      baseUrl: "https://nucleus.example.com",
      steps: [{ name: "a", url: "/a", method: "POST", upload: { bytes: 33 * 1024 * 1024 }, extract: { x: { json: "$.a", header: "b" } } }],
    });
    expect(formatIssues(parsed.error!.issues)).toEqual([
      "steps[0].extract.x: give exactly one of json, header or regex, not json and header",
      "steps[0].upload.bytes: Too big: expected number to be <=33554432",
    ]);
  });
});

describe("api probe: timeouts", () => {
  it("bounds a step by its own timeout", async () => {
    const r = await runProbe(api({ timeout: "3s", steps: [{ name: "slow", url: "/slow?ms=2000", timeout: "300ms" }] }), secrets);
    expect(r).toMatchObject({
      status: "down",
      reason: 'step 1 "slow" (GET /slow?ms=2000): timed out after 300 ms waiting for the response headers',
    });
  });

  it("bounds the whole run by the monitor's timeout", async () => {
    const r = await runProbe(
      api({
        timeout: "1s",
        steps: [
          { name: "first", url: "/slow?ms=600" },
          { name: "second", url: "/slow?ms=600" },
        ],
      }),
      secrets,
    );
    expect(r.status).toBe("down");
    expect(r.reason).toMatch(
      /^step 2 "second" \(GET \/slow\?ms=600\): timed out after \d+ ms waiting for the response headers \(the run's 1 s timeout\)$/,
    );
    expect(r.latencyMs).toBeLessThan(1_500);
  });
});

describe("api probe: step latency", () => {
  it("makes a slow step degraded over its degradedMs and down over its downMs", async () => {
    const slow = (limits: Record<string, number>) =>
      runProbe(
        api({
          steps: [
            { name: "slow", url: "/slow?ms=300", ...limits },
            { name: "user", url: "/users/7" },
          ],
        }),
        secrets,
      );
    const degraded = await slow({ degradedMs: 100 });
    expect(degraded.status).toBe("degraded");
    expect(degraded.reason).toMatch(
      /^step 1 "slow" \(GET \/slow\?ms=300\): took 3\d\d ms, over the step's 100 ms degraded threshold \(degradedMs\)$/,
    );
    expect(degraded.steps?.map((s) => s.status)).toEqual(["degraded", "up"]);
    const down = await slow({ downMs: 100 });
    expect(down.status).toBe("down");
    expect(down.reason).toMatch(/^step 1 "slow" \(GET \/slow\?ms=300\): took 3\d\d ms, over the step's 100 ms limit \(downMs\)$/);
    expect(down.steps).toHaveLength(1);
  });
});

describe("api probe: transfer throughput", () => {
  const upload = () => shipped("nucleus-upload");

  it("times a multipart upload at the receiving end and is up above minMBps", async () => {
    const r = await runProbe(upload(), secrets);
    expect(r).toMatchObject({ status: "up" });
    expect(r.throughput).toMatchObject({ direction: "upload", bytes: 2 * 1024 * 1024 });
    expect(r.throughput!.MBps).toBeGreaterThan(1);
    const { uploads } = (await control({})) as { uploads: { fileBytes: number; field: string; contentLength: string | null }[] };
    // The server received the whole file in the runbook's form field, with its length declared.
    expect(uploads).toHaveLength(1);
    expect(uploads[0]).toMatchObject({ fileBytes: 2 * 1024 * 1024, field: "file" });
    expect(Number(uploads[0]!.contentLength)).toBeGreaterThan(2 * 1024 * 1024);
  });

  it("marks a throttled upload degraded, not down, under the runbook's 1 MB/s", async () => {
    await control({ uploadRate: 512 * 1024 });
    const r = await runProbe(upload(), secrets);
    expect(r.status).toBe("degraded");
    expect(r.reason).toMatch(
      /^step 1 "upload" \(POST \/files\/upload\): upload at 0\.\d\d? MB\/s \(2 MiB in \d(\.\d+)? s\), under the 1 MB\/s minimum \(minMBps\)$/,
    );
    const { uploads } = (await control({})) as { uploads: { bytes: number; ms: number }[] };
    // The probe's rate is the rate the server read at (timed to its answer), not how fast the
    // probe handed bytes to its socket.
    const serverMBps = uploads[0]!.bytes / 1048576 / (uploads[0]!.ms / 1000);
    expect(Math.abs(r.throughput!.MBps - serverMBps)).toBeLessThan(0.05);
  });

  it("sends a raw upload with its length declared", async () => {
    const r = await runProbe(api({ steps: [{ name: "raw", method: "POST", url: "/files/upload", upload: { bytes: 300_000 } }] }), secrets);
    expect(r).toMatchObject({ status: "up", throughput: { direction: "upload", bytes: 300_000 } });
    const { uploads } = (await control({})) as { uploads: Record<string, unknown>[] };
    expect(uploads).toMatchObject([{ bytes: 300_000, contentLength: "300000", transferEncoding: null, fileBytes: null }]);
  });

  it("times a download from the headers to the body's end, fast and throttled", async () => {
    const spec = api({ steps: [{ name: "download", url: "/files/42/download?bytes=1048576", download: true, minMBps: 1 }] });
    const fast = await runProbe(spec, secrets);
    expect(fast).toMatchObject({ status: "up", throughput: { direction: "download", bytes: 1048576 } });
    expect(fast.throughput!.MBps).toBeGreaterThan(1);

    await control({ downloadRate: 400 * 1024 });
    const slow = await runProbe(spec, secrets);
    expect(slow.status).toBe("degraded");
    expect(slow.reason).toMatch(
      /^step 1 "download" \(GET \/files\/42\/download\?bytes=1048576\): download at 0\.\d\d? MB\/s \(1 MiB in \d(\.\d+)? s\), under the 1 MB\/s minimum \(minMBps\)$/,
    );
    expect(slow.steps?.[0]?.throughput?.MBps).toBeLessThan(0.45);
  });
});

describe("POST /v1/probe with an api spec", () => {
  const post = (body: unknown) =>
    worker.fetch(
      new Request("http://vigil.test/v1/probe", {
        method: "POST",
        headers: { "content-type": "application/json", authorization: "Bearer test-admin-token-0123456789abcdef" },
        body: JSON.stringify(body),
      }),
      env,
      createExecutionContext(),
    );

  it("runs the steps and answers the result", async () => {
    await control({ file: 404 });
    const res = await post({
      id: "walk",
      service: "app",
      type: "api",
      baseUrl: `${base}/api/v1`,
      headers: { authorization: `Bearer ${TOKEN}` },
      steps: [
        { name: "user", url: "/users/7" },
        { name: "file", url: "/files/42", expectedStatus: [200], statusNotes: { 404: "missing" } },
      ],
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      status: "down",
      statusCode: 404,
      reason: 'step 2 "file" (GET /files/42): expected status 200, got 404: missing',
      steps: [
        { name: "user", status: "up" },
        { name: "file", status: "down" },
      ],
    });
  });

  it("refuses a secret its configured monitor does not send, naming the field", async () => {
    const res = await post({
      id: "walk",
      service: "app",
      type: "api",
      baseUrl: `${base}/api/v1`,
      variables: { token: { env: "NUCLEUS_API_TOKEN" } },
      steps: [{ name: "user", url: "/users/{{token}}" }],
    });
    expect(res.status).toBe(400);
    const body = await res.json<{ error: { issues: string[] } }>();
    expect(body.error.issues).toEqual([
      'variables.token: the config\'s monitor "walk" sends no secret NUCLEUS_API_TOKEN; a spec tested here may send only the secrets its configured monitor already sends',
    ]);
  });
});
