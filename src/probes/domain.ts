/**
 * Domain probe: reads a domain's registration expiry over RDAP (RFC 9082 / 9083):
 * `GET <base>/domain/<name>`, redirects followed by hand, the answer read bounded, then the
 * `events[]` entry whose `eventAction` is "expiration" judged like a certificate's expiry.
 * The base is the monitor's `rdap`, else the one IANA's bootstrap registry (RFC 9224) lists for
 * the domain's TLD, fetched with a timeout and a size cap and kept a day per isolate.
 */
import { z } from "zod";
import { httpUrl } from "../config/common";
import { hostname, monitorBase, timing } from "../config/monitors";
import { readAtMost } from "../body";
import type { DomainInfo, ProbeResult } from "../contract/probe";
import { Deadline, TimeoutError } from "./deadline";
import { probeKind } from "./kind";
import { explainRequestFailure } from "./tls";

const HOUR = 3_600_000;
const DAY = 86_400_000;

/**
 * A domain's registration expiry, read over RDAP: degraded under `warnDays`, down under
 * `criticalDays`, expired or in redemption. Runs every `6h` unless `interval` says otherwise.
 */
export const domainMonitor = z
  .strictObject({
    ...monitorBase,
    type: z.literal("domain"),
    /** The registered domain: `example.com` (RDAP knows registrations, not their subdomains). */
    domain: hostname.refine((d) => d.replace(/\.$/, "").includes("."), "expected a registered domain such as example.com"),
    /**
     * The RDAP base URL (the registry's or registrar's, or a private one): the probe asks
     * `<rdap>/domain/<domain>`. Default: the server IANA's bootstrap registry
     * (data.iana.org/rdap/dns.json) lists for the domain's TLD.
     */
    rdap: httpUrl.optional(),
    /** Fewer days left than this: degraded. Default 30 (2 weeks above a `criticalDays` of 16 or more). */
    warnDays: z.number().int().min(1).max(365).optional(),
    /** Fewer days left than this: down. Default 7 (one below a `warnDays` of 7 or fewer). */
    criticalDays: z.number().int().min(0).max(364).optional(),
  })
  .transform((m, ctx) => {
    const warnDays = m.warnDays ?? (m.criticalDays === undefined ? 30 : Math.max(30, Math.min(365, m.criticalDays + 14)));
    const criticalDays = m.criticalDays ?? Math.min(7, warnDays - 1);
    // A registration changes over weeks: every 6 hours unless said otherwise.
    const filled = timing({ ...m, interval: m.interval ?? 6 * HOUR, warnDays, criticalDays }, ctx);
    if (criticalDays >= warnDays) {
      ctx.addIssue({ code: "custom", path: ["criticalDays"], message: `must be below warnDays (${warnDays}), got ${criticalDays}` });
    }
    return filled;
  });
export type DomainMonitor = z.infer<typeof domainMonitor>;

/** IANA's RDAP bootstrap registry for domain names (RFC 9224). */
export const IANA_BOOTSTRAP = "https://data.iana.org/rdap/dns.json";
/** The registry is about 10 KiB today; more than this is not it. */
const BOOTSTRAP_MAX_BYTES = 1024 * 1024;
/** IANA updates it rarely: kept a day; a failed read is retried after 5 minutes. */
const BOOTSTRAP_TTL = DAY;
const BOOTSTRAP_RETRY = 5 * 60_000;
/** An RDAP domain answer is a few KiB; more than this is refused. */
const ANSWER_MAX_BYTES = 256 * 1024;
const MAX_REDIRECTS = 5;

/** A failure worded for the operator: becomes the down reason as it is. */
class DomainFailure extends Error {}

type Services = [tlds: string[], urls: string[]][];
interface Bootstrap {
  at: number;
  services?: Services;
  error?: string;
}
const bootstraps = new Map<string, Bootstrap>();

/** Forgets the cached bootstrap registries (tests). */
export function clearBootstrapCache(): void {
  bootstraps.clear();
}

async function readBootstrap(source: string, deadline: Deadline): Promise<Services> {
  const what = `IANA's RDAP bootstrap registry (${source})`;
  let res: Response;
  try {
    res = await deadline.race(fetch(source, { headers: { accept: "application/json" }, signal: deadline.signal }), `waiting for ${what}`);
  } catch (err) {
    if (err instanceof TimeoutError) throw err;
    throw new DomainFailure(`cannot read ${what}: ${(err as Error).message}`);
  }
  if (res.status !== 200) {
    res.body?.cancel().catch(() => {});
    throw new DomainFailure(`cannot read ${what}: HTTP ${res.status}`);
  }
  const body = await readAtMost(res, BOOTSTRAP_MAX_BYTES, (work) => deadline.race(work, `while reading ${what}`));
  if (body.overflow) throw new DomainFailure(`cannot read ${what}: it is over ${BOOTSTRAP_MAX_BYTES / 1024} KiB`);
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder().decode(body.bytes));
  } catch {
    throw new DomainFailure(`cannot read ${what}: it is not JSON`);
  }
  const services = (doc as { services?: unknown })?.services;
  const valid =
    Array.isArray(services) &&
    services.every(
      (s) =>
        Array.isArray(s) &&
        Array.isArray(s[0]) &&
        Array.isArray(s[1]) &&
        (s[0] as unknown[]).every((t) => typeof t === "string") &&
        (s[1] as unknown[]).every((u) => typeof u === "string"),
    );
  if (!valid) throw new DomainFailure(`cannot read ${what}: it has no "services" list`);
  return services as Services;
}

/**
 * The RDAP base URL for `domain` from a bootstrap registry (IANA's by default): the entry for
 * the longest matching label suffix, its https URL first. The registry is cached per isolate
 * for a day (a failure for 5 minutes, so that a broken source is not asked every run).
 */
export async function rdapBaseFor(domain: string, deadline: Deadline, options: { source?: string; now?: number } = {}): Promise<string> {
  const source = options.source ?? IANA_BOOTSTRAP;
  const now = options.now ?? Date.now();
  let cached = bootstraps.get(source);
  const fresh = cached && now - cached.at < (cached.error ? BOOTSTRAP_RETRY : BOOTSTRAP_TTL);
  if (!cached || !fresh) {
    try {
      cached = { at: now, services: await readBootstrap(source, deadline) };
    } catch (err) {
      if (err instanceof TimeoutError) throw err; // this probe's own deadline: not the source's fault
      cached = { at: now, error: (err as Error).message };
    }
    bootstraps.set(source, cached);
  }
  if (cached.error) throw new DomainFailure(cached.error);
  const labels = domain.toLowerCase().split(".");
  for (let i = 0; i < labels.length; i++) {
    const suffix = labels.slice(i).join(".");
    const entry = cached.services!.find(([tlds]) => tlds.some((t) => t.toLowerCase() === suffix));
    if (!entry) continue;
    const url = entry[1].find((u) => u.startsWith("https:")) ?? entry[1].find((u) => u.startsWith("http:"));
    if (url) return url;
  }
  throw new DomainFailure(`no RDAP server for .${labels.at(-1)} in IANA's bootstrap registry; set rdap to the registry's RDAP URL`);
}

/** `<base>/domain/<name>`, whether or not the base ends in a slash (RFC 9224 §3: it should). */
export function rdapDomainUrl(base: string, domain: string): URL {
  return new URL(`domain/${encodeURIComponent(domain)}`, base.endsWith("/") ? base : `${base}/`);
}

interface RdapAnswer {
  url: URL;
  doc: Record<string, unknown>;
}

/** GET with redirects followed by hand (RFC 7480 §5.2: servers redirect to the authoritative one), bounded. */
async function askRdap(start: URL, domain: string, deadline: Deadline, onHop: (url: URL) => void): Promise<RdapAnswer> {
  const hops: string[] = [];
  let url = start;
  for (;;) {
    hops.push(url.href);
    onHop(url);
    const res = await deadline.race(
      fetch(url, { headers: { accept: "application/rdap+json, application/json" }, redirect: "manual", signal: deadline.signal }),
      `waiting for the RDAP server ${url.host}`,
    );
    if (res.status >= 300 && res.status < 400) {
      res.body?.cancel().catch(() => {});
      const location = res.headers.get("location");
      if (!location) throw new DomainFailure(`RDAP server ${url.host} answered HTTP ${res.status} without a Location`);
      const next = new URL(location, url);
      const trail = () => [...hops, next.href].join(" → ");
      if (next.protocol !== "https:" && next.protocol !== "http:")
        throw new DomainFailure(`RDAP server ${url.host} redirected to ${next.protocol} URL`);
      if (hops.includes(next.href)) throw new DomainFailure(`RDAP redirect loop: ${trail()}`);
      if (hops.length > MAX_REDIRECTS) throw new DomainFailure(`more than ${MAX_REDIRECTS} RDAP redirects: ${trail()}`);
      url = next;
      continue;
    }
    if (res.status === 404) {
      res.body?.cancel().catch(() => {});
      throw new DomainFailure(`no such domain: ${domain} (RDAP server ${url.host} answered 404)`);
    }
    if (res.status !== 200) {
      res.body?.cancel().catch(() => {});
      throw new DomainFailure(`RDAP server ${url.host} answered HTTP ${res.status}`);
    }
    const body = await readAtMost(res, ANSWER_MAX_BYTES, (work) => deadline.race(work, `while reading the RDAP answer from ${url.host}`));
    if (body.overflow) throw new DomainFailure(`RDAP answer from ${url.host} is over ${ANSWER_MAX_BYTES / 1024} KiB`);
    let doc: unknown;
    try {
      doc = JSON.parse(new TextDecoder().decode(body.bytes));
    } catch {
      const type = res.headers.get("content-type") ?? "no content-type";
      throw new DomainFailure(`RDAP answer from ${url.host} is not JSON (${type})`);
    }
    if (typeof doc !== "object" || doc === null || Array.isArray(doc))
      throw new DomainFailure(`RDAP answer from ${url.host} is not a JSON object`);
    return { url, doc: doc as Record<string, unknown> };
  }
}

/** The registrar entity's vCard `fn` (RFC 9083 §5.1, RFC 7095). */
function registrarName(doc: Record<string, unknown>): string | undefined {
  const entities = Array.isArray(doc.entities) ? (doc.entities as Record<string, unknown>[]) : [];
  const registrar = entities.find((e) => Array.isArray(e?.roles) && (e.roles as unknown[]).includes("registrar"));
  const vcard = Array.isArray(registrar?.vcardArray) ? (registrar.vcardArray as unknown[])[1] : undefined;
  if (!Array.isArray(vcard)) return undefined;
  const fn = vcard.find((p) => Array.isArray(p) && p[0] === "fn");
  return Array.isArray(fn) && typeof fn[3] === "string" ? fn[3] : undefined;
}

/** What the RDAP answer says about the registration; throws `DomainFailure` when it lacks the expiry. */
export function readDomainRecord(doc: Record<string, unknown>, domain: string, answeredBy: URL, now: number): DomainInfo {
  const events = Array.isArray(doc.events) ? (doc.events as Record<string, unknown>[]) : [];
  const expiration = events.find((e) => typeof e?.eventAction === "string" && e.eventAction.toLowerCase() === "expiration");
  if (!expiration) throw new DomainFailure(`RDAP record for ${domain} has no expiration event (${answeredBy.host})`);
  const at = typeof expiration.eventDate === "string" ? Date.parse(expiration.eventDate) : NaN;
  if (Number.isNaN(at))
    throw new DomainFailure(`RDAP record for ${domain} has an unreadable expiration date ${JSON.stringify(expiration.eventDate)}`);
  const registrar = registrarName(doc);
  return {
    expiresAt: new Date(at).toISOString(),
    daysLeft: Math.floor((at - now) / DAY),
    ...(registrar !== undefined && { registrar }),
    status: Array.isArray(doc.status) ? (doc.status as unknown[]).filter((s): s is string => typeof s === "string") : [],
    rdapUrl: answeredBy.href,
  };
}

const day = (iso: string) => iso.slice(0, 10);
const days = (n: number) => `${n} day${n === 1 ? "" : "s"}`;
/** RFC 8056 statuses of a registration on its way out. */
const ENDING = ["redemption period", "pending delete"];

/** Expired, on its way out, or inside the critical (down) or warning (degraded) window. */
export function judgeDomain(
  info: DomainInfo,
  domain: string,
  policy: Pick<DomainMonitor, "warnDays" | "criticalDays">,
  now: number,
): Pick<ProbeResult, "status" | "reason"> {
  const msLeft = Date.parse(info.expiresAt) - now;
  if (msLeft <= 0) {
    const ago = Math.floor(-msLeft / DAY);
    return { status: "down", reason: `domain ${domain} expired ${ago === 0 ? "today" : `${days(ago)} ago`} (${day(info.expiresAt)})` };
  }
  const ending = info.status.find((s) => ENDING.includes(s.toLowerCase()));
  if (ending) return { status: "down", reason: `domain ${domain} is in ${ending.toLowerCase()} (RDAP status)` };
  const expires = `domain ${domain} expires in ${days(info.daysLeft)} (${day(info.expiresAt)})`;
  if (info.daysLeft < policy.criticalDays)
    return { status: "down", reason: `${expires}, under the ${days(policy.criticalDays)} critical threshold` };
  if (info.daysLeft < policy.warnDays)
    return { status: "degraded", reason: `${expires}, under the ${days(policy.warnDays)} warning threshold` };
  return { status: "up" };
}

export async function probeDomain(spec: DomainMonitor): Promise<ProbeResult> {
  const started = Date.now();
  const checkedAt = new Date(started).toISOString();
  const deadline = new Deadline(spec.timeout);
  const domain = spec.domain.toLowerCase().replace(/\.$/, "");
  const down = (reason: string): ProbeResult => ({ status: "down", latencyMs: Date.now() - started, reason, checkedAt });
  let url: URL | undefined;
  try {
    url = rdapDomainUrl(spec.rdap ?? (await rdapBaseFor(domain, deadline)), domain);
    const answer = await askRdap(url, domain, deadline, (hop) => (url = hop));
    const latencyMs = Date.now() - started;
    const now = Date.now();
    const info = readDomainRecord(answer.doc, domain, answer.url, now);
    return { ...judgeDomain(info, domain, spec, now), latencyMs, checkedAt, domain: info };
  } catch (err) {
    if (err instanceof DomainFailure) return down(err.message);
    if (err instanceof TimeoutError) return down(err.message);
    if (deadline.signal.aborted) return down(new TimeoutError(spec.timeout, deadline.phase).message);
    if (!url) return down(`RDAP: ${(err as Error).message}`);
    return down(`RDAP server: ${await explainRequestFailure(url, err, Math.min(deadline.remaining, 5_000))}`);
  } finally {
    deadline.clear();
  }
}

export const domain = probeKind({
  type: "domain",
  schema: domainMonitor,
  run: probeDomain,
  /** The RDAP server it asks first: `rdap`, else IANA's bootstrap registry. */
  target: (spec) => ({ path: "rdap", url: spec.rdap ?? IANA_BOOTSTRAP }),
});
