/**
 * Spawn kind "pagerduty": PagerDuty Events API v2 (`POST /v2/enqueue`), checked field by field
 * as https://developer.pagerduty.com/docs/events-api-v2/trigger-events/ describes, and the
 * alert lifecycle per `dedup_key` as PagerDuty applies it: trigger opens (or updates an open)
 * alert; acknowledge / resolve act on an open alert and are ignored otherwise; a trigger after
 * resolve opens a new alert. `state.alerts[dedup_key]` keeps status, actions and alerts opened;
 * `state.ignored` lists events that did nothing.
 */
import type { Spawned } from "./index";
import { Problems, isObject, jsonAnswer, onlyKeys, parseJson, startProvider, type ProviderRequest } from "./provider";

interface Alert {
  status: "triggered" | "acknowledged" | "resolved";
  actions: string[];
  opened: number;
  summaries: string[];
  severity?: string;
}

export async function spawnPagerduty(options: { routingKey: string }): Promise<Spawned> {
  let alerts: Record<string, Alert> = {};
  let ignored: { action: string; dedup_key: string }[] = [];
  return startProvider({
    state: () => ({ alerts, ignored }),
    reset: () => ((alerts = {}), (ignored = [])),
    handle(req: ProviderRequest) {
      const p = new Problems();
      if (req.method !== "POST" || req.path !== "/v2/enqueue")
        return { answer: jsonAnswer(404, { status: "not found" }), problems: [`${req.method} ${req.path}: expected POST /v2/enqueue`] };
      const e = parseJson(req, p);
      if (isObject(e)) {
        onlyKeys(e, ["routing_key", "event_action", "dedup_key", "payload", "images", "links", "client", "client_url"], "event", p);
        p.check(e.routing_key === options.routingKey, "routing_key: not this integration's key");
        p.check(
          ["trigger", "acknowledge", "resolve"].includes(e.event_action),
          `event_action: expected trigger, acknowledge or resolve, got ${e.event_action}`,
        );
        p.check(
          typeof e.dedup_key === "string" && e.dedup_key.length > 0 && e.dedup_key.length <= 255,
          "dedup_key: expected 1–255 characters",
        );
        if (e.event_action === "trigger") {
          const pl = e.payload;
          if (p.check(isObject(pl), "payload: required for trigger")) {
            onlyKeys(pl, ["summary", "source", "severity", "timestamp", "component", "group", "class", "custom_details"], "payload", p);
            p.check(
              typeof pl.summary === "string" && pl.summary.length > 0 && pl.summary.length <= 1024,
              "payload.summary: expected 1–1024 characters",
            );
            p.check(typeof pl.source === "string" && pl.source.length > 0, "payload.source: required");
            p.check(["critical", "error", "warning", "info"].includes(pl.severity), `payload.severity: got ${pl.severity}`);
            if (pl.timestamp !== undefined)
              p.check(typeof pl.timestamp === "string" && !Number.isNaN(Date.parse(pl.timestamp)), "payload.timestamp: expected ISO 8601");
          }
          if (e.links !== undefined)
            p.check(
              Array.isArray(e.links) && e.links.every((l: any) => typeof l?.href === "string" && typeof l?.text === "string"),
              "links: expected [{ href, text }]",
            );
        } else p.check(e.payload === undefined, "payload: only for trigger");
      } else p.check(false, "event: expected a JSON object");
      if (p.any)
        return {
          answer: jsonAnswer(400, { status: "invalid event", message: "Event object is invalid", errors: p.list }),
          problems: p.list,
        };

      const key = e.dedup_key as string;
      const a = alerts[key];
      if (e.event_action === "trigger") {
        if (!a || a.status === "resolved")
          alerts[key] = {
            status: "triggered",
            actions: [...(a?.actions ?? []), "trigger"],
            opened: (a?.opened ?? 0) + 1,
            summaries: [...(a?.summaries ?? []), e.payload.summary],
            severity: e.payload.severity,
          };
        else
          Object.assign(a, {
            actions: [...a.actions, "trigger"],
            summaries: [...a.summaries, e.payload.summary],
            severity: e.payload.severity,
          });
      } else if (!a || a.status === "resolved") ignored.push({ action: e.event_action, dedup_key: key });
      else
        Object.assign(a, {
          status: e.event_action === "acknowledge" ? "acknowledged" : "resolved",
          actions: [...a.actions, e.event_action],
        });
      return { answer: jsonAnswer(202, { status: "success", message: "Event processed", dedup_key: key }) };
    },
  });
}
