/**
 * `POST /v1/probe`: "test before you save". Takes one monitor spec as it would appear in the
 * config, runs it now, and answers the probe result. An invalid spec is a 400 listing every
 * problem by path (`url: Invalid url`, `json[0].value: …`); a spec reaching further than the
 * config does is refused (../probe.ts).
 */
import { monitorSpec, type ConfigEnv } from "../../config";
import { retryNetworkFailures } from "../../engine/retry";
import { runProbe } from "../../probes";
import { jsonError, readJson } from "../errors";
import { answer, bodySchema, declarer, on, refusal, routes } from "../openapi";
import { missingSecrets, tooSlowToWaitFor, unconfiguredPrivateTarget, unconfiguredSecrets } from "../probe";

/** A spec is small; anything bigger is a mistake. */
const MAX_SPEC_BYTES = 64 * 1024;

export const testProbe = declarer(
  "admin",
  "admin",
)({
  method: "post",
  path: "/probe",
  summary: "Run one monitor spec now (test before you save)",
  request: {
    body: { required: true, description: "One monitor spec, as in the config", content: { "application/json": { schema: monitorSpec } } },
  },
  responses: {
    200: answer("Probe result", "application/json"),
    400: refusal("Invalid JSON or spec (every issue with its path), or a named secret is not set"),
    413: refusal("Spec over 64 KiB"),
  },
});

export function probeRoutes() {
  const app = routes();
  on(app, testProbe, async (c) => {
    const spec = await readJson(c, bodySchema(testProbe), { code: "invalid_monitor", what: "monitor spec", maxBytes: MAX_SPEC_BYTES });
    if (spec instanceof Response) return spec;
    const config = c.get("config");
    const beyond = [...unconfiguredSecrets(spec, config), ...unconfiguredPrivateTarget(spec, config)];
    if (beyond.length > 0) return jsonError(c, 400, "invalid_monitor", "the monitor spec reaches further than the config allows", beyond);
    const missing = missingSecrets(spec, c.env as ConfigEnv);
    if (missing.length > 0) return jsonError(c, 400, "invalid_monitor", "the monitor spec names secrets that are not set", missing);
    const slow = tooSlowToWaitFor(spec);
    if (slow.length > 0) return jsonError(c, 400, "invalid_monitor", `invalid monitor spec (${slow.length} problem)`, slow);
    // With `retries`, as the runner does: again after a network failure only, saying how many attempts it took.
    if (!spec.retries) return c.json(await runProbe(spec, c.env as ConfigEnv));
    const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
    const { result, attempts } = await retryNetworkFailures(() => runProbe(spec, c.env as ConfigEnv), spec.retries, sleep);
    return c.json({ ...result, attempts });
  });
  return app;
}
