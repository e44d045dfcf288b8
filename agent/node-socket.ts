/**
 * The part of `cloudflare:sockets` the probes use (`Connect` in src/probes/socket.ts), over
 * node:net: the host agent hands it to the shared probes (`useSocketConnect`), so its TCP and
 * TLS monitors run the worker's own code. Reads are pulled (the socket pauses while nobody
 * reads); every wait is bounded by the probe's deadline, which closes the socket.
 */
import { connect as netConnect } from "node:net";
import type { Connect, EdgeSocket } from "../src/probes/socket";

export const nodeConnect: Connect = (address, options): EdgeSocket => {
  const socket = netConnect({ host: address.hostname, port: address.port, allowHalfOpen: options.allowHalfOpen });
  socket.pause();
  const opened = new Promise<{ remoteAddress?: string }>((resolve, reject) => {
    socket.once("connect", () => resolve(socket.remoteAddress === undefined ? {} : { remoteAddress: socket.remoteAddress }));
    socket.once("error", reject);
  });
  const closed = new Promise<void>((resolve, reject) => {
    let failure: Error | undefined;
    socket.once("error", (err) => (failure = err));
    socket.once("close", () => (failure ? reject(failure) : resolve()));
  });
  // Nobody may await these; a refused connection must not become an unhandled rejection.
  opened.catch(() => {});
  closed.catch(() => {});
  let ended = false;
  const readable = new ReadableStream<Uint8Array>({
    start(controller) {
      socket.on("data", (chunk: Buffer) => {
        controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        if ((controller.desiredSize ?? 0) <= 0) socket.pause();
      });
      const end = (err?: Error) => {
        if (ended) return;
        ended = true;
        if (err) controller.error(err);
        else controller.close();
      };
      socket.once("end", () => end());
      socket.once("error", (err) => end(err));
      socket.once("close", () => end());
    },
    pull() {
      socket.resume();
    },
    cancel() {
      socket.destroy();
    },
  });
  const writable = new WritableStream<Uint8Array>({
    write: (chunk) => new Promise<void>((resolve, reject) => socket.write(chunk, (err) => (err ? reject(err) : resolve()))),
    close: () => new Promise<void>((resolve) => socket.end(resolve)),
    abort: () => void socket.destroy(),
  });
  return {
    opened,
    closed,
    readable,
    writable,
    close: async () => void socket.destroy(),
  };
};
