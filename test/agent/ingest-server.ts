/**
 * A loopback stand-in for the worker's ingest route: a real node:http server that verifies
 * `Vigil-Signature` with the contract's own verifier, validates the body with the contract's
 * schema, and records every accepted report. It can be stopped and restarted on the same port.
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { type AgentReport, agentReport } from "../../src/contract/report";
import { SIGNATURE_HEADER, verifyReportSignature } from "../../src/contract/signature";

export interface IngestServer {
  url: string;
  /** Accepted reports in arrival order (repeats of a seq are answered 200 but not recorded). */
  reports: AgentReport[];
  /** Requests with a seq already recorded. */
  duplicates: number[];
  /** Requests refused for a bad signature. */
  badSignatures: number;
  /** Delay before answering, in ms (0 = at once; Infinity = never answer). */
  delayMs: number;
  /** More fields of the answer to an accepted report, as the worker adds them (`monitors`). */
  answer: Record<string, unknown>;
  stop(): Promise<void>;
  start(): Promise<void>;
  waitFor(count: number, timeoutMs?: number): Promise<void>;
}

/** `secret` may be a function: read at each request (a secret that a test learns later). */
export async function startIngestServer(secret: string | (() => string), agentId: string): Promise<IngestServer> {
  let server: Server | null = null;
  let port = 0;
  const state: IngestServer = {
    url: "",
    reports: [],
    duplicates: [],
    badSignatures: 0,
    delayMs: 0,
    answer: {},
    async stop() {
      const s = server;
      server = null;
      if (!s) return;
      s.closeAllConnections();
      await new Promise<void>((r) => s.close(() => r()));
    },
    async start() {
      const s = createServer((req, res) => void handle(req, res));
      await new Promise<void>((r) => s.listen(port, "127.0.0.1", () => r()));
      port = (s.address() as AddressInfo).port;
      state.url = `http://127.0.0.1:${port}`;
      server = s;
    },
    async waitFor(count, timeoutMs = 30_000) {
      const until = Date.now() + timeoutMs;
      while (state.reports.length < count) {
        if (Date.now() > until) throw new Error(`ingest: ${state.reports.length} of ${count} reports after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    if (state.delayMs > 0) {
      if (!Number.isFinite(state.delayMs)) return; // hang: never answer
      await new Promise((r) => setTimeout(r, state.delayMs));
    }
    if (req.method !== "POST" || req.url !== `/v1/agents/${agentId}/reports`) return void res.writeHead(404).end();
    const sig = await verifyReportSignature(
      typeof secret === "function" ? secret() : secret,
      body,
      req.headers[SIGNATURE_HEADER.toLowerCase()] as string,
      Math.floor(Date.now() / 1000),
    );
    if (!sig.ok) {
      state.badSignatures++;
      return void res.writeHead(401).end(JSON.stringify({ error: { code: "bad_signature", message: sig.reason } }));
    }
    const parsed = agentReport.safeParse(JSON.parse(body));
    if (!parsed.success) return void res.writeHead(400).end(JSON.stringify({ error: { code: "invalid", issues: parsed.error.issues } }));
    if (state.reports.some((r) => r.seq === parsed.data.seq)) state.duplicates.push(parsed.data.seq);
    else state.reports.push(parsed.data);
    res.writeHead(202, { "content-type": "application/json" }).end(JSON.stringify({ accepted: true, ...state.answer }));
  }

  await state.start();
  return state;
}
