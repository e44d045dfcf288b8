/**
 * Just enough of a TLS client to read the server's certificate chain:
 *
 * 1. Send a ClientHello (TLS 1.3 and 1.2, SNI, an X25519 key share).
 * 2. On a HelloRetryRequest, send a second ClientHello with a key share for the group the
 *    server asked for (P-256 or P-384), the transcript restarted per RFC 8446 §4.4.1.
 * 3. TLS 1.2: the Certificate message follows the ServerHello in clear.
 *    TLS 1.3: derive the server's handshake traffic key (HKDF, AES-GCM) and decrypt
 *    EncryptedExtensions and Certificate.
 * 4. Cancel politely (user_canceled, close_notify) and return. No application data is ever
 *    sent, and the server's identity is not verified: the chain is reported, not trusted.
 */
import { TlsDecodeError, concat } from "./bytes";
import { CIPHER_SUITES, RecordOpener, RecordSealer, digest, handshakeSecrets, trafficKeys } from "./keyschedule";
import { generateKeyShare, supportsGroup, type KeyShare } from "./keyshare";
import {
  Group,
  encodeClientHello,
  groupName,
  parseCertificateMessage,
  parseServerHello,
  type ProtocolVersion,
  type ServerHello,
} from "./messages";
import {
  ContentType,
  HandshakeReassembler,
  HandshakeType,
  NotTlsError,
  RecordFramer,
  alertError,
  encodeRecord,
  type HandshakeMessage,
  type TlsRecord,
} from "./records";

/** A byte stream to the server: `read` resolves null when the server closed its side. */
export interface Transport {
  read(): Promise<Uint8Array | null>;
  write(bytes: Uint8Array): Promise<void>;
}

/** The server closed the connection before sending its certificate. */
export class TlsClosedError extends Error {
  override readonly name = "TlsClosedError";
}

export interface HandshakeOptions {
  /** SNI; leave undefined for an IP address (RFC 6066 §3 forbids IP literals in SNI). */
  serverName?: string;
}

export interface HandshakeResult {
  protocol: ProtocolVersion;
  /** DER certificates as the server sent them, leaf first. */
  certificates: Uint8Array[];
  cipherSuite: number;
  /** TLS 1.3: the key exchange group used. */
  group?: string;
  /** TLS 1.3: true when the server answered the first ClientHello with a HelloRetryRequest. */
  helloRetry: boolean;
}

const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));

const ALERT_USER_CANCELED = Uint8Array.of(1, 90);
const ALERT_CLOSE_NOTIFY = Uint8Array.of(1, 0);

export async function readCertificateChain(transport: Transport, options: HandshakeOptions = {}): Promise<HandshakeResult> {
  let stage = "before answering the ClientHello";
  const framer = new RecordFramer();

  async function nextRecord(): Promise<TlsRecord> {
    for (;;) {
      const record = framer.next();
      if (record) return record;
      const chunk = await transport.read();
      if (chunk === null) {
        const pending = framer.pending;
        const looksLikeTls =
          pending.byteLength === 0 ||
          (pending[0]! >= ContentType.changeCipherSpec &&
            pending[0]! <= ContentType.applicationData &&
            (pending.byteLength < 2 || pending[1] === 3));
        if (!looksLikeTls && stage.startsWith("before")) throw new NotTlsError(pending);
        throw new TlsClosedError(`server closed the connection ${pending.byteLength > 0 ? "in the middle of a TLS record " : ""}${stage}`);
      }
      framer.push(chunk);
    }
  }

  const plain = new HandshakeReassembler();
  async function nextPlainMessage(): Promise<HandshakeMessage> {
    for (;;) {
      const message = plain.next();
      if (message) return message;
      const record = await nextRecord();
      if (record.type === ContentType.handshake) plain.push(record.fragment);
      else if (record.type === ContentType.alert) throw alertError(record.fragment);
      else if (record.type !== ContentType.changeCipherSpec)
        throw new TlsDecodeError(`server sent a record of type ${record.type} ${stage}`);
    }
  }

  const sealed = new HandshakeReassembler();
  async function nextProtectedMessage(opener: RecordOpener): Promise<HandshakeMessage> {
    for (;;) {
      const message = sealed.next();
      if (message) return message;
      const record = await nextRecord();
      if (record.type === ContentType.changeCipherSpec) continue; // RFC 8446 §D.4 compatibility
      if (record.type === ContentType.alert) throw alertError(record.fragment);
      const { type, content } = await opener.open(record);
      if (type === ContentType.handshake) sealed.push(content);
      else if (type === ContentType.alert) throw alertError(content);
      else throw new TlsDecodeError(`server sent protected content of type ${type} ${stage}`);
    }
  }

  async function serverHello(): Promise<{ hello: ServerHello; raw: Uint8Array }> {
    const message = await nextPlainMessage();
    if (message.type !== HandshakeType.serverHello)
      throw new TlsDecodeError(`server answered the ClientHello with handshake message ${message.type}, not ServerHello`);
    return { hello: parseServerHello(message.body), raw: message.raw };
  }

  // 1. First ClientHello.
  const base = { random: random(32), sessionId: random(32), serverName: options.serverName };
  let share: KeyShare = await generateKeyShare(Group.x25519);
  let clientHello = encodeClientHello({ ...base, keyShares: [{ group: share.group, key: share.publicKey }] });
  // RFC 8446 §5.1: the first record may carry version 0x0301 for old middleboxes.
  await transport.write(encodeRecord(ContentType.handshake, clientHello, 0x0301));
  let transcript: Uint8Array[] = [clientHello];
  let { hello, raw } = await serverHello();
  let helloRetry = false;

  // 2. HelloRetryRequest: a fresh share for the group the server wants.
  if (hello.isHelloRetryRequest) {
    helloRetry = true;
    const suite = CIPHER_SUITES[hello.cipherSuite];
    if (!suite) throw new TlsDecodeError(`server chose cipher suite 0x${hello.cipherSuite.toString(16)}, which was not offered`);
    const group = hello.selectedGroup;
    if (group === undefined || !supportsGroup(group) || group === share.group) {
      throw new TlsDecodeError(
        `server's HelloRetryRequest asks for key exchange group ${group === undefined ? "(none)" : groupName(group)}, which Vigil cannot use`,
      );
    }
    const messageHash = concat(Uint8Array.of(HandshakeType.messageHash, 0, 0, suite.hashLength), await digest(suite.hash, clientHello));
    share = await generateKeyShare(group);
    clientHello = encodeClientHello({ ...base, keyShares: [{ group: share.group, key: share.publicKey }], cookie: hello.cookie });
    transcript = [messageHash, raw, clientHello];
    await transport.write(encodeRecord(ContentType.handshake, clientHello));
    const retryCipherSuite = hello.cipherSuite;
    ({ hello, raw } = await serverHello());
    if (hello.isHelloRetryRequest) throw new TlsDecodeError("server sent a second HelloRetryRequest");
    if (hello.cipherSuite !== retryCipherSuite) throw new TlsDecodeError("server changed its cipher suite after the HelloRetryRequest");
  }
  transcript.push(raw);
  stage = "after the ServerHello, before sending its certificate";

  // 3a. TLS 1.2: the certificate is in clear.
  if (hello.version === "TLSv1.2") {
    for (;;) {
      const message = await nextPlainMessage();
      if (message.type === HandshakeType.certificate) {
        const certificates = parseCertificateMessage(message.body, "TLSv1.2");
        await transport
          .write(concat(encodeRecord(ContentType.alert, ALERT_USER_CANCELED), encodeRecord(ContentType.alert, ALERT_CLOSE_NOTIFY)))
          .catch(() => {});
        return { protocol: "TLSv1.2", certificates, cipherSuite: hello.cipherSuite, helloRetry };
      }
      if (message.type === HandshakeType.serverKeyExchange || message.type === HandshakeType.serverHelloDone) {
        throw new TlsDecodeError("server sent no certificate (an anonymous or PSK cipher suite?)");
      }
    }
  }

  // 3b. TLS 1.3: derive the server's handshake key and decrypt up to the Certificate.
  const suite = CIPHER_SUITES[hello.cipherSuite];
  if (!suite) throw new TlsDecodeError(`server chose cipher suite 0x${hello.cipherSuite.toString(16)}, which was not offered`);
  if (!hello.keyShare) throw new TlsDecodeError("server's TLS 1.3 ServerHello has no key share");
  if (hello.keyShare.group !== share.group)
    throw new TlsDecodeError(`server answered with a ${groupName(hello.keyShare.group)} key share; Vigil sent ${groupName(share.group)}`);
  if (plain.partial) throw new TlsDecodeError("server split a handshake message across the key change");
  const shared = await share.sharedSecret(hello.keyShare.key);
  const secrets = await handshakeSecrets(suite, shared, await digest(suite.hash, concat(...transcript)));
  const opener = new RecordOpener(await trafficKeys(suite, secrets.server));
  for (;;) {
    const message = await nextProtectedMessage(opener);
    if (message.type === HandshakeType.encryptedExtensions || message.type === HandshakeType.certificateRequest) continue;
    if (message.type !== HandshakeType.certificate)
      throw new TlsDecodeError(`server sent handshake message ${message.type} where its Certificate belongs`);
    const certificates = parseCertificateMessage(message.body, "TLSv1.3");
    // RFC 8446 §6.1: user_canceled then close_notify, protected with the client handshake key.
    try {
      const sealer = new RecordSealer(await trafficKeys(suite, secrets.client));
      await transport.write(
        concat(await sealer.seal(ContentType.alert, ALERT_USER_CANCELED), await sealer.seal(ContentType.alert, ALERT_CLOSE_NOTIFY)),
      );
    } catch {
      // The server may already be gone; the chain is what we came for.
    }
    return { protocol: "TLSv1.3", certificates, cipherSuite: hello.cipherSuite, group: groupName(share.group), helloRetry };
  }
}
