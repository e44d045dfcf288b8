/** A TCP port on this host or a neighbour accepts connections, and how fast. */
import { connect } from "node:net";
import { errorText } from "../log";
import { type CheckContext, type Finding, grade, round } from "./check";
import { monotonicMs } from "../time";
import { checkKind, type CheckSpecOf } from "./kind";
import type { SchemaKit } from "./schema-kit";

/** The `tcp` check's config: `checks[]` entries with `kind: "tcp"`. */
const schema = (k: SchemaKit) =>
  k.z.strictObject({
    kind: k.z.literal("tcp"),
    ...k.common,
    host: k.z.string().min(1),
    port: k.z.int().min(1).max(65535),
    latencyWarn: k.duration.prefault("1s"),
  });

type TcpSpec = CheckSpecOf<typeof schema>;

export async function runTcp(spec: TcpSpec, ctx: CheckContext): Promise<Finding[]> {
  const t0 = monotonicMs();
  try {
    await new Promise<void>((resolve, reject) => {
      const sock = connect({ host: spec.host, port: spec.port, signal: ctx.signal, timeout: spec.timeout });
      sock.once("connect", () => {
        sock.destroy();
        resolve();
      });
      sock.once("timeout", () => {
        sock.destroy();
        reject(new Error(`no connection within ${spec.timeout} ms`));
      });
      sock.once("error", reject);
    });
    const ms = monotonicMs() - t0;
    const status = grade(ms, spec.latencyWarn, undefined);
    return [
      {
        status,
        summary: `${spec.host}:${spec.port} accepted in ${round(ms)} ms${status === "ok" ? "" : " (slow)"}`,
        metrics: { up: 1, connectMs: round(ms, 2) },
      },
    ];
  } catch (err) {
    return [{ status: "critical", summary: `${spec.host}:${spec.port} refused: ${errorText(err)}`, metrics: { up: 0 } }];
  }
}

export const tcp = checkKind({
  kind: "tcp",
  schema,
  run: runTcp,
  defaultName: (spec) => `${spec.host}:${spec.port}`,
});
