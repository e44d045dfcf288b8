/**
 * TLS probe: reads the server's certificate chain from the edge with Vigil's own minimal
 * handshake over a raw socket (`./tls/handshake.ts`), then judges expiry, hostname and
 * self-signature, then the TLS baseline (`security`): old versions accepted (a second
 * ClientHello, `./tls/legacy.ts`), weak RSA keys, SHA-1 or MD5 signatures, an incomplete chain.
 * `fetch()` and `secureTransport: "on"` do not expose the peer certificate.
 */
import { z } from "zod";
import { host, hostname, monitorBase, port, timing } from "../config/monitors";
import { probeKind } from "./kind";
import type { ProbeResult, TlsInfo } from "../contract/probe";
import { explainConnectFailure, explainFetchFailure, isIpLiteral, type ConnectOutcome } from "./connect-failure";
import { Deadline, TimeoutError } from "./deadline";
import { ConnectError, openTcp } from "./socket";
import { readCertificateChain, type HandshakeResult } from "./tls/handshake";
import { acceptsLegacyVersions, type LegacyAnswer } from "./tls/legacy";
import { cipherSuiteName } from "./tls/messages";
import { chainCompleteness, hostnameMatches, readCertificate, type CertificateSummary } from "./tls/x509";

export const tlsMonitor = z
  .strictObject({
    ...monitorBase,
    type: z.literal("tls"),
    host,
    port: port.default(443),
    /** SNI and the name the certificate must cover. Default: `host` (no SNI for an IP address). */
    servername: hostname.optional(),
    /** Fewer days left than this: degraded. Default 21 (2 weeks above a `criticalDays` of 7 or more). */
    warnDays: z.number().int().min(1).max(365).optional(),
    /** Fewer days left than this: down. Default 7 (one below a `warnDays` of 7 or fewer). */
    criticalDays: z.number().int().min(0).max(364).optional(),
    /** Accept a self-signed leaf certificate (an internal service). Default false. */
    allowSelfSigned: z.boolean().default(false),
    /**
     * The TLS baseline: TLS 1.0 or 1.1 accepted (checked with a second connection offering only
     * those), an RSA key under 2048 bits or a SHA-1 / MD5 signature in the chain, an incomplete
     * chain (docs/probes.md, "The TLS probe"). `warn`: a weak setup is degraded; `fail`: down;
     * `off`: not checked (and no second connection). Default `warn`.
     */
    security: z.enum(["off", "warn", "fail"]).default("warn"),
  })
  .transform((m, ctx) => {
    // Defaults that fit the other one when only one is given.
    const warnDays = m.warnDays ?? (m.criticalDays === undefined ? 21 : Math.max(21, Math.min(365, m.criticalDays + 14)));
    const criticalDays = m.criticalDays ?? Math.min(7, warnDays - 1);
    const filled = timing({ ...m, warnDays, criticalDays }, ctx);
    if (criticalDays >= warnDays) {
      ctx.addIssue({ code: "custom", path: ["criticalDays"], message: `must be below warnDays (${warnDays}), got ${criticalDays}` });
    }
    return filled;
  });
export type TlsMonitor = z.infer<typeof tlsMonitor>;

const DAY = 86_400_000;

/** The name the certificate must cover: `servername`, else `host`. */
export function expectedName(spec: Pick<TlsMonitor, "host" | "servername">): string {
  return spec.servername ?? spec.host.replace(/^\[|\]$/g, "");
}

export function tlsInfo(
  chain: CertificateSummary[],
  protocol: TlsInfo["protocol"],
  name: string,
  now: number,
  handshake?: Pick<HandshakeResult, "cipherSuite">,
): TlsInfo {
  const leaf = chain[0]!;
  return {
    notAfter: leaf.notAfter.toISOString(),
    daysLeft: Math.floor((leaf.notAfter.getTime() - now) / DAY),
    subject: leaf.subject,
    sans: leaf.sans,
    issuer: leaf.issuer,
    chainLength: chain.length,
    hostnameMatches: hostnameMatches(name, leaf.sans),
    selfSigned: leaf.selfSigned,
    protocol,
    ...(handshake && { cipherSuite: cipherSuiteName(handshake.cipherSuite) }),
    key: leaf.key,
    signatureAlgorithm: leaf.signatureAlgorithm,
    chainComplete: chainCompleteness(chain).complete,
  };
}

const RSA_MIN_BITS = 2048;
const LEGACY_NAMES: Record<Exclude<LegacyAnswer, "none">, string> = { SSLv3: "SSL 3.0", TLSv1: "TLS 1.0", "TLSv1.1": "TLS 1.1" };

/**
 * What falls short of the baseline, one phrase each, in this order: an old protocol accepted,
 * RSA keys under 2048 bits (any certificate sent), SHA-1 / MD5 / MD2 signatures (any certificate
 * sent but a self-signed one after the leaf: nothing checks a root's signature on itself), an
 * incomplete chain (`chainCompleteness`).
 */
export function weaknesses(chain: readonly CertificateSummary[], legacy: LegacyAnswer | undefined): string[] {
  const found: string[] = [];
  const which = (i: number) => (i === 0 ? "the leaf" : chain[i]!.subject);
  if (legacy !== undefined && legacy !== "none") found.push(`accepts ${LEGACY_NAMES[legacy]}`);
  chain.forEach((c, i) => {
    if (c.key.type === "RSA" && c.key.bits !== undefined && c.key.bits < RSA_MIN_BITS)
      found.push(`${c.key.bits}-bit RSA key on ${which(i)} (under ${RSA_MIN_BITS})`);
  });
  chain.forEach((c, i) => {
    if (c.weakHash && !(i > 0 && c.selfSigned)) found.push(`${c.weakHash} signature on ${which(i)} (${c.signatureAlgorithm})`);
  });
  const completeness = chainCompleteness(chain);
  if (!completeness.complete) found.push(`incomplete chain: the issuer ${completeness.missing} was not sent`);
  return found;
}

/**
 * The baseline's verdict on top of the certificate's: a down certificate stays as it is; else
 * weaknesses make the result degraded (`warn`) or down (`fail`), their reason after any
 * expiry warning.
 */
export function judgeSecurity(
  verdict: Pick<ProbeResult, "status" | "reason">,
  found: readonly string[],
  security: TlsMonitor["security"],
): Pick<ProbeResult, "status" | "reason"> {
  if (security === "off" || found.length === 0 || verdict.status === "down") return verdict;
  const weak = `weak TLS setup: ${found.join("; ")}`;
  const reason = verdict.reason ? `${verdict.reason}; ${weak}` : weak;
  return { status: security === "fail" ? "down" : "degraded", reason };
}

const day = (d: Date | string) => new Date(d).toISOString().slice(0, 10);
const days = (n: number) => `${n} day${n === 1 ? "" : "s"}`;

/**
 * Judges a certificate, worst problem first: not yet valid or expired, wrong name,
 * self-signed (unless allowed), then the critical (down) and warning (degraded) windows.
 */
export function judgeCertificate(
  info: TlsInfo,
  notBefore: Date,
  name: string,
  policy: Pick<TlsMonitor, "warnDays" | "criticalDays" | "allowSelfSigned">,
  now: number,
): Pick<ProbeResult, "status" | "reason"> {
  const msLeft = Date.parse(info.notAfter) - now;
  if (notBefore.getTime() > now) return { status: "down", reason: `certificate is not valid until ${notBefore.toISOString()}` };
  if (msLeft <= 0) {
    const ago = Math.floor(-msLeft / DAY);
    return { status: "down", reason: `certificate expired ${ago === 0 ? "today" : `${days(ago)} ago`} (${day(info.notAfter)})` };
  }
  if (!info.hostnameMatches) {
    const covers = info.sans.length > 0 ? info.sans.join(", ") : `no subjectAltName; subject ${info.subject}`;
    return { status: "down", reason: `certificate does not cover '${name}' (it covers ${covers})` };
  }
  if (info.selfSigned && !policy.allowSelfSigned) return { status: "down", reason: `certificate is self-signed (${info.subject})` };
  const expires = `certificate expires in ${days(info.daysLeft)} (${day(info.notAfter)})`;
  if (info.daysLeft < policy.criticalDays)
    return { status: "down", reason: `${expires}, under the ${days(policy.criticalDays)} critical threshold` };
  if (info.daysLeft < policy.warnDays)
    return { status: "degraded", reason: `${expires}, under the ${days(policy.warnDays)} warning threshold` };
  return { status: "up" };
}

/** What the TLS probe needs of a spec (also built by `explainTlsFailure`). */
export type TlsTarget = Pick<
  TlsMonitor,
  "host" | "port" | "servername" | "timeout" | "warnDays" | "criticalDays" | "allowSelfSigned" | "security"
>;

export function probeTls(spec: TlsTarget): Promise<ProbeResult> {
  return readTls(spec, true);
}

/**
 * `standalone`: the monitor's own probe, whose reason stands alone: a failed connect is
 * explained (refused, no such host; one more request) and a failed handshake says so. Else
 * `explainTlsFailure` words the reason itself.
 */
async function readTls(spec: TlsTarget, standalone: boolean): Promise<ProbeResult & { connect?: ConnectOutcome }> {
  const started = Date.now();
  const checkedAt = new Date(started).toISOString();
  const deadline = new Deadline(spec.timeout);
  const name = expectedName(spec);
  let close = () => {};
  let connected = false;
  try {
    const socket = await openTcp(spec.host, spec.port, deadline);
    close = socket.close;
    connected = true;
    deadline.phase = "waiting for the server's certificate";
    const handshake = await readCertificateChain(socket.transport, { serverName: isIpLiteral(name) ? undefined : name });
    const latencyMs = Date.now() - started;
    if (handshake.certificates.length === 0)
      return { status: "down", latencyMs, reason: "server sent an empty certificate chain", checkedAt };
    const chain = handshake.certificates.map(readCertificate);
    const now = Date.now();
    const tls = tlsInfo(chain, handshake.protocol, name, now, handshake);
    const verdict = judgeCertificate(tls, chain[0]!.notBefore, name, spec, now);
    if (spec.security === "off") return { ...verdict, latencyMs, checkedAt, tls };
    close();
    close = () => {};
    const legacy = verdict.status === "down" ? undefined : await legacyAnswer(spec, name, deadline);
    const found = weaknesses(chain, legacy);
    const info: TlsInfo = { ...tls, ...(legacy !== undefined && { legacyProtocol: legacy }), weaknesses: found };
    return { ...judgeSecurity(verdict, found, spec.security), latencyMs, checkedAt, tls: info };
  } catch (err) {
    if (err instanceof ConnectError && standalone) {
      const latencyMs = Date.now() - started;
      const reason = await explainConnectFailure(spec.host, spec.port, Math.min(deadline.remaining, 5_000));
      return { status: "down", latencyMs, reason, checkedAt };
    }
    // A timeout says what it waited for; anything else happened in the handshake (an alert,
    // a plain-text answer, a close, bytes that are not TLS).
    const message = (err as Error).message;
    const reason = err instanceof TimeoutError || err instanceof ConnectError || !standalone ? message : `TLS handshake failed: ${message}`;
    const connect: ConnectOutcome = connected ? "connected" : err instanceof TimeoutError ? "timeout" : "failed";
    return { status: "down", latencyMs: Date.now() - started, reason, checkedAt, ...(!standalone && { connect }) };
  } finally {
    deadline.clear();
    close();
  }
}

/**
 * The answer to an old-versions-only ClientHello on a connection of its own, within what is
 * left of the probe's deadline; undefined when it could not be had (a timeout, a refused
 * connection, an answer that is not TLS): the probe's result does not depend on it then.
 */
async function legacyAnswer(spec: TlsTarget, name: string, deadline: Deadline): Promise<LegacyAnswer | undefined> {
  let close = () => {};
  try {
    const socket = await openTcp(spec.host, spec.port, deadline);
    close = socket.close;
    deadline.phase = "waiting for the answer to a TLS 1.0 / 1.1 ClientHello";
    return await acceptsLegacyVersions(socket.transport, isIpLiteral(name) ? undefined : name);
  } catch {
    return undefined;
  } finally {
    close();
  }
}

/**
 * Why a request through fetch() failed before any response, in plain words. For `https:` and
 * `wss:` first with Vigil's own handshake: the runtime reports a refused certificate as
 * "internal error; reference = …", and this reads the certificate and says what is wrong with
 * it. Otherwise (or when the handshake finds nothing TLS-specific) from what that connection
 * attempt saw, or one of its own: refused, no such host, closed before answering
 * (`explainFetchFailure`). Bounded by `ms`.
 */
export async function explainRequestFailure(url: URL, err: unknown, ms: number): Promise<string> {
  if ((url.protocol !== "https:" && url.protocol !== "wss:") || ms < 50) return explainFetchFailure(url, err, ms);
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const port = Number(url.port || 443);
  const started = Date.now();
  const result = await readTls({ host, port, timeout: ms, warnDays: 0, criticalDays: 0, allowSelfSigned: false, security: "off" }, false);
  const prefix = `TLS handshake with ${url.host} failed`;
  if (!result.tls) {
    const tlsSpecific = result.connect === "connected" && !/^timed out/.test(result.reason ?? "");
    if (tlsSpecific) return `${prefix}: ${result.reason}`;
    return explainFetchFailure(url, err, result.connect === "timeout" ? ms : Math.max(0, ms - (Date.now() - started)), result.connect);
  }
  if (result.status === "down") return `${prefix}: ${result.reason}`;
  // In date, the right name, not self-signed, and still refused: the chain does not lead to a
  // root the runtime trusts (or lacks its intermediates; Vigil's reader cannot tell which).
  return `${prefix}: certificate is not trusted (issuer ${result.tls.issuer}; it is in date and covers ${host}, so its chain does not lead to a trusted authority)`;
}

export const tls = probeKind({
  type: "tls",
  schema: tlsMonitor,
  run: probeTls,
  target: (spec) => ({ path: "host", host: spec.host }),
});
