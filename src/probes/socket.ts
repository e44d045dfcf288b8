/**
 * Raw TCP from the edge with `cloudflare:sockets`, every wait bounded by the probe's deadline.
 * Used by the TCP probe (connect only) and the TLS probe (its own handshake on top).
 */
import { TimeoutError, type Deadline } from "./deadline";
import type { Transport } from "./tls/handshake";

/**
 * The connection could not be made. The runtime does not say why (refused, unreachable or no
 * such host): `explainConnectFailure` finds out.
 */
export class ConnectError extends Error {
  override readonly name = "ConnectError";
}

/**
 * The part of `cloudflare:sockets` used here, spelled out: this file is also type-checked for
 * Node (the config lists the probe kinds, and Node tools load the config), where that module
 * does not exist.
 */
export interface EdgeSocket {
  opened: Promise<{ remoteAddress?: string }>;
  closed: Promise<void>;
  readable: ReadableStream<Uint8Array>;
  writable: WritableStream<Uint8Array>;
  close(): Promise<void>;
}
export type Connect = (
  address: { hostname: string; port: number },
  options: { secureTransport: "off"; allowHalfOpen: boolean },
) => EdgeSocket;

/** Set by a runtime without `cloudflare:sockets` (the host agent: agent/node-socket.ts, over node:net). */
let connectOverride: Connect | null = null;

/**
 * Opens this runtime's sockets with `connect` instead of `cloudflare:sockets`: the host agent
 * runs these same probes in Node (README, "Private locations"). `null` restores the default.
 */
export function useSocketConnect(connect: Connect | null): void {
  connectOverride = connect;
}

export interface OpenSocket {
  transport: Transport;
  remoteAddress?: string;
  close(): void;
}

export async function openTcp(host: string, port: number, deadline: Deadline): Promise<OpenSocket> {
  const hostname = host.replace(/^\[|\]$/g, "");
  // Imported on use: `npm run validate` bundles the config, and so this file, for Node.
  const connect = connectOverride ?? ((await import("cloudflare:sockets" as string)) as { connect: Connect }).connect;
  const socket = connect({ hostname, port }, { secureTransport: "off", allowHalfOpen: false });
  // `closed` rejects on a refused or reset connection and nothing awaits it. workerd marks it
  // handled today; say so here rather than depend on that.
  socket.closed.catch(() => {});
  const close = () => void socket.close().catch(() => {});
  let info: { remoteAddress?: string };
  try {
    info = await deadline.race(socket.opened, `while connecting to ${host}:${port}`);
  } catch (err) {
    close();
    if (err instanceof TimeoutError) throw err;
    throw new ConnectError(`cannot connect to ${host}:${port}`);
  }
  const reader = socket.readable.getReader();
  const writer = socket.writable.getWriter();
  const transport: Transport = {
    async read() {
      try {
        const { done, value } = await deadline.race(reader.read());
        return done ? null : (value as Uint8Array);
      } catch (err) {
        if (err instanceof TimeoutError) throw err;
        return null; // a reset is a close, as far as the reader is concerned
      }
    },
    write: (bytes) => deadline.race(writer.write(bytes)),
  };
  return { transport, ...(info.remoteAddress !== undefined && { remoteAddress: info.remoteAddress }), close };
}
