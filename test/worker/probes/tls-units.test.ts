/** Byte-level unit tests of the TLS certificate reader: no network, exact bytes. */
import { describe, expect, it } from "vitest";
import { ByteReader, ByteWriter, TlsDecodeError, fromHex, toHex } from "../../../src/probes/tls/bytes";
import {
  CIPHER_SUITES,
  RecordOpener,
  RecordSealer,
  hkdfExpand,
  hkdfExpandLabel,
  hkdfExtract,
  recordNonce,
  trafficKeys,
} from "../../../src/probes/tls/keyschedule";
import { generateKeyShare } from "../../../src/probes/tls/keyshare";
import { Group, HELLO_RETRY_RANDOM, encodeClientHello, parseCertificateMessage, parseServerHello } from "../../../src/probes/tls/messages";
import { HandshakeReassembler, NotTlsError, RecordFramer, alertError, describeBytes, encodeRecord } from "../../../src/probes/tls/records";
import { hostnameMatches, readCertificate } from "../../../src/probes/tls/x509";

const bytes = (...xs: number[]) => Uint8Array.from(xs);

describe("bytes", () => {
  it("reads integers and vectors, and names the structure when truncated", () => {
    const r = new ByteReader(fromHex("01 0203 040506 02 aabb 0003 ccddee"), "Test");
    expect([r.u8(), r.u16(), r.u24()]).toEqual([1, 0x0203, 0x040506]);
    expect(toHex(r.vec(1))).toBe("aabb");
    expect(toHex(r.vec(2))).toBe("ccddee");
    r.end();
    expect(() => new ByteReader(bytes(0, 5, 1), "ServerHello").vec(2)).toThrow(
      new TlsDecodeError("ServerHello is truncated (needed 5 more bytes, had 1)"),
    );
    expect(() => new ByteReader(bytes(1, 2), "alert").end()).toThrow("alert has 2 unexpected trailing bytes");
  });

  it("writes length-prefixed vectors", () => {
    const w = new ByteWriter().u8(1).vec(2, (v) => v.u16(0x0304).vec(1, (x) => x.bytes([9, 9])));
    expect(toHex(w.finish())).toBe("010005" + "0304" + "020909");
  });
});

describe("records", () => {
  it("frames records split across reads and several in one read", () => {
    const f = new RecordFramer();
    const a = encodeRecord(22, bytes(1, 2, 3));
    const b = encodeRecord(20, bytes(1));
    f.push(a.subarray(0, 4));
    expect(f.next()).toBeNull();
    f.push(new Uint8Array([...a.subarray(4), ...b]));
    expect(f.next()).toMatchObject({ type: 22, fragment: bytes(1, 2, 3), header: fromHex("1603030003") });
    expect(f.next()).toMatchObject({ type: 20, fragment: bytes(1) });
    expect(f.next()).toBeNull();
  });

  it("recognises a server that is not speaking TLS at once", () => {
    const f = new RecordFramer();
    f.push(new TextEncoder().encode("SSH-2.0-OpenSSH_9.6\r\n"));
    expect(() => f.next()).toThrow(new NotTlsError(new TextEncoder().encode("SSH-2.0-OpenSSH_9.6\r\n")));
    expect(new NotTlsError(new TextEncoder().encode("SSH-2.0-OpenSSH_9.6\r\n")).message).toBe(
      'server did not answer with TLS; it sent "SSH-2.0-OpenSSH_9.6…"',
    );
    const g = new RecordFramer();
    g.push(fromHex("16 05 00 00 10")); // handshake type, but version 5.0
    expect(() => g.next()).toThrow(NotTlsError);
  });

  it("shows unprintable answers as hex", () => {
    expect(describeBytes(fromHex("00ff10"))).toBe("bytes 00 ff 10");
    expect(describeBytes(new Uint8Array(20))).toBe("bytes 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 …");
  });

  it("names alerts the way the issue asks", () => {
    expect(alertError(bytes(2, 40)).message).toBe("server sent alert handshake_failure (40)");
    expect(alertError(bytes(2, 112)).message).toBe("server sent alert unrecognized_name (112)");
    expect(alertError(bytes(2, 70)).message).toBe("server sent alert protocol_version (70)");
    expect(alertError(bytes(2, 200)).message).toBe("server sent alert unknown_alert (200)");
  });

  it("reassembles handshake messages across records", () => {
    const h = new HandshakeReassembler();
    h.push(fromHex("0b000004 aabb"));
    expect(h.next()).toBeNull();
    expect(h.partial).toBe(true);
    h.push(fromHex("ccdd 14000001 ff"));
    expect(h.next()).toMatchObject({ type: 11, body: fromHex("aabbccdd"), raw: fromHex("0b000004aabbccdd") });
    expect(h.next()).toMatchObject({ type: 20, body: fromHex("ff") });
    expect(h.partial).toBe(false);
  });
});

/** An independent reading of a ClientHello, for the tests. */
function readClientHello(msg: Uint8Array) {
  const r = new ByteReader(msg, "test");
  expect(r.u8()).toBe(1);
  const body = new ByteReader(r.vec(3), "body");
  const version = body.u16();
  const random = body.bytes(32);
  const sessionId = body.vec(1);
  const suites = body.vec(2);
  const compression = body.vec(1);
  const exts = new ByteReader(body.vec(2), "exts");
  const extensions = new Map<number, Uint8Array>();
  while (exts.remaining > 0) {
    const type = exts.u16();
    extensions.set(type, exts.vec(2));
  }
  const suiteList = Array.from({ length: suites.length / 2 }, (_, i) => (suites[2 * i]! << 8) | suites[2 * i + 1]!);
  return { version, random, sessionId, suiteList, compression, extensions };
}

describe("ClientHello", () => {
  const random = new Uint8Array(32).fill(7);
  const sessionId = new Uint8Array(32).fill(9);
  const key = new Uint8Array(32).fill(1);

  it("offers TLS 1.3 and 1.2, SNI, and the key share", () => {
    const ch = readClientHello(
      encodeClientHello({ random, sessionId, serverName: "api.example.com", keyShares: [{ group: Group.x25519, key }] }),
    );
    expect(ch.version).toBe(0x0303);
    expect(ch.random).toEqual(random);
    expect(ch.sessionId).toEqual(sessionId);
    expect(ch.suiteList.slice(0, 2)).toEqual([0x1301, 0x1302]);
    expect(ch.suiteList).not.toContain(0x1303); // no ChaCha20 in WebCrypto
    expect(ch.suiteList).toContain(0xc02f); // a TLS 1.2 suite
    expect(toHex(ch.compression)).toBe("00");
    // server_name: list(2) { host_name(0) name(2) }
    const sni = ch.extensions.get(0)!;
    expect(toHex(sni)).toBe(`001200000f${toHex(new TextEncoder().encode("api.example.com"))}`);
    expect(toHex(ch.extensions.get(43)!)).toBe("0403040303"); // supported_versions: TLS 1.3, 1.2
    expect(toHex(ch.extensions.get(10)!)).toBe("0006001d00170018"); // x25519, P-256, P-384
    expect(toHex(ch.extensions.get(51)!)).toBe(`0024001d0020${toHex(key)}`);
    expect(ch.extensions.has(44)).toBe(false);
  });

  it("leaves SNI out for an IP address and echoes a cookie", () => {
    const ch = readClientHello(
      encodeClientHello({ random, sessionId, keyShares: [{ group: Group.secp256r1, key: new Uint8Array(65) }], cookie: bytes(1, 2, 3) }),
    );
    expect(ch.extensions.has(0)).toBe(false);
    expect(toHex(ch.extensions.get(44)!)).toBe("0003010203");
    expect(toHex(ch.extensions.get(51)!.subarray(0, 6))).toBe("004500170041");
  });
});

describe("ServerHello", () => {
  const hello = (random: Uint8Array, suite: number, extensions: string, legacy = "0303") =>
    fromHex(`${legacy}${toHex(random)}20${"ab".repeat(32)}${suite.toString(16).padStart(4, "0")}00${extensions}`);
  const ext = (type: string, data: string) => `${type}${(data.length / 2).toString(16).padStart(4, "0")}${data}`;
  const exts = (...e: string[]) => `${(e.join("").length / 2).toString(16).padStart(4, "0")}${e.join("")}`;

  it("reads a TLS 1.3 ServerHello with its key share", () => {
    const key = "11".repeat(32);
    const sh = parseServerHello(hello(new Uint8Array(32).fill(5), 0x1301, exts(ext("002b", "0304"), ext("0033", `001d0020${key}`))));
    expect(sh).toEqual({
      version: "TLSv1.3",
      isHelloRetryRequest: false,
      cipherSuite: 0x1301,
      keyShare: { group: 0x1d, key: fromHex(key) },
    });
  });

  it("recognises a HelloRetryRequest by its random, with the group and cookie", () => {
    const sh = parseServerHello(hello(HELLO_RETRY_RANDOM, 0x1302, exts(ext("002b", "0304"), ext("0033", "0017"), ext("002c", "0002beef"))));
    expect(sh).toEqual({
      version: "TLSv1.3",
      isHelloRetryRequest: true,
      cipherSuite: 0x1302,
      selectedGroup: 0x17,
      cookie: fromHex("beef"),
    });
  });

  it("reads a TLS 1.2 ServerHello, with or without extensions", () => {
    expect(parseServerHello(hello(new Uint8Array(32), 0xc02f, "")).version).toBe("TLSv1.2");
    expect(parseServerHello(hello(new Uint8Array(32), 0xc02f, exts(ext("ff01", "00")))).version).toBe("TLSv1.2");
  });

  it("refuses obsolete versions in words", () => {
    expect(() => parseServerHello(hello(new Uint8Array(32), 0x002f, "", "0301"))).toThrow(
      "server chose TLS 1.0, which is obsolete; Vigil reads TLS 1.2 and 1.3 only",
    );
  });
});

describe("Certificate message", () => {
  it("reads TLS 1.3 entries (context, per-entry extensions) and TLS 1.2 lists", () => {
    expect(parseCertificateMessage(fromHex("00" + "00000e" + "000003aabbcc" + "0000" + "000001dd" + "0000"), "TLSv1.3")).toEqual([
      fromHex("aabbcc"),
      fromHex("dd"),
    ]);
    expect(parseCertificateMessage(fromHex("000009" + "000003aabbcc" + "000000"), "TLSv1.2")).toEqual([
      fromHex("aabbcc"),
      new Uint8Array(0),
    ]);
    expect(() => parseCertificateMessage(fromHex("000009000003aabb"), "TLSv1.2")).toThrow(TlsDecodeError);
  });
});

describe("key schedule", () => {
  it("HKDF matches RFC 5869 test case 1", async () => {
    const ikm = new Uint8Array(22).fill(0x0b);
    const salt = fromHex("000102030405060708090a0b0c");
    const info = fromHex("f0f1f2f3f4f5f6f7f8f9");
    const prk = await hkdfExtract("SHA-256", salt, ikm);
    expect(toHex(prk)).toBe("077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5");
    expect(toHex(await hkdfExpand("SHA-256", prk, info, 42))).toBe(
      "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
    );
  });

  it("Extract + Expand equals WebCrypto's one-shot HKDF for SHA-384", async () => {
    const ikm = crypto.getRandomValues(new Uint8Array(48));
    const salt = crypto.getRandomValues(new Uint8Array(48));
    const info = new TextEncoder().encode("vigil");
    const ours = await hkdfExpand("SHA-384", await hkdfExtract("SHA-384", salt, ikm), info, 100);
    const key = await crypto.subtle.importKey("raw", ikm, "HKDF", false, ["deriveBits"]);
    const theirs = new Uint8Array(await crypto.subtle.deriveBits({ name: "HKDF", hash: "SHA-384", salt, info }, key, 800));
    expect(toHex(ours)).toBe(toHex(theirs));
  });

  it("derives RFC 8448's early secret and its 'derived' secret (HKDF-Expand-Label)", async () => {
    const zeros = new Uint8Array(32);
    const early = await hkdfExtract("SHA-256", zeros, zeros);
    expect(toHex(early)).toBe("33ad0a1c607ec03b09e6cd9893680ce210adf300aa1f2660e1b22e10f170f92a");
    const emptyHash = new Uint8Array(await crypto.subtle.digest("SHA-256", new Uint8Array(0)));
    expect(toHex(await hkdfExpandLabel("SHA-256", early, "derived", emptyHash, 32))).toBe(
      "6f2615a108c702c5678f54fc9dbab69716c076189c48250cebeac3576c3611ba",
    );
  });

  it("XORs the sequence number into the IV", () => {
    const iv = fromHex("000102030405060708090a0b");
    expect(toHex(recordNonce(iv, 0))).toBe("000102030405060708090a0b");
    expect(toHex(recordNonce(iv, 1))).toBe("000102030405060708090a0a");
    expect(toHex(recordNonce(iv, 0x0102))).toBe("000102030405060708090b09");
  });

  it("opens what it seals, strips padding, and reports a bad MAC in words", async () => {
    const suite = CIPHER_SUITES[0x1301]!;
    const keys = await trafficKeys(suite, new Uint8Array(32).fill(3));
    const sealer = new RecordSealer(keys);
    const opener = new RecordOpener(keys);
    const framer = new RecordFramer();
    framer.push(await sealer.seal(22, fromHex("0b000000")));
    framer.push(await sealer.seal(21, fromHex("015a")));
    expect(await opener.open(framer.next()!)).toEqual({ type: 22, content: fromHex("0b000000") });
    expect(await opener.open(framer.next()!)).toEqual({ type: 21, content: fromHex("015a") });
    const other = new RecordOpener(await trafficKeys(suite, new Uint8Array(32).fill(4)));
    framer.push(await new RecordSealer(keys).seal(22, fromHex("00")));
    await expect(other.open(framer.next()!)).rejects.toThrow(
      "could not decrypt the server's handshake (bad record MAC): the key exchange went wrong",
    );
  });

  it("agrees on a shared secret for every supported group", async () => {
    for (const group of [Group.x25519, Group.secp256r1, Group.secp384r1]) {
      const [a, b] = await Promise.all([generateKeyShare(group), generateKeyShare(group)]);
      expect(a.publicKey.byteLength).toBe(group === Group.x25519 ? 32 : group === Group.secp256r1 ? 65 : 97);
      expect(toHex(await a.sharedSecret(b.publicKey))).toBe(toHex(await b.sharedSecret(a.publicKey)));
    }
  });
});

describe("x509", () => {
  it("matches host names per RFC 6125", () => {
    const cases: [string, string[], boolean][] = [
      ["api.example.com", ["api.example.com"], true],
      ["API.Example.com.", ["api.example.com"], true],
      ["api.example.com", ["*.example.com"], true],
      ["example.com", ["*.example.com"], false],
      ["a.b.example.com", ["*.example.com"], false],
      ["api.example.com", ["api*.example.com"], false],
      ["x.com", ["*.com"], false],
      ["127.0.0.1", ["127.0.0.1"], true],
      ["127.0.0.1", ["*.0.0.1"], false],
      ["::1", ["0:0:0:0:0:0:0:1"], true],
      ["other.example.com", ["api.example.com", "www.example.com"], false],
    ];
    for (const [host, sans, want] of cases) expect([host, sans, hostnameMatches(host, sans)]).toEqual([host, sans, want]);
  });

  it("says when a certificate is not DER", () => {
    expect(() => readCertificate(fromHex("3003020101"))).toThrow(/^server sent a certificate that is not valid DER X\.509/);
  });
});
