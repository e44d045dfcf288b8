/**
 * The one place a notification goes over HTTP: hard timeout, the provider's answer classified
 * (`ok | retryable | permanent`), a short excerpt of an error answer kept for the delivery log,
 * and every secret (URL, token, key) redacted from anything that is logged.
 */
import { formatDuration } from "../../lib/duration";
import { toBase64, utf8 } from "../../lib/encoding";
import { explainRequestFailure } from "../probes/tls";
import { classifyHttp, redactSecrets, redactUrls, type DeliveryOutcome } from "./outcome";

/** A fully built request: what the pure payload builders return and the tests compare byte for byte. */
export interface HttpRequest {
  method: "POST" | "PATCH";
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface DeliverOptions {
  /** Per-attempt timeout, ms. */
  timeout: number;
  /** Values that must never appear in an error (the secret URL, token, key). */
  secrets: readonly string[];
  /** Provider-specific reading of an answer; return undefined to use the generic classification. */
  classify?: (status: number, body: string) => DeliveryOutcome | undefined;
}

const ERROR_EXCERPT = 200;

export async function deliverHttp(req: HttpRequest, opts: DeliverOptions): Promise<DeliveryOutcome> {
  const clean = (text: string) => redactUrls(redactSecrets(text, opts.secrets));
  let res: Response;
  try {
    res = await fetch(req.url, { method: req.method, headers: req.headers, body: req.body, signal: AbortSignal.timeout(opts.timeout) });
  } catch (err) {
    // The runtime's "Network connection lost." / "internal error; reference = …" say nothing;
    // one bounded connect says refused, no such host or closed before answering.
    const e = err as Error;
    const why =
      e.name === "TimeoutError"
        ? `no answer within ${formatDuration(opts.timeout)}`
        : clean(await explainRequestFailure(new URL(req.url), err, Math.min(opts.timeout, 2_000)));
    return { kind: "retryable", error: why };
  }
  const ok = res.status >= 200 && res.status < 300;
  let text = "";
  try {
    text = ok && !opts.classify ? (await res.body?.cancel(), "") : (await res.text()).slice(0, 2_000);
  } catch {
    // A body cut short does not change the status.
  }
  const outcome = opts.classify?.(res.status, text) ?? classifyHttp(res);
  if (outcome.kind === "ok") return outcome;
  const excerpt = text.trim().replace(/\s+/g, " ").slice(0, ERROR_EXCERPT);
  return { ...outcome, error: clean(excerpt ? `${outcome.error}: ${excerpt}` : outcome.error) };
}

/** Basic auth header value (RFC 7617). */
export function basicAuth(user: string, password: string): string {
  return `Basic ${toBase64(utf8(`${user}:${password}`))}`;
}
