/**
 * Spawn kind "nucleus": the Nucleus API the runbook's scripts talk to, under `/api/v1`, for the
 * `api` probe. Every request needs `authorization: Bearer <token>` (option `token`), else 401.
 *
 * - `GET /users/:id`: `{ id, role }`; `GET /files/:id`: `{ id, owner, project_id }`, or the
 *   status set by control `file` (403, 404); `GET /projects/:p/permissions/:u`:
 *   `{ permissions }` (control `permissions`), or the status set by control `permissionsStatus`.
 * - `POST /files/upload`: reads the body at control `uploadRate` bytes/s (0: as fast as it
 *   comes), then answers `{ received, fileBytes }`; a multipart body's file part is measured by
 *   its boundary. `GET /files/:id/download?bytes=N`: N bytes written at `downloadRate` bytes/s.
 * - `/echo`: the request's method, headers and body as JSON.
 * - `GET /whoami`: `{ session }`, a value made from the token (a secret echoed back).
 * - `GET /slow?ms=N`: answers after N ms. Response header `x-session` carries control `session`.
 *
 * Control answers `{ settings, uploads }`: each upload as the server received it (bytes, ms
 * from first to last byte, content-length and transfer-encoding headers, file part size).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { listenOnLoopback, type Spawned } from "./index";

interface Settings {
  file: number;
  permissions: string[];
  permissionsStatus: number;
  uploadRate: number;
  downloadRate: number;
  session: string;
}

interface Upload {
  bytes: number;
  ms: number;
  contentLength: string | null;
  transferEncoding: string | null;
  /** The multipart file part's size, or null for a raw body. */
  fileBytes: number | null;
  field: string | null;
}

/** Reads a request at `rate` bytes/s (0: unthrottled), keeping its first and last bytes. */
function readThrottled(req: IncomingMessage, rate: number): Promise<{ bytes: number; ms: number; head: Buffer; tail: Buffer }> {
  return new Promise((resolve, reject) => {
    let bytes = 0;
    let first = 0;
    let head = Buffer.alloc(0);
    let tail = Buffer.alloc(0);
    req.on("data", (chunk: Buffer) => {
      if (bytes === 0) first = Date.now();
      bytes += chunk.byteLength;
      if (head.byteLength < 1024) head = Buffer.concat([head, chunk]).subarray(0, 1024);
      tail = Buffer.concat([tail, chunk]).subarray(-256);
      if (rate > 0) {
        const due = first + (bytes / rate) * 1000 - Date.now();
        if (due > 0) {
          req.pause();
          setTimeout(() => req.resume(), due);
        }
      }
    });
    req.on("end", () => resolve({ bytes, ms: bytes === 0 ? 0 : Date.now() - first, head, tail }));
    req.on("error", reject);
  });
}

/** Writes `bytes` bytes at `rate` bytes/s (0: as fast as the socket takes them). */
async function writeThrottled(res: ServerResponse, bytes: number, rate: number): Promise<void> {
  const chunk = Buffer.alloc(16 * 1024, 0x61);
  const started = Date.now();
  let sent = 0;
  while (sent < bytes && !res.destroyed) {
    const n = Math.min(chunk.byteLength, bytes - sent);
    const ok = res.write(chunk.subarray(0, n));
    sent += n;
    if (!ok) await new Promise((r) => res.once("drain", r));
    if (rate > 0) {
      const due = started + (sent / rate) * 1000 - Date.now();
      if (due > 0) await new Promise((r) => setTimeout(r, due));
    }
  }
  res.end();
}

export async function spawnNucleus(options: { token?: string } = {}): Promise<Spawned> {
  const token = options.token ?? "nucleus-test-token";
  const defaults: Settings = {
    file: 200,
    permissions: ["read", "write"],
    permissionsStatus: 200,
    uploadRate: 0,
    downloadRate: 0,
    session: "",
  };
  let settings = { ...defaults };
  const uploads: Upload[] = [];
  const json = (res: ServerResponse, status: number, value: unknown) => {
    res.writeHead(status, { "content-type": "application/json", ...(settings.session && { "x-session": settings.session }) });
    res.end(JSON.stringify(value));
  };
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://nucleus");
    const path = url.pathname.replace(/^\/api\/v1/, "");
    if (req.headers.authorization !== `Bearer ${token}`) {
      req.resume();
      return json(res, 401, { error: "unauthorized" });
    }
    let m: RegExpExecArray | null;
    if (req.method === "POST" && path === "/files/upload") {
      const type = req.headers["content-type"] ?? "";
      const got = await readThrottled(req, settings.uploadRate);
      const boundary = /boundary=([^;]+)/.exec(type)?.[1];
      let fileBytes: number | null = null;
      let field: string | null = null;
      if (boundary) {
        const text = got.head.toString("latin1");
        const end = text.indexOf("\r\n\r\n");
        const closing = `\r\n--${boundary}--\r\n`;
        if (text.startsWith(`--${boundary}\r\n`) && end > 0 && got.tail.toString("latin1").endsWith(closing)) {
          field = /name="([^"]*)"/.exec(text.slice(0, end))?.[1] ?? null;
          fileBytes = got.bytes - (end + 4) - closing.length;
        }
        if (fileBytes === null) return json(res, 400, { error: "malformed multipart body" });
      }
      uploads.push({
        bytes: got.bytes,
        ms: got.ms,
        contentLength: req.headers["content-length"] ?? null,
        transferEncoding: req.headers["transfer-encoding"] ?? null,
        fileBytes,
        field,
      });
      return json(res, 200, { received: got.bytes, fileBytes });
    }
    if (path === "/echo") {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      return json(res, 200, { method: req.method, headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
    }
    req.resume();
    if ((m = /^\/users\/([^/]+)$/.exec(path))) return json(res, 200, { id: m[1], role: "editor" });
    if (path === "/whoami") return json(res, 200, { session: `${token}.session` });
    if ((m = /^\/files\/([^/]+)\/download$/.exec(path))) {
      res.writeHead(200, { "content-type": "application/octet-stream" });
      return writeThrottled(res, Number(url.searchParams.get("bytes") ?? 1024), settings.downloadRate);
    }
    if ((m = /^\/files\/([^/]+)$/.exec(path))) {
      if (settings.file !== 200) return json(res, settings.file, { error: settings.file === 403 ? "forbidden" : "not found" });
      return json(res, 200, { id: m[1], owner: "3", project_id: "p 9" });
    }
    if ((m = /^\/projects\/([^/]+)\/permissions\/([^/]+)$/.exec(path))) {
      if (settings.permissionsStatus !== 200) return json(res, settings.permissionsStatus, { error: "no permission" });
      return json(res, 200, { project: decodeURIComponent(m[1]!), user: m[2], permissions: settings.permissions });
    }
    if (path === "/slow") {
      const timer = setTimeout(() => json(res, 200, { ok: true }), Number(url.searchParams.get("ms") ?? 1000));
      res.on("close", () => clearTimeout(timer));
      return;
    }
    return json(res, 404, { error: "no such route" });
  });
  const spawned = await listenOnLoopback(server);
  return {
    ...spawned,
    async control(body: Partial<Settings> & { reset?: boolean }) {
      if (body.reset) {
        settings = { ...defaults };
        uploads.length = 0;
      }
      const { reset: _reset, ...rest } = body;
      settings = { ...settings, ...rest };
      return { settings, uploads };
    },
  };
}
