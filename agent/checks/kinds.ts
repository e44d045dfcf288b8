/**
 * The check kinds, one line each. The config's `checks[]` union (agent/config.ts), the runner
 * registry and the check ids are built from this list: adding a check is its file (`./kind.ts`
 * says what it exports) and one line here. CONTRIBUTING.md, "Adding a kind".
 */
import { safeCheckId } from "../config-common";
import type { CheckSpec } from "../config";
import { certfile } from "./certfile";
import type { CheckContext, Finding } from "./check";
import { docker } from "./docker";
import { host } from "./host";
import { http } from "./http";
import type { CheckKindModule, SchemaOf } from "./kind";
import { logs } from "./logs";
import { postgres } from "./postgres";
import { redis } from "./redis";
import { tcp } from "./tcp";

export const checkKinds = [docker, postgres, redis, host, logs, http, tcp, certfile] as const;

type AnyCheckKind = CheckKindModule<SchemaOf>;
const byKind = new Map<string, AnyCheckKind>(checkKinds.map((k) => [k.kind, k as unknown as AnyCheckKind]));

/** The kind module of a check. */
export function kindOf(c: { kind: string }): AnyCheckKind {
  return byKind.get(c.kind)!;
}

/** Each kind's runner, by kind. */
export const runners = Object.fromEntries(checkKinds.map((k) => [k.kind, k.run])) as {
  [K in (typeof checkKinds)[number] as K["kind"]]: K["run"];
};

/** Runs one check of any kind. */
export function runCheck(spec: CheckSpec, ctx: CheckContext): Promise<Finding[]> {
  return kindOf(spec).run(spec, ctx);
}

/** `<kind>:<name>`, the name defaulting to what the check watches (made safe: `safeCheckId`). */
export function checkId(c: CheckSpec): string {
  return safeCheckId(`${c.kind}:${c.name ?? kindOf(c).defaultName(c)}`);
}
