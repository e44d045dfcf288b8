/**
 * Does the server still accept TLS 1.0 or 1.1? One ClientHello offering only those (RFC 2246 /
 * 4346 style: legacy_version 0x0302, no supported_versions extension, the CBC suites those
 * versions have), then the server's first answer decides: a ServerHello of an old version means
 * it accepts it; an alert, a close or a ServerHello of 1.2 or later (a server ignoring the
 * client's maximum) means it does not. The handshake is cancelled right after the ServerHello.
 */
import { ByteReader, ByteWriter, concat } from "./bytes";
import type { Transport } from "./handshake";
import { Ext, Group } from "./messages";
import { ContentType, HandshakeReassembler, HandshakeType, NotTlsError, RecordFramer, encodeRecord } from "./records";

/** The old version the server chose, or "none" when it refused them all. */
export type LegacyAnswer = "SSLv3" | "TLSv1" | "TLSv1.1" | "none";

/** ECDHE and RSA CBC suites (RFC 4492, 5246 App. A.5), plus TLS_EMPTY_RENEGOTIATION_INFO_SCSV. */
const LEGACY_SUITES = [0xc009, 0xc013, 0xc00a, 0xc014, 0x002f, 0x0035, 0x000a, 0x00ff];

export function encodeLegacyClientHello(serverName: string | undefined, random: Uint8Array): Uint8Array {
  const ext = (w: ByteWriter, type: number, body: (w: ByteWriter) => void) => w.u16(type).vec(2, body);
  const body = new ByteWriter()
    .u16(0x0302) // client_version: TLS 1.1, so TLS 1.0 and 1.1 are offered
    .bytes(random)
    .vec(1, () => {}) // no session id
    .vec(2, (w) => LEGACY_SUITES.forEach((s) => w.u16(s)))
    .vec(1, (w) => w.u8(0))
    .vec(2, (w) => {
      if (serverName !== undefined) {
        const name = new TextEncoder().encode(serverName);
        ext(w, Ext.serverName, (e) => e.vec(2, (l) => l.u8(0).vec(2, (n) => n.bytes(name))));
      }
      ext(w, Ext.supportedGroups, (e) => e.vec(2, (l) => [Group.x25519, Group.secp256r1, Group.secp384r1].forEach((g) => l.u16(g))));
      ext(w, Ext.ecPointFormats, (e) => e.vec(1, (l) => l.u8(0)));
    })
    .finish();
  return new ByteWriter()
    .u8(HandshakeType.clientHello)
    .vec(3, (w) => w.bytes(body))
    .finish();
}

const NAMES = new Map<number, LegacyAnswer>([
  [0x0300, "SSLv3"],
  [0x0301, "TLSv1"],
  [0x0302, "TLSv1.1"],
]);

/**
 * Sends the old-versions-only ClientHello and reads the server's first answer. Throws
 * `NotTlsError` when the answer is not TLS; the transport's own errors (a timeout) pass through.
 */
export async function acceptsLegacyVersions(transport: Transport, serverName: string | undefined): Promise<LegacyAnswer> {
  const hello = encodeLegacyClientHello(serverName, crypto.getRandomValues(new Uint8Array(32)));
  await transport.write(encodeRecord(ContentType.handshake, hello, 0x0301));
  const framer = new RecordFramer();
  const messages = new HandshakeReassembler();
  for (;;) {
    const message = messages.next();
    if (message) {
      if (message.type !== HandshakeType.serverHello) return "none";
      const version = new ByteReader(message.body, "ServerHello").u16();
      const answer = NAMES.get(version) ?? "none";
      if (answer !== "none") {
        const cancel = concat(
          encodeRecord(ContentType.alert, Uint8Array.of(1, 90), version),
          encodeRecord(ContentType.alert, Uint8Array.of(1, 0), version),
        );
        await transport.write(cancel).catch(() => {});
      }
      return answer;
    }
    const record = framer.next();
    if (record) {
      if (record.type === ContentType.alert) return "none";
      if (record.type === ContentType.handshake) messages.push(record.fragment);
      continue;
    }
    const chunk = await transport.read();
    if (chunk === null) {
      if (framer.pending.byteLength > 0 && framer.pending[0]! > ContentType.applicationData) throw new NotTlsError(framer.pending);
      return "none"; // closed without a ServerHello: refused
    }
    framer.push(chunk);
  }
}
