/**
 * Who sees what on the status page, `/status.json`, badges and the feed. Pure: no request, no
 * clock, no I/O, so a cache can key its copies by `Audience` alone.
 *
 * - `public`: anyone. Names, states, times, uptime and latency; no probe reasons, hosts, ports,
 *   bodies or header values, unless the service opts in with `publicDetails: true`.
 * - `operator`: someone who gave the admin token, or the private page's token (a private page
 *   has no anonymous readers). Everything.
 */
import type { ServiceSpec } from "../../config";

export type Audience = "public" | "operator";

/** The one rule: may `audience` see the raw details (reasons, targets) of `service`? */
export function showsDetails(audience: Audience, service: Pick<ServiceSpec, "publicDetails"> | undefined): boolean {
  return audience === "operator" || service?.publicDetails === true;
}

/**
 * How the public sees a check the page no longer lists (removed from the config, an agent
 * check not reported lately): its id may name a host, so it is not shown.
 */
export const UNLISTED_CHECK = "a check";

/** What people call each kind of agent check (`postgres:10.0.0.5:5432` → "PostgreSQL"). */
const AGENT_CHECK_KIND: Record<string, string> = {
  docker: "Container",
  postgres: "PostgreSQL",
  redis: "Redis",
  host: "Host resources",
  logs: "Log errors",
  http: "HTTP endpoint",
  tcp: "TCP port",
  certfile: "Certificate file",
};

/** A name the config chose (`docker:postgres`, `postgres:main`), not a target (`postgres:10.0.0.5:5432`, `logs:/var/log/x`). */
const PLAIN_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The public id and name of an agent check. The agent names a check `<kind>:<name>`, where the
 * name defaults to what the check watches (a host and port, a file, a URL): those stay inside,
 * and the check shows as its kind on its agent, numbered when an agent has several of a kind.
 *
 * `siblings` are the check parts (`kind:rest`) of every check of the same agent, in page order,
 * so the numbering is stable while the set of checks is.
 */
export function publicAgentCheck(agentId: string, check: string, siblings: readonly string[]): { id: string; name: string } {
  const colon = check.indexOf(":");
  const kind = colon < 0 ? check : check.slice(0, colon);
  const rest = colon < 0 ? "" : check.slice(colon + 1);
  if (PLAIN_NAME.test(kind) && (rest === "" || PLAIN_NAME.test(rest)))
    return { id: `agent:${agentId}:${check}`, name: `${check} on ${agentId}` };
  const safeKind = PLAIN_NAME.test(kind) ? kind : "check";
  const label = AGENT_CHECK_KIND[safeKind] ?? safeKind;
  const same = siblings.filter((s) => {
    const c = s.indexOf(":");
    const k = c < 0 ? s : s.slice(0, c);
    const r = c < 0 ? "" : s.slice(c + 1);
    return (PLAIN_NAME.test(k) ? k : "check") === safeKind && !(PLAIN_NAME.test(k) && (r === "" || PLAIN_NAME.test(r)));
  });
  const n = same.indexOf(check) + 1;
  const suffix = same.length > 1 ? `-${n}` : "";
  return { id: `agent:${agentId}:${safeKind}${suffix}`, name: `${label}${same.length > 1 ? ` ${n}` : ""} on ${agentId}` };
}

/**
 * An incident's title for the public. The engine titles an incident
 * `<service>: <check id> down — <reason>` (`SafeWork: safework-health down — request to
 * 10.0.0.5:8080 failed …`); notifications keep that, the public gets `<service>: <check name>
 * down`. A title in any other form loses whatever follows " — ".
 */
export function publicIncidentTitle(title: string, serviceName: string, checks: readonly { id: string; name: string }[]): string {
  for (const c of checks) {
    const head = `${serviceName}: ${c.id} down`;
    if (title === head || title.startsWith(`${head} — `)) return `${serviceName}: ${c.name} down`;
  }
  const cut = title.indexOf(" — ");
  return cut < 0 ? title : title.slice(0, cut);
}
