/**
 * Spawn kind "doh": a DNS-over-HTTPS resolver (RFC 8484, GET and POST) answering from a zone
 * given in the options, written here independently of Vigil's DNS code.
 *
 * Options: `zone: { "name": { A?: string[], AAAA?: string[], CNAME?: string, MX?: [pref, host][], TXT?: string[][] } }`.
 * Unknown names answer NXDOMAIN; `/not-doh` answers HTML. `GET /requests` lists queries seen (with the `traceparent` each carried).
 */
import { createServer } from "node:http";
import { isIPv6 } from "node:net";
import type { AddressInfo } from "node:net";
import type { Spawned } from "./index";

interface ZoneEntry {
  A?: string[];
  AAAA?: string[];
  CNAME?: string;
  MX?: [number, string][];
  TXT?: string[][];
}

const TYPES: Record<number, keyof ZoneEntry> = { 1: "A", 28: "AAAA", 5: "CNAME", 15: "MX", 16: "TXT" };

function encodeName(name: string): Buffer {
  const parts = name.replace(/\.$/, "").split(".").filter(Boolean);
  return Buffer.concat([...parts.map((p) => Buffer.concat([Buffer.from([Buffer.byteLength(p)]), Buffer.from(p)])), Buffer.from([0])]);
}

function ipv6Bytes(ip: string): Buffer {
  if (!isIPv6(ip)) throw new Error(`not IPv6: ${ip}`);
  const [h, t] = ip.split("::");
  const head = h ? h.split(":") : [];
  const tail = t !== undefined && t !== "" ? t.split(":") : [];
  const groups = t === undefined ? head : [...head, ...Array(8 - head.length - tail.length).fill("0"), ...tail];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

function rdata(type: keyof ZoneEntry, value: unknown): Buffer {
  switch (type) {
    case "A":
      return Buffer.from((value as string).split(".").map(Number));
    case "AAAA":
      return ipv6Bytes(value as string);
    case "CNAME":
      return encodeName(value as string);
    case "MX": {
      const [pref, host] = value as [number, string];
      const p = Buffer.alloc(2);
      p.writeUInt16BE(pref);
      return Buffer.concat([p, encodeName(host)]);
    }
    case "TXT":
      return Buffer.concat((value as string[]).map((s) => Buffer.concat([Buffer.from([Buffer.byteLength(s)]), Buffer.from(s)])));
  }
}

/** Answers one query message from the zone. */
export function answer(query: Buffer, zone: Record<string, ZoneEntry>): Buffer {
  const id = query.readUInt16BE(0);
  let at = 12;
  const labels: string[] = [];
  while (query[at] !== 0) {
    labels.push(query.subarray(at + 1, at + 1 + query[at]!).toString());
    at += 1 + query[at]!;
  }
  const question = query.subarray(12, at + 5);
  const qtype = query.readUInt16BE(at + 1);
  const name = labels.join(".").toLowerCase();
  const entry = zone[name];
  const records: Buffer[] = [];
  const add = (type: keyof ZoneEntry, typeCode: number, value: unknown) => {
    const rd = rdata(type, value);
    const head = Buffer.alloc(12);
    head.writeUInt16BE(0xc00c, 0); // pointer to the question name
    head.writeUInt16BE(typeCode, 2);
    head.writeUInt16BE(1, 4);
    head.writeUInt32BE(300, 6);
    head.writeUInt16BE(rd.byteLength, 10);
    records.push(head, rd);
  };
  let count = 0;
  const type = TYPES[qtype];
  if (entry && type) {
    if (entry.CNAME && type !== "CNAME") {
      add("CNAME", 5, entry.CNAME);
      count++;
    }
    const values = entry[type];
    for (const v of type === "CNAME" ? (values ? [values] : []) : ((values as unknown[]) ?? [])) {
      add(type, qtype, v);
      count++;
    }
  }
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x8180 | (entry ? 0 : 3), 2); // QR RD RA, NOERROR or NXDOMAIN
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(count, 6);
  return Buffer.concat([header, question, ...records]);
}

export async function spawnDoh(options: { zone?: Record<string, ZoneEntry> }): Promise<Spawned> {
  const zone = Object.fromEntries(Object.entries(options.zone ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  const requests: { method: string; accept: string | undefined; dns: string | null; traceparent?: string | undefined }[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://doh");
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (url.pathname === "/requests")
        return void res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(requests));
      if (url.pathname === "/not-doh") return void res.writeHead(200, { "content-type": "text/html" }).end("<html>captive portal</html>");
      const dns = url.searchParams.get("dns");
      requests.push({
        method: req.method ?? "GET",
        accept: req.headers.accept,
        dns,
        traceparent: req.headers.traceparent as string | undefined,
      });
      const query = req.method === "POST" ? Buffer.concat(chunks) : dns ? Buffer.from(dns, "base64url") : null;
      if (!query || query.byteLength < 12) return void res.writeHead(400).end("bad query");
      res.writeHead(200, { "content-type": "application/dns-message" }).end(answer(query, zone));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    info: { port: (server.address() as AddressInfo).port },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
