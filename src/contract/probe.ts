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
  /**
   * Probes made in this run, present when the monitor has `retries`: more than 1 means the
   * first attempts failed on the network (a flaky network shows up as such).
   */
  attempts?: number;
  /** Monitors probed from several regions: each region's own result. */
  regions?: Record<string, { status: ProbeStatus; latencyMs: number; reason?: string }>;
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
}

export interface DnsInfo {
  /** The resolver's response code: "NOERROR", "NXDOMAIN", "SERVFAIL", … */
  rcode: string;
  /** Answers of the asked type, normalised: "192.0.2.1", "10 mail.example.com", TXT text. */
  answers: string[];
}
