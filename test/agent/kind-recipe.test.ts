/**
 * CONTRIBUTING.md, "Adding a kind", followed for an agent check: a trivial kind written here as
 * the recipe says (`checkKind({ kind, schema, run, defaultName })`, the schema a function of the
 * kit). The list in agent/checks/kinds.ts is static (agent/config.ts builds `checks[]` from it),
 * so this shows the two halves: the kind's file validates, runs and names itself with the same
 * kit and helpers the listed kinds use, and everything built from the list covers every kind on it.
 */
import { describe, expect, it } from "vitest";
import { worst, type CheckContext } from "../../agent/checks/check";
import { checkKind, type CheckSpecOf } from "../../agent/checks/kind";
import { checkKinds, runners } from "../../agent/checks/kinds";
import { kit, type SchemaKit } from "../../agent/checks/schema-kit";
import { formatIssues } from "../../lib/config-error";
import { checkId, parseConfig } from "../../agent/config";

// 1. The kind's file.
const schema = (k: SchemaKit) =>
  k.z.strictObject({
    kind: k.z.literal("always-ok"),
    ...k.common,
    /** What the finding says. */
    says: k.z.string().min(1).default("fine"),
    latencyWarn: k.duration.prefault("1s"),
  });
type AlwaysOkSpec = CheckSpecOf<typeof schema>;

async function runAlwaysOk(spec: AlwaysOkSpec, _ctx: CheckContext) {
  return [{ status: worst("ok"), summary: spec.says, metrics: { up: 1 } }];
}

const alwaysOk = checkKind({ kind: "always-ok", schema, run: runAlwaysOk, defaultName: (spec) => spec.says });

const context: CheckContext = { signal: new AbortController().signal, docker: undefined as never, memory: new Map(), now: () => 0 };

describe("adding an agent check kind", () => {
  it("validates with the kit: the common fields, defaults and error paths of every check", () => {
    const checks = kit.z.array(alwaysOk.schema(kit));
    expect(checks.parse([{ kind: "always-ok", timeout: "5s" }])).toEqual([
      { kind: "always-ok", says: "fine", timeout: 5_000, latencyWarn: 1_000 },
    ]);
    const bad = checks.safeParse([{ kind: "always-ok", says: "", latencyWarn: "soon", remediate: { container: "" } }]);
    expect(formatIssues(bad.error!.issues)).toEqual([
      "[0].remediate.container: Too small: expected string to have >=1 characters",
      "[0].says: Too small: expected string to have >=1 characters",
      '[0].latencyWarn: expected a duration such as "30s" or "5m", got "soon"',
    ]);
  });

  it("runs and names itself", async () => {
    const spec = { ...alwaysOk.schema(kit).parse({ kind: "always-ok", says: "all good" }), timeout: 1_000 };
    expect(await alwaysOk.run(spec, context)).toEqual([{ status: "ok", summary: "all good", metrics: { up: 1 } }]);
    expect(`${alwaysOk.kind}:${alwaysOk.defaultName(spec)}`).toBe("always-ok:all good");
  });

  it("everything built from the list covers every kind on it", () => {
    const kinds = checkKinds.map((k) => k.kind);
    expect(Object.keys(runners)).toEqual(kinds);
    const minimal: Record<string, object> = {
      docker: { container: "db" },
      postgres: { url: "postgres://127.0.0.1/app" },
      redis: {},
      host: {},
      logs: { file: "/var/log/app.log" },
      http: { url: "http://127.0.0.1/health" },
      tcp: { host: "127.0.0.1", port: 5432 },
      certfile: { path: "/etc/ssl/app.pem" },
    };
    expect(Object.keys(minimal)).toEqual(kinds);
    const config = parseConfig({ agent: { id: "app-01" }, checks: kinds.map((kind) => ({ kind, ...minimal[kind] })) });
    expect(config.checks.map(checkId)).toEqual([
      "docker:db",
      "postgres:127.0.0.1:default",
      "redis:127.0.0.1:6379",
      "host:local",
      "logs:/var/log/app.log",
      "http:127.0.0.1/health",
      "tcp:127.0.0.1:5432",
      "certfile:/etc/ssl/app.pem",
    ]);
  });

  it("is refused by the type checker when a piece is missing or does not fit", () => {
    // @ts-expect-error — no `defaultName`: a check must say what it watches when the config names nothing.
    checkKind({ kind: "always-ok", schema, run: runAlwaysOk });
    // @ts-expect-error — `kind` must be the schema's `kind` literal.
    checkKind({ kind: "never-ok", schema, run: runAlwaysOk, defaultName: () => "x" });
    expect(true).toBe(true);
  });
});
