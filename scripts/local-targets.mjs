// Addresses a production deploy must not watch or notify: loopback, private networks and the
// names reserved for documentation (RFC 2606 / RFC 6761). A config that still says
// `http://127.0.0.1:8787` or `https://safework.example.com` deploys a worker that watches
// nothing real, so `npm run deploy` refuses it unless `--allow-local` is given.
import { isIP } from "node:net";

/** Why `host` is not a production target, or null when it may be one. */
export function localReason(host) {
  const h = host
    .replace(/^\[|\]$/g, "")
    .replace(/\.$/, "")
    .toLowerCase();
  if (h === "localhost" || h.endsWith(".localhost")) return "loopback";
  if (/(^|\.)example\.(com|net|org)$/.test(h) || /\.(example|test|invalid)$/.test(h) || h === "example") return "a reserved example name";
  if (h.endsWith(".local") || h.endsWith(".internal") || h.endsWith(".lan") || h.endsWith(".home.arpa")) return "a private-network name";
  const v = isIP(h);
  if (v === 4) {
    const [a, b] = h.split(".").map(Number);
    if (a === 127) return "loopback";
    if (a === 0) return "an unspecified address";
    if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return "a private network (RFC 1918)";
    if (a === 169 && b === 254) return "link-local";
    if (a === 100 && b >= 64 && b <= 127) return "carrier-grade NAT (RFC 6598)";
    return null;
  }
  if (v === 6) {
    if (h === "::1") return "loopback";
    if (h === "::") return "an unspecified address";
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
    if (mapped) return localReason(mapped[1]);
    if (/^f[cd][0-9a-f]{2}:/.test(h)) return "a private network (unique local)";
    if (/^fe[89ab][0-9a-f]:/.test(h)) return "link-local";
    return null;
  }
  return null;
}

/**
 * Every URL and host in a validated config that is not a production target, as
 * `monitors[1].url: http://127.0.0.1:8787/health (loopback)`. Walks the whole config: URLs
 * (`http(s)://`, `ws(s)://`) wherever they are, and `host` fields (tls, tcp, dns monitors).
 */
export function localTargets(config) {
  const out = [];
  const path = (segs) => segs.reduce((s, k) => (typeof k === "number" ? `${s}[${k}]` : s ? `${s}.${k}` : k), "");
  const visit = (value, segs) => {
    if (Array.isArray(value)) return value.forEach((v, i) => visit(v, [...segs, i]));
    if (value && typeof value === "object") return Object.entries(value).forEach(([k, v]) => visit(v, [...segs, k]));
    if (typeof value !== "string") return;
    let host = null;
    if (/^(https?|wss?):\/\//i.test(value)) {
      try {
        host = new URL(value).hostname;
      } catch {
        return;
      }
    } else if (segs.at(-1) === "host") host = value;
    const reason = host && localReason(host);
    if (reason) out.push(`${path(segs)}: ${value} (${reason})`);
  };
  visit(config, []);
  return out;
}
