/**
 * DNS messages on the wire (RFC 1035 §4), as much as a DoH probe needs: one question out,
 * answers of A, AAAA, CNAME, MX and TXT in, names decompressed (§4.1.4).
 */
import { toBase64Url } from "../../../lib/encoding";

export const RecordType = { A: 1, CNAME: 5, MX: 15, TXT: 16, AAAA: 28 } as const;
export type RecordTypeName = keyof typeof RecordType;

const RCODES = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE"];
export const rcodeName = (code: number) => RCODES[code] ?? `RCODE${code}`;

export class DnsDecodeError extends Error {
  override readonly name = "DnsDecodeError";
}

/** A query for `name`/`type`, recursion desired. ID 0 as RFC 8484 §4.1 recommends for caching. */
export function encodeQuery(name: string, type: RecordTypeName, id = 0): Uint8Array {
  const labels = name
    .replace(/\.$/, "")
    .split(".")
    .filter((l) => l !== "");
  const enc = new TextEncoder();
  const out: number[] = [id >> 8, id & 0xff, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]; // RD; QDCOUNT 1
  for (const label of labels) {
    const bytes = enc.encode(label);
    if (bytes.byteLength > 63) throw new DnsDecodeError(`label "${label}" is longer than 63 bytes`);
    out.push(bytes.byteLength, ...bytes);
  }
  out.push(0, RecordType[type] >> 8, RecordType[type] & 0xff, 0, 1); // QTYPE, QCLASS IN
  return Uint8Array.from(out);
}

export interface DnsRecord {
  name: string;
  type: number;
  ttl: number;
  /** Normalised: "192.0.2.1", "2001:db8::1", "alias.example.com", "10 mail.example.com", TXT text. */
  value: string;
}

export interface DnsResponse {
  id: number;
  rcode: string;
  truncated: boolean;
  answers: DnsRecord[];
}

/** Reads a possibly compressed name at `at`; returns it and the offset after it. */
function readName(buf: Uint8Array, at: number): [string, number] {
  const labels: string[] = [];
  let end = -1;
  for (let jumps = 0; ; jumps++) {
    if (jumps > 64) throw new DnsDecodeError("name compression loop");
    if (at >= buf.byteLength) throw new DnsDecodeError("name runs past the end of the message");
    const len = buf[at]!;
    if (len === 0) {
      if (end < 0) end = at + 1;
      break;
    }
    if ((len & 0xc0) === 0xc0) {
      if (end < 0) end = at + 2;
      at = ((len & 0x3f) << 8) | buf[at + 1]!;
      continue;
    }
    labels.push(new TextDecoder().decode(buf.subarray(at + 1, at + 1 + len)));
    at += 1 + len;
  }
  return [labels.join(".").toLowerCase(), end];
}

/** RFC 5952 text form of an IPv6 address: lowercase, longest zero run as "::". */
export function formatIpv6(bytes: Uint8Array): string {
  const groups = Array.from({ length: 8 }, (_, i) => (bytes[2 * i]! << 8) | bytes[2 * i + 1]!);
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(":");
  return `${hex.slice(0, best).join(":")}::${hex.slice(best + bestLen).join(":")}`;
}

/** Parses "2001:db8::1" into 16 bytes (for normalising expected values); null if not IPv6. */
export function parseIpv6(text: string): Uint8Array | null {
  const parts = text.split("::");
  if (parts.length > 2) return null;
  const side = (s: string) => (s === "" ? [] : s.split(":"));
  const head = side(parts[0]!);
  const tail = parts.length === 2 ? side(parts[1]!) : [];
  const fill = parts.length === 2 ? 8 - head.length - tail.length : 0;
  const groups = [...head, ...Array<string>(Math.max(fill, 0)).fill("0"), ...tail];
  if (groups.length !== 8 || fill < 0 || !groups.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return null;
  return Uint8Array.from(groups.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff]));
}

export function decodeResponse(buf: Uint8Array): DnsResponse {
  if (buf.byteLength < 12) throw new DnsDecodeError(`response is ${buf.byteLength} bytes, shorter than a DNS header`);
  const u16 = (at: number) => {
    if (at + 2 > buf.byteLength) throw new DnsDecodeError("response is truncated");
    return (buf[at]! << 8) | buf[at + 1]!;
  };
  const flags = u16(2);
  if ((flags & 0x8000) === 0) throw new DnsDecodeError("message is a query, not a response");
  const qd = u16(4);
  const an = u16(6);
  let at = 12;
  for (let i = 0; i < qd; i++) at = readName(buf, at)[1] + 4;
  const answers: DnsRecord[] = [];
  for (let i = 0; i < an; i++) {
    const [name, next] = readName(buf, at);
    const type = u16(next);
    const ttl = ((u16(next + 4) << 16) | u16(next + 6)) >>> 0;
    const rdlength = u16(next + 8);
    const rdata = next + 10;
    if (rdata + rdlength > buf.byteLength) throw new DnsDecodeError("answer runs past the end of the message");
    const rd = buf.subarray(rdata, rdata + rdlength);
    let value: string | undefined;
    if (type === RecordType.A && rdlength === 4) value = Array.from(rd).join(".");
    else if (type === RecordType.AAAA && rdlength === 16) value = formatIpv6(rd);
    else if (type === RecordType.CNAME) value = readName(buf, rdata)[0];
    else if (type === RecordType.MX) value = `${u16(rdata)} ${readName(buf, rdata + 2)[0]}`;
    else if (type === RecordType.TXT) {
      // One or more <character-string>s, joined as one text (RFC 7208 §3.3).
      const strings: string[] = [];
      for (let p = 0; p < rd.byteLength; p += 1 + rd[p]!) strings.push(new TextDecoder().decode(rd.subarray(p + 1, p + 1 + rd[p]!)));
      value = strings.join("");
    }
    if (value !== undefined) answers.push({ name, type, ttl, value });
    at = rdata + rdlength;
  }
  return { id: u16(0), rcode: rcodeName(flags & 0x0f), truncated: (flags & 0x0200) !== 0, answers };
}

/** Base64url without padding (RFC 8484 §4.1 `dns=` parameter). */
export const base64url = toBase64Url;
