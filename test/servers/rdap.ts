/**
 * Spawn kind "rdap": an RDAP server (RFC 9082 / 9083) answering domain lookups from a table,
 * written here independently of Vigil's domain probe, and an RFC 9224 bootstrap registry.
 *
 * Options: `domains: { "<name>": { expires?: ISO date, status?: string[], registrar?: string,
 * redirect?: true } }`. `GET /domain/<name>` answers `application/rdap+json` with the usual
 * events (registration, last changed and, when `expires` is given, expiration); an unknown name
 * answers 404 with an RDAP error. `redirect`: the answer is at `/registrar/domain/<name>` and
 * `/domain/<name>` redirects there (a registry sending the client to the registrar's server).
 * Base-path prefixes change the behaviour: `/html/` answers an HTML page, `/big/` a 2 MiB JSON
 * body, `/loop/` redirects to itself, `/silent/` never answers, `/error/` answers 503.
 * `GET /dns.json` is a bootstrap registry mapping `tlds` (option, default ["test"]) to this
 * server. `GET /requests` lists the paths asked so far.
 */
import { createServer } from "node:http";
import { listenOnLoopback, type Spawned } from "./index";

interface DomainEntry {
  expires?: string;
  status?: string[];
  registrar?: string;
  redirect?: boolean;
}

export async function spawnRdap(options: { domains?: Record<string, DomainEntry>; tlds?: string[] }): Promise<Spawned> {
  const domains = options.domains ?? {};
  const requests: string[] = [];
  let base = "";
  const record = (name: string, entry: DomainEntry) => ({
    rdapConformance: ["rdap_level_0"],
    objectClassName: "domain",
    handle: `${name.toUpperCase()}-TEST`,
    ldhName: name,
    status: entry.status ?? ["active"],
    events: [
      { eventAction: "registration", eventDate: "2019-03-01T10:00:00Z" },
      { eventAction: "last changed", eventDate: "2026-01-01T00:00:00Z" },
      ...(entry.expires ? [{ eventAction: "expiration", eventDate: entry.expires }] : []),
    ],
    entities: [
      {
        objectClassName: "entity",
        roles: ["registrar"],
        vcardArray: [
          "vcard",
          [
            ["version", {}, "text", "4.0"],
            ["fn", {}, "text", entry.registrar ?? "Vigil Test Registrar"],
          ],
        ],
      },
    ],
  });
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    if (path !== "/requests") requests.push(path);
    const json = (status: number, body: unknown, type = "application/rdap+json") => {
      res.writeHead(status, { "content-type": type });
      res.end(JSON.stringify(body));
    };
    if (path === "/requests") return json(200, requests, "application/json");
    if (path === "/dns.json")
      return json(
        200,
        { version: "1.0", publication: "2026-01-01T00:00:00Z", services: [[options.tlds ?? ["test"], [`${base}/`]]] },
        "application/json",
      );
    const m = /^\/(html\/|big\/|loop\/|silent\/|error\/|registrar\/)?domain\/([^/]+)$/.exec(path);
    if (!m) return json(400, { errorCode: 400, title: "not a domain lookup" });
    const [, prefix, name] = m as unknown as [string, string | undefined, string];
    if (prefix === "silent/") return; // never answers
    if (prefix === "error/") return json(503, { errorCode: 503, title: "try later" });
    if (prefix === "html/") {
      res.writeHead(200, { "content-type": "text/html" });
      return res.end("<html><body>Whois lookup</body></html>");
    }
    if (prefix === "loop/") {
      res.writeHead(302, { location: path });
      return res.end();
    }
    if (prefix === "big/") {
      res.writeHead(200, { "content-type": "application/rdap+json" });
      return res.end(JSON.stringify({ objectClassName: "domain", remarks: ["x".repeat(2 * 1024 * 1024)] }));
    }
    const entry = domains[decodeURIComponent(name).toLowerCase()];
    if (!entry) return json(404, { errorCode: 404, title: "Not Found", description: ["The domain is not registered here."] });
    if (entry.redirect && prefix !== "registrar/") {
      res.writeHead(301, { location: `${base}/registrar/domain/${name}` });
      return res.end();
    }
    return json(200, record(name, entry));
  });
  const spawned = await listenOnLoopback(server);
  base = spawned.info.url as string;
  return spawned;
}
