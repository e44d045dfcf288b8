/** TCP probe: can a connection be opened, and how long did it take? Nothing is sent. */
import type { ProbeResult } from "../contract/probe";
import { z } from "zod";
import { host, monitorBase, port, timing } from "../config/monitors";
import { probeKind } from "./kind";
import { Deadline } from "./deadline";
import { explainConnectFailure } from "./connect-failure";
import { ConnectError, openTcp } from "./socket";

export const tcpMonitor = z
  .strictObject({
    ...monitorBase,
    type: z.literal("tcp"),
    host,
    port,
  })
  .transform(timing);
export type TcpMonitor = z.infer<typeof tcpMonitor>;

export async function probeTcp(spec: TcpMonitor): Promise<ProbeResult> {
  const started = Date.now();
  const checkedAt = new Date(started).toISOString();
  const deadline = new Deadline(spec.timeout);
  try {
    const socket = await openTcp(spec.host, spec.port, deadline);
    const latencyMs = Date.now() - started;
    socket.close();
    return { status: "up", latencyMs, checkedAt };
  } catch (err) {
    const latencyMs = Date.now() - started;
    const reason =
      err instanceof ConnectError
        ? await explainConnectFailure(spec.host, spec.port, Math.min(deadline.remaining, 5_000))
        : (err as Error).message;
    return { status: "down", latencyMs, reason, checkedAt };
  } finally {
    deadline.clear();
  }
}

export const tcp = probeKind({
  type: "tcp",
  schema: tcpMonitor,
  run: probeTcp,
  target: (spec) => ({ path: "host", host: spec.host }),
});
