/**
 * CONTRIBUTING.md, "Adding a kind", followed for a channel: a trivial kind written here as the
 * recipe says (schema + sender + what it carries in one `channelKind`), added to Vigil's list
 * through the same `channelRegistry` that src/notify/kinds.ts calls. It validates as a
 * `channels[]` entry, may be used where its facts allow, sends, and follows the checks it says.
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { channelUseIssues, timeout } from "../../../src/config/channels";
import { id } from "../../../src/config/common";
import { formatIssues } from "../../../src/config";
import { channelKind, channelRegistry, type SendContext } from "../../../src/notify/kind";
import { channels } from "../../../src/notify/kinds";
import type { NotifyMessage } from "../../../src/notify/message";

// 1. The kind's file: its schema, its sender, its facts.
const sent: { channel: string; key: string }[] = [];
/** Keeps messages in memory: a channel that needs no network. */
const memoChannel = z.strictObject({
  id,
  type: z.literal("memo"),
  /** Check ids whose state changes it records. */
  follows: z.array(z.string().min(1)).default([]),
  timeout: timeout(),
});
const memo = channelKind({
  type: "memo",
  schema: memoChannel,
  send: async (channel, ctx) => {
    sent.push({ channel: channel.id, key: ctx.message.key });
    return { kind: "ok" };
  },
  incidents: true,
  digest: false,
  followsState: (channel, checkId) => channel.follows.includes(checkId),
});

// 2. The one registry line (src/notify/kinds.ts has `channelRegistry([webhook, slack, …])`).
const registry = channelRegistry([...channels.kinds, memo]);

const message: NotifyMessage = {
  key: "inc_1:1:notes:incident.opened",
  channelId: "notes",
  incidentId: "inc_1",
  level: 1,
  event: { type: "incident.opened", timestamp: new Date(0).toISOString(), data: {} },
};
const context = (m: NotifyMessage): SendContext => ({
  env: {},
  message: m,
  now: 0,
  render: { timezone: "UTC" },
  checkStatuses: async () => ({}),
});

describe("adding a channel kind", () => {
  it("validates from config with the shared defaults and error paths", () => {
    expect(registry.channelSpec.parse({ id: "notes", type: "memo" })).toEqual({ id: "notes", type: "memo", follows: [], timeout: 10_000 });
    const bad = registry.channelSpec.safeParse({ id: "notes", type: "memo", timeout: "2m" });
    expect(formatIssues(bad.error!.issues)).toEqual([expect.stringMatching(/^timeout: /)]);
  });

  it("may be used where its facts allow: incident pages yes, the digest no", () => {
    const raw = {
      channels: [{ id: "notes", type: "memo" }],
      policies: [{ id: "p", levels: [{ channels: ["notes"] }] }],
      digest: { channel: "notes" },
    };
    const issues = channelUseIssues(raw, { incidents: registry.incidentTypes, digest: registry.digestTypes });
    const digestRefused = expect.stringMatching(/^channel "notes" is a memo channel, which cannot carry the digest/);
    expect(issues).toEqual([{ path: ["digest", "channel"], message: digestRefused }]);
    expect(registry.incidentTypes).toEqual([...channels.incidentTypes, "memo"]);
  });

  it("sends through the registry, and a sender that throws is a permanent failure", async () => {
    const channel = registry.channelSpec.parse({ id: "notes", type: "memo" });
    expect(await registry.send(channel, context(message))).toEqual({ kind: "ok" });
    expect(sent).toEqual([{ channel: "notes", key: message.key }]);
    const broken = channelRegistry([channelKind({ ...memo, send: async () => Promise.reject(new Error("template broke")) })]);
    const outcome = await broken.send(broken.channelSpec.parse({ id: "notes", type: "memo" }), context(message));
    expect(outcome).toEqual({ kind: "permanent", error: "cannot send incident.opened on a memo channel: template broke" });
  });

  it("follows the checks it says it follows", () => {
    const channel = registry.channelSpec.parse({ id: "notes", type: "memo", follows: ["db-health"] });
    expect(registry.followsState(channel, "db-health")).toBe(true);
    expect(registry.followsState(channel, "web")).toBe(false);
  });

  it("is refused by the type checker when a fact is missing", () => {
    // @ts-expect-error — no `digest`: a kind must say whether it carries the digest.
    channelKind({ type: "memo", schema: memoChannel, send: memo.send, incidents: true, followsState: () => false });
    expect(true).toBe(true);
  });
});
