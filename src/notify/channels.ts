/**
 * Sending one message on one channel, whatever its kind. The kinds are listed in `./kinds.ts`;
 * what a kind is, in `./kind.ts`.
 */
import { channels, type ChannelSpec } from "./kinds";
import type { SendContext } from "./kind";
import type { DeliveryOutcome } from "./outcome";

export type { SendContext };

/** Sends one message on one channel. A template that cannot render the event is a permanent failure. */
export function send(channel: ChannelSpec, ctx: SendContext): Promise<DeliveryOutcome> {
  return channels.send(channel, ctx);
}
