/**
 * What every notification channel shares: building blocks for the channel schemas, each of
 * which sits beside its sender (src/notify/<type>.ts), and the check of where channels may be
 * used. The `channels[]` union is built from the list in src/notify/kinds.ts.
 * A URL that is itself a credential (Slack, Discord and Teams webhooks) is only accepted as a
 * secret reference, so it can never end up in the config file, a payload or a log.
 */
import { z } from "zod";
import { duration } from "./duration";

/** Per-attempt timeout. Default `10s`. */
export const timeout = () => duration({ min: "1s", max: "30s" }).prefault("10s");

export const e164 = z.string().regex(/^\+[1-9]\d{6,14}$/, "expected an E.164 phone number such as +821012345678");
export const emailAddress = z.email({ error: "expected an e-mail address such as oncall@example.com" });
/** `Name <addr@example.com>` or a bare address, as e-mail APIs accept in `from`. */
export const mailbox = z
  .string()
  .regex(
    /^([^<>]{1,100} <[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+>|[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+)$/,
    'expected "Name <addr@example.com>" or an address',
  );

/**
 * Where channels are used must fit what they can carry: policy levels need incident channels
 * (a status page follows monitor state, not incidents), the digest needs one that can show a
 * report. Reads the raw config defensively, like the other cross-reference checks.
 */
export function channelUseIssues(
  raw: Record<string, unknown>,
  carry: { incidents: readonly string[]; digest: readonly string[] },
): { path: (string | number)[]; message: string }[] {
  const INCIDENT_CHANNEL_TYPES = carry.incidents;
  const DIGEST_CHANNEL_TYPES = carry.digest;
  const out: { path: (string | number)[]; message: string }[] = [];
  const channels = Array.isArray(raw.channels) ? (raw.channels as { id?: unknown; type?: unknown }[]) : [];
  const typeOf = new Map(channels.filter((c) => c && typeof c.id === "string").map((c) => [c.id as string, c.type]));
  const policies = Array.isArray(raw.policies) ? (raw.policies as Record<string, unknown>[]) : [];
  policies.forEach((p, i) => {
    // State pages (monitoringBroken, degraded) are pages too.
    for (const field of ["monitoringBroken", "degraded"]) {
      const rule = p?.[field] as { channels?: unknown } | undefined;
      if (!rule || !Array.isArray(rule.channels)) continue;
      rule.channels.forEach((c, k) => {
        const type = typeOf.get(c as string);
        if (typeof type === "string" && !INCIDENT_CHANNEL_TYPES.includes(type))
          out.push({
            path: ["policies", i, field, "channels", k],
            message: `channel "${c}" is a ${type} channel, which follows monitor state and cannot take pages (expected one of ${INCIDENT_CHANNEL_TYPES.join(", ")})`,
          });
      });
    }
    if (!p || !Array.isArray(p.levels)) return;
    p.levels.forEach((l: { channels?: unknown }, j) => {
      if (!l || !Array.isArray(l.channels)) return;
      l.channels.forEach((c, k) => {
        const type = typeOf.get(c as string);
        if (typeof type === "string" && !INCIDENT_CHANNEL_TYPES.includes(type)) {
          out.push({
            path: ["policies", i, "levels", j, "channels", k],
            message: `channel "${c}" is a ${type} channel, which follows monitor state and cannot take incident pages (expected one of ${INCIDENT_CHANNEL_TYPES.join(", ")})`,
          });
        }
      });
    });
  });
  const digest = raw.digest as { channel?: unknown; services?: unknown } | undefined;
  if (digest && typeof digest === "object") {
    if (typeof digest.channel === "string") {
      const type = typeOf.get(digest.channel);
      if (type === undefined)
        out.push({
          path: ["digest", "channel"],
          message: `unknown channel "${digest.channel}" (known: ${[...typeOf.keys()].map((s) => `"${s}"`).join(", ") || "none defined"})`,
        });
      else if (!(DIGEST_CHANNEL_TYPES as readonly unknown[]).includes(type))
        out.push({
          path: ["digest", "channel"],
          message: `channel "${digest.channel}" is a ${String(type)} channel, which cannot carry the digest (expected one of ${DIGEST_CHANNEL_TYPES.join(", ")})`,
        });
    }
    const services = new Set((Array.isArray(raw.services) ? (raw.services as { id?: unknown }[]) : []).map((s) => s?.id));
    if (Array.isArray(digest.services)) {
      digest.services.forEach((s, i) => {
        if (typeof s === "string" && !services.has(s)) out.push({ path: ["digest", "services", i], message: `unknown service "${s}"` });
      });
    }
  }
  return out;
}
