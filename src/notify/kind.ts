/**
 * What a channel kind is: one module (`./slack.ts`, `./pagerduty.ts`, …) exporting one
 * `ChannelKind` — its config schema, its sender and what it can carry. `./kinds.ts` lists them;
 * the config's `channels[]` union, the sender registry and the checks of where a channel may be
 * used are built from that list (`channelRegistry`), so a channel is one file plus one line
 * there, and a kind missing a piece does not compile. CONTRIBUTING.md, "Adding a kind".
 */
import { z } from "zod";
import type { ConfigEnv } from "../config/common";
import type { RenderContext } from "./content";
import type { NotifyMessage } from "./message";
import type { DeliveryOutcome } from "./outcome";

/** Everything a sender may use; built by the consumer, so senders stay free of D1 and config. */
export interface SendContext {
  /** Bindings and secrets (`reveal` reads secret references from here). */
  env: ConfigEnv;
  message: NotifyMessage;
  /** Unix ms of this attempt. */
  now: number;
  render: RenderContext;
  /** Current statuses (`up | degraded | down | unknown`) of the given checks; for status pages. */
  checkStatuses(ids: readonly string[]): Promise<Record<string, string>>;
}

/** A channel schema: `z.strictObject({ id, type: z.literal("…"), …, timeout: timeout() })`. */
export type ChannelSchema = z.ZodType<{ type: string; id: string; timeout: number }>;

export interface ChannelKind<S extends ChannelSchema = ChannelSchema> {
  /** The channel's `type`, equal to the schema's `type` literal. */
  readonly type: z.output<S>["type"];
  /** The channel as written in the config; its JSDoc is the reference (docs/reference.md). */
  readonly schema: S;
  /** One attempt: `ok`, `retryable` or `permanent` (./outcome.ts). Retries and backoff are the consumer's. */
  send(channel: z.output<S>, ctx: SendContext): Promise<DeliveryOutcome>;
  /** Takes incident pages: policy levels may name it. */
  readonly incidents: boolean;
  /** Can carry the daily digest (`digest.channel`). */
  readonly digest: boolean;
  /** Receives `monitor.state_changed` when this check changes status (a status page, a webhook with `stateChanges`). */
  followsState(channel: z.output<S>, checkId: string): boolean;
}

/** Identity with inference: `export const slack = channelKind({ type: "slack", schema: slackChannel, … })`. */
export function channelKind<S extends ChannelSchema>(kind: ChannelKind<S>): ChannelKind<S> {
  return kind;
}

// `any` here: each kind's `send` takes its own channel type, and a list holds them all.
// biome-ignore lint/suspicious/noExplicitAny: variance of a heterogeneous list
type AnyChannelKind = ChannelKind<any>;
type Schemas<K extends readonly AnyChannelKind[]> = { -readonly [I in keyof K]: K[I]["schema"] };
type TypesWhere<K extends readonly AnyChannelKind[]> = K[number]["type"][];

/**
 * Everything built from a list of channel kinds: the `channels[]` union, the sender and the
 * facts of what each can carry. `./kinds.ts` calls it with Vigil's list; a test may call it with one more.
 */
export function channelRegistry<const K extends readonly [AnyChannelKind, ...AnyChannelKind[]]>(kinds: K) {
  type Channel = z.output<K[number]["schema"]>;
  const byType = new Map<string, AnyChannelKind>(kinds.map((k) => [k.type, k]));
  if (byType.size !== kinds.length) throw new Error("two channel kinds share a type");
  const kindOf = (channel: { type: string }) => byType.get(channel.type)!;

  /** Sends one message on one channel. A template that cannot render the event is a permanent failure. */
  async function send(channel: Channel, ctx: SendContext): Promise<DeliveryOutcome> {
    try {
      return await kindOf(channel).send(channel, ctx);
    } catch (err) {
      return { kind: "permanent", error: `cannot send ${ctx.message.event.type} on a ${channel.type} channel: ${(err as Error).message}` };
    }
  }

  return {
    kinds,
    /** `channels[]`: one entry per kind, told apart by `type`. */
    channelSpec: z.discriminatedUnion("type", kinds.map((k) => k.schema) as unknown as Schemas<K>),
    send,
    /** Types that can carry incident pages (policy levels), in list order. */
    incidentTypes: kinds.filter((k) => k.incidents).map((k) => k.type) as TypesWhere<K>,
    /** Types that can carry the daily digest, in list order. */
    digestTypes: kinds.filter((k) => k.digest).map((k) => k.type) as TypesWhere<K>,
    /** Does this channel receive `monitor.state_changed` for this check? */
    followsState: (channel: Channel, checkId: string): boolean => kindOf(channel).followsState(channel, checkId),
  };
}
