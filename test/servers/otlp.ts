/**
 * Spawn kind "otlp": an OTLP/HTTP trace receiver (JSON encoding) on loopback. It records every
 * `POST /v1/traces` (headers and the decoded `ExportTraceServiceRequest`) and answers as its
 * mode says (`POST /control/spawned/<port>` with `{ mode }`, which answers `{ received }`):
 * - `"ok"` (default): 200 `{}` (an `ExportTraceServiceResponse` without partial success);
 * - a status number (500, 429, …): that status;
 * - `"hang"`: reads the request and never answers.
 */
import { createServer, type ServerResponse } from "node:http";
import type { Spawned } from "./index";
import { listenOnLoopback } from "./index";

export type OtlpMode = "ok" | "hang" | number;

export interface OtlpReceived {
  path: string;
  contentType: string | undefined;
  headers: Record<string, unknown>;
  /** The decoded body, or null when it was not JSON. */
  body: any;
}

export async function spawnOtlp(options: { mode?: OtlpMode } = {}): Promise<Spawned> {
  let mode: OtlpMode = options.mode ?? "ok";
  const received: OtlpReceived[] = [];
  const hanging = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      let body: unknown = null;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        // recorded as null
      }
      received.push({ path: req.url ?? "/", contentType: req.headers["content-type"], headers: req.headers, body });
      if (req.url !== "/v1/traces" || req.method !== "POST") return void res.writeHead(404).end();
      if (mode === "hang") return void hanging.add(res);
      if (mode === "ok") return void res.writeHead(200, { "content-type": "application/json" }).end("{}");
      res.writeHead(mode, { "content-type": "application/json" }).end(JSON.stringify({ code: 13, message: "collector failed" }));
    });
  });
  const spawned = await listenOnLoopback(server);
  return {
    ...spawned,
    async control(body: { mode?: OtlpMode; clear?: boolean }) {
      if (body.mode !== undefined) mode = body.mode;
      if (body.clear) received.length = 0;
      return { mode, received };
    },
  };
}
