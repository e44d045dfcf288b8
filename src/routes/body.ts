/** Reading request bodies without trusting their declared size. */

export interface CappedBody {
  /** At most `limit` bytes. */
  bytes: Uint8Array;
  /** The body had more than `limit` bytes (the rest was not read). */
  overflow: boolean;
}

/**
 * Reads at most `limit` bytes of a request body, counting what actually arrives (a missing or
 * lying Content-Length cannot push more through), and stops reading once past the limit.
 */
export async function readAtMost(request: Request, limit: number): Promise<CappedBody> {
  if (!request.body) return { bytes: new Uint8Array(0), overflow: false };
  // A declared length within the limit: HTTP framing delivers exactly that many bytes, so
  // one native read does (the stream loop below is for chunked bodies of unknown size).
  const declared = Number(request.headers.get("content-length") ?? NaN);
  if (Number.isInteger(declared) && declared >= 0 && declared <= limit) {
    const bytes = new Uint8Array(await request.arrayBuffer());
    if (bytes.byteLength <= limit) return { bytes, overflow: false };
    return { bytes: bytes.subarray(0, limit), overflow: true };
  }
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let overflow = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const room = limit - size;
    if (value.byteLength > room) {
      if (room > 0) chunks.push(value.subarray(0, room));
      size = limit;
      overflow = true;
      await reader.cancel().catch(() => undefined);
      break;
    }
    chunks.push(value);
    size += value.byteLength;
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.byteLength;
  }
  return { bytes, overflow };
}
