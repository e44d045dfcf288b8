/**
 * The probe result: what one probe observed. Outside tools depend on this shape
 * (`POST /v1/probe` answers it), so fields are only ever added.
 */
export type ProbeStatus = "up" | "degraded" | "down";

export interface ProbeResult {
  status: ProbeStatus;
  /** Time to the answer that decided the result, in ms (the p50 when `samples` > 1). */
  latencyMs: number;
  /** One line a tired operator understands, present unless the probe was fully up. */
  reason?: string;
  /** ISO 8601 time the probe started. */
  checkedAt: string;
  /** HTTP status code, for http probes that got an answer. */
  statusCode?: number;
  /**
   * HTTP probes that got an answer: ms from the start to the (last hop's) response headers;
   * the rest of `latencyMs` is the body. The request goes through the runtime's `fetch`, which
   * reuses a warm connection to the origin when it has one, locally (workerd) as on Cloudflare:
   * DNS, connect and TLS are in it only when it had none (docs/probes.md, "What a probe measures").
   */
  firstByteMs?: number;
  /** Present when the monitor ran more than one sample. */
  latency?: LatencySummary;
  /** TLS probes that read a certificate. */
  tls?: TlsInfo;
  /** DNS probes that got an answer. */
  dns?: DnsInfo;
  /** Domain probes that read a registration's expiry over RDAP. */
  domain?: DomainInfo;
  /**
   * Probes made in this run, present when the monitor has `retries`: more than 1 means the
   * first attempts failed on the network (a flaky network shows up as such).
   */
  attempts?: number;
  /** `api` probes: each step run, in order (the run stops at the first step that is down). */
  steps?: StepInfo[];
  /** `api` probes with a transfer step: the slowest transfer of the run. */
  throughput?: TransferInfo;
  /** Monitors probed from several regions: each region's own result. */
  regions?: Record<string, { status: ProbeStatus; latencyMs: number; reason?: string; trace?: ProbeTrace }>;
  /**
   * The W3C trace context the target received in `traceparent` (http, api, websocket and dns
   * probes, unless the monitor set `traceparent: false`): the run's span is exported with these ids.
   */
  trace?: ProbeTrace;
}

/** Ids of a W3C `traceparent` (lowercase hex): the probe's span, parent of the target's. */
export interface ProbeTrace {
  /** 16 bytes, 32 hex digits. */
  traceId: string;
  /** 8 bytes, 16 hex digits: the probe request's span. */
  spanId: string;
}

export interface LatencySummary {
  /** Samples taken (fewer than configured when one was down: the run stops there). */
  samples: number;
  p50Ms: number;
  maxMs: number;
}

export interface TlsInfo {
  /** Leaf certificate expiry, ISO 8601. */
  notAfter: string;
  /** Whole days until `notAfter`, negative once expired. */
  daysLeft: number;
  /** Leaf subject, RFC 4514 style: "CN=api.example.com, O=Example". */
  subject: string;
  /** Leaf subjectAltName DNS names and IP addresses. */
  sans: string[];
  /** Leaf issuer, RFC 4514 style. */
  issuer: string;
  /** Certificates the server sent, leaf included. */
  chainLength: number;
  /** The leaf covers the name checked (`servername`, else `host`), per RFC 6125. */
  hostnameMatches: boolean;
  /** The leaf is issued by itself. */
  selfSigned: boolean;
  protocol: "TLSv1.2" | "TLSv1.3";
  /** The cipher suite the server chose, by its IANA name: "TLS_AES_256_GCM_SHA384". */
  cipherSuite?: string;
  /** The leaf's public key: `{ type: "RSA", bits: 2048 }`, `{ type: "EC", bits: 256, curve: "P-256" }`, `{ type: "Ed25519", bits: 256 }`. */
  key?: { type: "RSA" | "EC" | "Ed25519" | "Ed448" | "DSA" | "unknown"; bits?: number; curve?: string };
  /** The leaf's signature algorithm: "sha256WithRSAEncryption", "ecdsa-with-SHA256", … */
  signatureAlgorithm?: string;
  /**
   * The chain the server sent leads from the leaf to a root or to an intermediate CA, each
   * certificate's issuer sent with it (matched by name and key identifier; signatures are not
   * verified and there is no root store at the edge). A leaf sent without its issuer is
   * incomplete unless it is self-signed. docs/probes.md, "The TLS probe".
   */
  chainComplete?: boolean;
  /**
   * The answer to a second ClientHello offering only TLS 1.0 and 1.1: the version the server
   * accepted, or "none". Absent when `security` is off, the certificate was already down, or
   * the second handshake did not finish within the timeout.
   */
  legacyProtocol?: "SSLv3" | "TLSv1" | "TLSv1.1" | "none";
  /**
   * What falls short of the TLS baseline, one phrase each (old versions accepted, RSA keys
   * under 2048 bits, SHA-1 or MD5 signatures, an incomplete chain); empty when none does.
   * Present unless `security` is off.
   */
  weaknesses?: string[];
}

export interface DnsInfo {
  /** The resolver's response code: "NOERROR", "NXDOMAIN", "SERVFAIL", … */
  rcode: string;
  /** Answers of the asked type, normalised: "192.0.2.1", "10 mail.example.com", TXT text. */
  answers: string[];
}

export interface DomainInfo {
  /** The registration's expiry (the RDAP `expiration` event), ISO 8601. */
  expiresAt: string;
  /** Whole days until `expiresAt`, negative once expired. */
  daysLeft: number;
  /** The registrar's name, when the RDAP answer names one. */
  registrar?: string;
  /** The RDAP status values: "active", "client transfer prohibited", "redemption period", … */
  status: string[];
  /** The URL that answered, after redirects. */
  rdapUrl: string;
}

export interface StepInfo {
  /** The step's `name`. */
  name: string;
  /** The request as sent, variables filled in, secrets redacted: "GET /files/42". */
  request: string;
  status: ProbeStatus;
  /** From sending the request to the end of its body, in ms. */
  latencyMs: number;
  /** ms from sending the request to the (last hop's) response headers. */
  firstByteMs?: number;
  /** The HTTP status code, when the step got an answer. */
  statusCode?: number;
  /** Steps that upload or download. */
  throughput?: TransferInfo;
}

export interface TransferInfo {
  /** `upload`: the generated body sent; `download`: the response body read. */
  direction: "upload" | "download";
  /** Bytes moved. */
  bytes: number;
  /** ms the transfer took: an upload from sending the request to the answer, a download from the headers to the body's end. */
  ms: number;
  /** `bytes` / `ms`, in MB/s with MB = 1,048,576 bytes (as the Nucleus runbook counts), 2 decimals. */
  MBps: number;
}
