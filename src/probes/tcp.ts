/** TCP probe: can a connection be opened, and how long did it take? Nothing is sent. */
import type { ProbeResult } from "../contract/probe";
import type { TcpMonitor } from "../config";
import { Deadline } from "./deadline";
import { openTcp } from "./socket";

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
    return { status: "down", latencyMs: Date.now() - started, reason: (err as Error).message, checkedAt };
  } finally {
    deadline.clear();
  }
}
