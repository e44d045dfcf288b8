/**
 * Spawn kind "statuspage-document": a provider's public status page in the Statuspage format
 * (`/api/v2/status.json`, `/api/v2/incidents/unresolved.json`, `/api/v2/summary.json`), whose
 * incidents the tests switch on and off. (`./statuspage.ts` is the other side of Statuspage: the
 * management API the notify channel writes to.)
 *
 * Control (JSON), from the tests inside workerd:
 * - `POST /_control/incidents` `{ incidents: [{ name, impact?, status? }], indicator? }`: the
 *   open incidents; the indicator defaults to the most severe impact (`none` without incidents).
 * - `POST /_control/raw` `{ path?, status?, body?, contentType?, delayMs? }` or `null`: answer
 *   requests (for `path` only, when given) with exactly this, until cleared: bad documents,
 *   HTTP errors, a hang past the timeout, a huge body.
 * - `GET /_control`: `{ requests }` (method and path of each request so far).
 */
import { createServer, type IncomingMessage } from "node:http";
import { listenOnLoopback, type Spawned } from "./index";

interface Incident {
  name: string;
  impact?: string;
  status?: string;
}

interface Raw {
  path?: string;
  status?: number;
  body?: string;
  /** Repeats `body` this many times (a large document without a large control request). */
  repeat?: number;
  contentType?: string;
  delayMs?: number;
}

const SEVERITY = ["none", "minor", "major", "critical"];
const STATUS_TEXT: Record<string, string> = {
  none: "All Systems Operational",
  minor: "Minor Service Outage",
  major: "Partial System Outage",
  critical: "Major System Outage",
};

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

export async function spawnStatuspageDocument(options: { pageName?: string } = {}): Promise<Spawned> {
  const page = {
    id: "upstrm0001",
    name: options.pageName ?? "Upstream Cloud",
    url: "https://status.upstream.example",
    time_zone: "Etc/UTC",
    updated_at: "",
  };
  let incidents: Incident[] = [];
  let indicator: string | null = null;
  let raw: Raw | null = null;
  const requests: { method: string; path: string; at: number }[] = [];

  const currentIndicator = () => indicator ?? SEVERITY[Math.max(0, ...incidents.map((i) => SEVERITY.indexOf(i.impact ?? "minor")))]!;
  const incidentDocs = () =>
    incidents.map((i, n) => ({
      id: `inc${n}`,
      name: i.name,
      status: i.status ?? "investigating",
      impact: i.impact ?? "minor",
      created_at: new Date(Date.UTC(2026, 11, 6, 9, n)).toISOString(),
      updated_at: new Date().toISOString(),
      shortlink: `https://stspg.io/inc${n}`,
      incident_updates: [{ status: i.status ?? "investigating", body: "We are investigating.", created_at: new Date().toISOString() }],
      components: [],
    }));
  const status = () => ({ indicator: currentIndicator(), description: STATUS_TEXT[currentIndicator()] ?? "Service Under Maintenance" });

  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    const path = new URL(req.url ?? "/", "http://upstream").pathname;
    const send = (code: number, text: string, type = "application/json") => {
      res.writeHead(code, { "content-type": type });
      res.end(text);
    };
    if (path.startsWith("/_control")) {
      const value = body ? JSON.parse(body) : undefined;
      if (req.method === "POST" && path === "/_control/incidents") {
        incidents = value.incidents ?? [];
        indicator = value.indicator ?? null;
      } else if (req.method === "POST" && path === "/_control/raw") raw = value ?? null;
      return send(200, JSON.stringify({ requests }));
    }
    requests.push({ method: req.method ?? "GET", path, at: Date.now() });
    if (raw && (raw.path === undefined || raw.path === path)) {
      if (raw.delayMs) await new Promise((r) => setTimeout(r, raw!.delayMs));
      if (res.destroyed) return;
      return send(raw.status ?? 200, (raw.body ?? "").repeat(raw.repeat ?? 1), raw.contentType ?? "application/json");
    }
    const stamped = { ...page, updated_at: new Date().toISOString() };
    if (path === "/api/v2/status.json") return send(200, JSON.stringify({ page: stamped, status: status() }));
    if (path === "/api/v2/incidents/unresolved.json") return send(200, JSON.stringify({ page: stamped, incidents: incidentDocs() }));
    if (path === "/api/v2/summary.json") {
      return send(
        200,
        JSON.stringify({ page: stamped, components: [], incidents: incidentDocs(), scheduled_maintenances: [], status: status() }),
      );
    }
    send(404, JSON.stringify({ error: "not found" }));
  });
  return listenOnLoopback(server);
}
