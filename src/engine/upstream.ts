/**
 * The upstream fact of a service: does a provider it depends on (`services[].upstreams`, whose
 * status pages src/upstreams/poll.ts reads) report an incident now? Pure: the ServiceObject
 * loads the stored readings and passes them in; `step` gets the result as `ctx.upstream`.
 *
 * Only a reported incident counts. An upstream whose page could not be read ("upstream
 * unknown") or that reports nothing holds no page back: silence from a provider's status page
 * is no evidence that the provider is down.
 */

export interface UpstreamReading {
  id: string;
  /** The configured name, else the page's own, else the id. */
  name: string;
  state: "operational" | "incident" | "unknown";
  /** The incident's title while `state` is `incident`. */
  title: string | null;
  /** When the state began. */
  since: number;
}

export interface UpstreamFact {
  /** The upstreams reporting an incident, in the service's order. */
  upstreams: string[];
  /** What pages and the timeline say: `upstream incident: Elevated API error rates (GitHub)`. */
  text: string;
  /** Pages go at most to this level while the fact holds (the policy's `upstreamLevel`; 0: none). */
  maxLevel: number;
  /** When the earliest of those incidents began. */
  since: number;
}

/** The fact for a service depending on `upstreamIds`, or null when none of them reports an incident. */
export function upstreamFact(
  upstreamIds: readonly string[],
  readings: ReadonlyMap<string, UpstreamReading>,
  maxLevel: number,
): UpstreamFact | null {
  const open = upstreamIds.flatMap((id) => {
    const r = readings.get(id);
    return r && r.state === "incident" ? [r] : [];
  });
  if (open.length === 0) return null;
  const parts = open.map((r) => `${r.title ?? "incident reported"} (${r.name})`);
  return {
    upstreams: open.map((r) => r.id),
    text: `upstream incident: ${parts.join("; ")}`,
    maxLevel,
    since: Math.min(...open.map((r) => r.since)),
  };
}
