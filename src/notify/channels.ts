/**
 * Channel registry: one sender per channel type. A type added to the config schema without a
 * sender here is a compile error.
 */
import type { ChannelSpec, ConfigEnv } from "../config";
import type { WebhookEvent } from "./message";
import type { DeliveryOutcome } from "./outcome";
import { sendWebhook } from "./webhook";

type Sender<T extends ChannelSpec["type"]> = (
  channel: Extract<ChannelSpec, { type: T }>,
  env: ConfigEnv,
  id: string,
  event: WebhookEvent,
  now: number,
) => Promise<DeliveryOutcome>;

const senders = {
  webhook: sendWebhook,
} satisfies { [K in ChannelSpec["type"]]: Sender<K> };

export function send(channel: ChannelSpec, env: ConfigEnv, id: string, event: WebhookEvent, now: number): Promise<DeliveryOutcome> {
  return (senders[channel.type] as Sender<ChannelSpec["type"]>)(channel, env, id, event, now);
}
