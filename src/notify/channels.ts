/**
 * Channel registry: one sender per channel type. A type added to the config schema without a
 * sender here is a compile error. Adding a channel = its schema in `src/config/channels.ts` and
 * one line here.
 */
import type { ChannelSpec, ConfigEnv } from "../config";
import type { RenderContext } from "./content";
import { sendDiscord } from "./discord";
import { sendEmail } from "./email";
import type { NotifyMessage } from "./message";
import type { DeliveryOutcome } from "./outcome";
import { sendPagerduty } from "./pagerduty";
import { sendSlack } from "./slack";
import { sendSms } from "./sms";
import { sendStatuspage } from "./statuspage";
import { sendTeams } from "./teams";
import { sendWebhook } from "./webhook";

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

export type Sender<T extends ChannelSpec["type"]> = (channel: Extract<ChannelSpec, { type: T }>, ctx: SendContext) => Promise<DeliveryOutcome>;

const senders = {
  webhook: sendWebhook,
  slack: sendSlack,
  discord: sendDiscord,
  teams: sendTeams,
  pagerduty: sendPagerduty,
  email: sendEmail,
  sms: sendSms,
  statuspage: sendStatuspage,
} satisfies { [K in ChannelSpec["type"]]: Sender<K> };

/** Sends one message on one channel. A template that cannot render the event is a permanent failure. */
export async function send(channel: ChannelSpec, ctx: SendContext): Promise<DeliveryOutcome> {
  try {
    return await (senders[channel.type] as Sender<ChannelSpec["type"]>)(channel, ctx);
  } catch (err) {
    return { kind: "permanent", error: `cannot send ${ctx.message.event.type} on a ${channel.type} channel: ${(err as Error).message}` };
  }
}
