/**
 * Atlassian-Statuspage-compatible component updates
 * (https://developer.statuspage.io/#operation/patchPagesPageIdComponentsComponentId):
 * `PATCH {url}/pages/{page_id}/components/{component_id}`, `Authorization: OAuth <api key>`,
 * JSON `{ "component": { "status": "operational" | "degraded_performance" | "partial_outage" | "major_outage" } }`.
 *
 * Driven by monitor state, not incidents: a `monitor.state_changed` message says "a check of
 * these components changed"; the sender reads the components' checks' current statuses and sets
 * each component to `componentStatus(...)`. Setting an absolute status is idempotent and the
 * latest state always wins, so a late retry can never put an old status back.
 */
import { z } from "zod";
import { httpUrl, id, reveal, secretRef } from "../config/common";
import { timeout } from "../config/channels";
import { channelKind, type SendContext } from "./kind";
import { deliverHttp, type HttpRequest } from "./http";
import type { DeliveryOutcome } from "./outcome";

/** Atlassian Statuspage component statuses. */
export const COMPONENT_STATUSES = ["operational", "degraded_performance", "partial_outage", "major_outage"] as const;

/**
 * Atlassian-Statuspage-compatible component updates, driven by monitor state (not by incidents):
 * `PATCH {url}/pages/{pageId}/components/{component}` with `Authorization: OAuth <apiKey>`.
 */
export const statuspageChannel = z.strictObject({
  id,
  type: z.literal("statuspage"),
  pageId: z.string().regex(/^[a-z0-9]{6,32}$/, "expected a Statuspage page id such as 'kctbh9vrtdwd'"),
  apiKey: secretRef,
  /** API base. Default `https://api.statuspage.io/v1`. */
  url: httpUrl.default("https://api.statuspage.io/v1"),
  /** Each component's status follows the checks listed (monitor ids or agent check ids). */
  components: z
    .array(
      z.strictObject({
        component: z.string().regex(/^[a-z0-9]{6,32}$/, "expected a Statuspage component id"),
        checks: z.array(z.string().min(1)).min(1),
      }),
    )
    .min(1),
  timeout: timeout(),
});
export type StatuspageChannel = z.infer<typeof statuspageChannel>;

export type ComponentStatus = (typeof COMPONENT_STATUSES)[number];

/**
 * A component's status from its checks' statuses: all down → major_outage; some down →
 * partial_outage; any degraded → degraded_performance; else operational. Checks without a
 * known status (`unknown`, `stale`, never seen) do not count.
 */
export function componentStatus(statuses: readonly string[]): ComponentStatus {
  const known = statuses.filter((s) => s === "up" || s === "degraded" || s === "down");
  const down = known.filter((s) => s === "down").length;
  if (down > 0 && down === known.length) return "major_outage";
  if (down > 0) return "partial_outage";
  if (known.includes("degraded")) return "degraded_performance";
  return "operational";
}

export function buildStatuspageRequest(
  channel: Pick<StatuspageChannel, "url" | "pageId">,
  apiKey: string,
  component: string,
  status: ComponentStatus,
): HttpRequest {
  return {
    method: "PATCH",
    url: `${channel.url.replace(/\/$/, "")}/pages/${encodeURIComponent(channel.pageId)}/components/${encodeURIComponent(component)}`,
    headers: { authorization: `OAuth ${apiKey}`, "content-type": "application/json" },
    body: JSON.stringify({ component: { status } }),
  };
}

export async function sendStatuspage(channel: StatuspageChannel, ctx: SendContext): Promise<DeliveryOutcome> {
  const event = ctx.message.event;
  if (event.type !== "monitor.state_changed")
    return { kind: "permanent", error: `statuspage channels take monitor.state_changed events, got ${event.type}` };
  const checkId = (event.data.check as { id?: unknown } | undefined)?.id;
  if (typeof checkId !== "string") return { kind: "permanent", error: "event data.check.id: expected a string" };
  const components = channel.components.filter((c) => c.checks.includes(checkId));
  const apiKey = reveal(channel.apiKey, ctx.env);
  const statuses = await ctx.checkStatuses([...new Set(components.flatMap((c) => c.checks))]);
  // Every component of the check is set; a failure retries them all (PATCH is idempotent).
  let last: DeliveryOutcome = { kind: "ok" };
  for (const c of components) {
    const status = componentStatus(c.checks.map((id) => statuses[id] ?? "unknown"));
    last = await deliverHttp(buildStatuspageRequest(channel, apiKey, c.component, status), { timeout: channel.timeout, secrets: [apiKey] });
    if (last.kind !== "ok") return last;
  }
  return last;
}

export const statuspage = channelKind({
  type: "statuspage",
  schema: statuspageChannel,
  send: sendStatuspage,
  incidents: false,
  digest: false,
  followsState: (channel, checkId) => channel.components.some((c) => c.checks.includes(checkId)),
});
