/** Reading request and response bodies without trusting their declared size. */

export interface CappedBody {
  /** At most `limit` bytes. */
  bytes: Uint8Array;
  /** The body had more than `limit` bytes (the rest was not read). */
  overflow: boolean;
}

/** Wraps each wait on the body, e.g. a deadline's `race`. */
export type Waiter = <T>(work: Promise<T>) => Promise<T>;

const noWait: Waiter = (work) => work;

/**
 * What happens to the rest of a body past the limit:
 * - `cancel` (responses): stop the transfer, the rest is never downloaded;
 * - `drain` (requests): read the rest and throw it away, at most {@link DRAIN_LIMITS} bytes
 *   and time, before cancelling. A request body left unread or cancelled made `wrangler dev`
 *   stall the next request for 10–40 s ("Failed to drain the unused request body"), and a
 *   later one answer 503.
 */
export type Overflow = "cancel" | "drain";

/** How much of an oversize request body is read and thrown away before giving up on it. */
export const DRAIN_LIMITS = { bytes: 32 * 1024 * 1024, ms: 10_000 } as const;

/** Reads and drops what is left, within {@link DRAIN_LIMITS}; true when the body ended. */
async function drain(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<boolean> {
  const deadline = Date.now() + DRAIN_LIMITS.ms;
  let bytes = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;
  try {
    while (bytes <= DRAIN_LIMITS.bytes) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      const timeout = new Promise<null>((r) => (timer = setTimeout(() => r(null), left)));
      const next = await Promise.race([reader.read(), timeout]);
      if (timer !== null) clearTimeout(timer);
      if (next === null) return false;
      if (next.done) return true;
      bytes += next.value.byteLength;
    }
    return false;
  } catch {
    return false;
  }
}

/**
 * Reads at most `limit` bytes of a body, counting what actually arrives (a missing or lying
 * Content-Length cannot push more through), and stops reading once past the limit: the rest
 * is cancelled, never downloaded (`cancel`), or read and dropped (`drain`, for requests; see
 * {@link Overflow}). A body of exactly `limit` bytes is not an overflow.
 */
export async function readAtMost(
  message: Request | Response,
  limit: number,
  wait: Waiter = noWait,
  overflowed: Overflow = "cancel",
): Promise<CappedBody> {
  if (!message.body) return { bytes: new Uint8Array(0), overflow: false };
  // A declared length within the limit: HTTP framing delivers exactly that many bytes, so one
  // native read does (the stream loop below is for bodies of unknown size). Not for an encoded
  // body: a response's is decoded on the way in, and its length says nothing of the result.
  const declared = Number(message.headers.get("content-length") ?? NaN);
  if (Number.isInteger(declared) && declared >= 0 && declared <= limit && !message.headers.has("content-encoding")) {
    const bytes = new Uint8Array(await wait(message.arrayBuffer()));
    if (bytes.byteLength <= limit) return { bytes, overflow: false };
    return { bytes: bytes.subarray(0, limit), overflow: true };
  }
  const reader = message.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let overflow = false;
  let ended = false;
  try {
    for (;;) {
      const { done, value } = await wait(reader.read());
      if (done) {
        ended = true;
        break;
      }
      const room = limit - size;
      if (value.byteLength > room) {
        if (room > 0) chunks.push(value.subarray(0, room));
        size = limit;
        overflow = true;
        if (overflowed === "drain") ended = await drain(reader);
        break;
      }
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    // Past the limit, or failed (a deadline): stop the transfer. A body read to its end needs no cancel.
    if (!ended) reader.cancel().catch(() => undefined);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.byteLength;
  }
  return { bytes, overflow };
}
