/**
 * Docker containers through the Engine API (the runbook's `docker ps` / `docker inspect`):
 * running, health, restart count and its increase, OOM kill, exit code, uptime. A container
 * that is expected but missing is critical.
 */
import { safeCheckId } from "../config-common";
import type { ContainerInspect } from "../docker-api";
import { formatDurationApprox as formatDuration } from "../../lib/duration";
import { type CheckContext, type Finding, type CheckStatus, delta, worst } from "./check";
import { checkKind, type CheckSpecOf } from "./kind";
import type { SchemaKit } from "./schema-kit";

/** The `docker` check's config: `checks[]` entries with `kind: "docker"`. */
const schema = (k: SchemaKit) =>
  k.z.strictObject({
    kind: k.z.literal("docker"),
    ...k.common,
    /** A container name; exactly one of `container` and `label`. */
    container: k.z.string().min(1).optional(),
    /** `key` or `key=value`: every container carrying it is checked. */
    label: k.z.string().min(1).optional(),
    /** Restarts since the previous check at or above this are `warn`. Default 1. */
    restartsWarn: k.z.int().min(1).default(1),
    /** Restarts since the previous check at or above this are `critical`. Default 3. */
    restartsCritical: k.z.int().min(1).default(3),
  });

type DockerSpec = CheckSpecOf<typeof schema>;

/** What the engine says about one container, reduced to what is judged. */
export interface ContainerObservation {
  name: string;
  exists: boolean;
  running: boolean;
  state: string;
  exitCode: number;
  oomKilled: boolean;
  health: string | null;
  failingStreak: number;
  lastHealthOutput: string | null;
  restartCount: number;
  restartIncrease: number;
  uptimeSeconds: number | null;
}

export function observeContainer(
  name: string,
  inspect: ContainerInspect | null,
  restartIncrease: number,
  now: number,
): ContainerObservation {
  if (!inspect) {
    return {
      name,
      exists: false,
      running: false,
      state: "missing",
      exitCode: 0,
      oomKilled: false,
      health: null,
      failingStreak: 0,
      lastHealthOutput: null,
      restartCount: 0,
      restartIncrease: 0,
      uptimeSeconds: null,
    };
  }
  const s = inspect.State;
  const started = Date.parse(s.StartedAt);
  const health = s.Health?.Status ? s.Health.Status : null;
  const log = s.Health?.Log;
  return {
    name,
    exists: true,
    running: s.Running,
    state: s.Status,
    exitCode: s.ExitCode,
    oomKilled: s.OOMKilled,
    health,
    failingStreak: s.Health?.FailingStreak ?? 0,
    lastHealthOutput: log && log.length > 0 ? (log[log.length - 1]!.Output ?? "").trim().slice(0, 200) : null,
    restartCount: inspect.RestartCount,
    restartIncrease,
    uptimeSeconds: s.Running && Number.isFinite(started) && started > 0 ? Math.max(0, (now - started) / 1000) : null,
  };
}

/** Pure judgement of one container. */
export function judgeContainer(spec: Pick<DockerSpec, "restartsWarn" | "restartsCritical">, o: ContainerObservation): Finding {
  const metrics = {
    running: o.running ? 1 : 0,
    restartCount: o.restartCount,
    restartIncrease: o.restartIncrease,
    oomKilled: o.oomKilled ? 1 : 0,
    exitCode: o.exitCode,
    healthy: o.health === null ? undefined : o.health === "healthy" ? 1 : 0,
    uptimeSeconds: o.uptimeSeconds === null ? undefined : Math.round(o.uptimeSeconds),
  };
  if (!o.exists) return { status: "critical", summary: `container ${o.name} is expected but missing`, metrics: { running: 0 } };
  const notes: string[] = [];
  const statuses: CheckStatus[] = [];
  if (!o.running) {
    statuses.push("critical");
    notes.push(`container ${o.state} (${o.exitCode}${o.oomKilled ? ", OOMKilled" : ""})`);
  } else {
    notes.push(`running for ${formatDuration((o.uptimeSeconds ?? 0) * 1000)}`);
    if (o.oomKilled) {
      statuses.push("warn");
      notes.push("was OOM-killed");
    }
  }
  if (o.health === "unhealthy") {
    statuses.push("critical");
    notes.push(`unhealthy (${o.failingStreak} failing${o.lastHealthOutput ? `: ${o.lastHealthOutput}` : ""})`);
  } else if (o.health && o.health !== "healthy" && o.running) {
    notes.push(`health ${o.health}`);
  } else if (o.health === "healthy") notes.push("healthy");
  if (o.restartIncrease >= spec.restartsCritical) {
    statuses.push("critical");
    notes.push(`restarted ${o.restartIncrease} times since the last check`);
  } else if (o.restartIncrease >= spec.restartsWarn) {
    statuses.push("warn");
    notes.push(`restarted ${o.restartIncrease} time${o.restartIncrease === 1 ? "" : "s"} since the last check`);
  }
  return { status: worst(...statuses), summary: notes.join("; "), metrics };
}

export async function runDocker(spec: DockerSpec, ctx: CheckContext): Promise<Finding[]> {
  const names = spec.container ? [spec.container] : await ctx.docker.namesByLabel(spec.label!, ctx.signal);
  if (names.length === 0) {
    return [{ status: "critical", summary: `no container carries the label ${spec.label}`, metrics: { containers: 0 } }];
  }
  const findings = await Promise.all(
    names.map(async (name) => {
      const inspect = await ctx.docker.inspect(name, ctx.signal);
      const increase = inspect ? (delta(ctx.memory, `restarts:${inspect.Id}`, inspect.RestartCount) ?? 0) : 0;
      const finding = judgeContainer(spec, observeContainer(name, inspect, increase, ctx.now()));
      return spec.label ? { ...finding, id: safeCheckId(`docker:${name}`) } : finding;
    }),
  );
  return findings;
}

export const docker = checkKind({
  kind: "docker",
  schema,
  run: runDocker,
  defaultName: (spec) => (spec.container ? spec.container : `label=${spec.label}`),
  problems: (spec) =>
    (spec.container === undefined) === (spec.label === undefined)
      ? [{ path: [], message: "needs exactly one of container and label" }]
      : [],
});
