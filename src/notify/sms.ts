/**
 * SMS through a Twilio-compatible Messages API
 * (https://www.twilio.com/docs/messaging/api/message-resource#create-a-message-resource):
 * `POST {baseUrl}/2010-04-01/Accounts/{AccountSid}/Messages.json`, HTTP basic auth
 * `AccountSid:AuthToken`, `application/x-www-form-urlencoded` with `To`, `From` (or
 * `MessagingServiceSid`) and `Body`. Answers `201` with the message resource; `400` (invalid
 * number, …) is permanent; `429` and `5xx` are retried.
 */
import { z } from "zod";
import { httpUrl, id, reveal, secretRef } from "../config/common";
import { e164, timeout } from "../config/channels";
import { channelKind, type SendContext } from "./kind";
import { incidentHeadline, incidentView } from "./content";
import { basicAuth, deliverHttp, type HttpRequest } from "./http";
import type { WebhookEvent } from "./message";
import type { DeliveryOutcome } from "./outcome";

/**
 * SMS through a Twilio-compatible Messages API: `POST {baseUrl}/2010-04-01/Accounts/{accountSid}/Messages.json`,
 * form-encoded, HTTP basic auth `accountSid:authToken`. One recipient per channel (one page = one
 * idempotent request); define one channel per person on call.
 */
export const smsChannel = z
  .strictObject({
    id,
    type: z.literal("sms"),
    accountSid: z.string().regex(/^AC[0-9a-zA-Z]{32}$/, "expected a Twilio account SID: 'AC' and 32 characters"),
    authToken: secretRef,
    /** Sending number (E.164); or give `messagingServiceSid`. */
    from: e164.optional(),
    messagingServiceSid: z
      .string()
      .regex(/^MG[0-9a-zA-Z]{32}$/, "expected a messaging service SID: 'MG' and 32 characters")
      .optional(),
    to: e164,
    /** Default `https://api.twilio.com`; any Twilio-compatible provider's base URL. */
    baseUrl: httpUrl.default("https://api.twilio.com"),
    timeout: timeout(),
  })
  .superRefine((c, ctx) => {
    if ((c.from === undefined) === (c.messagingServiceSid === undefined)) {
      ctx.addIssue({ code: "custom", path: ["from"], message: "give exactly one of from (a phone number) or messagingServiceSid" });
    }
  });

export type SmsChannel = z.infer<typeof smsChannel>;

/** Two GSM-7 segments: long enough for a title and a link, short enough to stay cheap. */
export const SMS_MAX = 306;

/** The SMS text: the title, then the acknowledge and view links. Pure. */
export function smsText(event: WebhookEvent): string {
  const v = incidentView(event);
  const links = [v.acknowledgeUrl && `Ack: ${v.acknowledgeUrl}`, v.url].filter((x): x is string => !!x);
  const tail = links.length > 0 ? `\n${links.join("\n")}` : "";
  const title = incidentHeadline(v);
  const room = Math.max(40, SMS_MAX - tail.length);
  return `${title.length <= room ? title : `${title.slice(0, room - 1)}…`}${tail}`;
}

export function buildSmsRequest(channel: SmsChannel, authToken: string, event: WebhookEvent): HttpRequest {
  const form = new URLSearchParams();
  form.set("To", channel.to);
  if (channel.messagingServiceSid) form.set("MessagingServiceSid", channel.messagingServiceSid);
  else form.set("From", channel.from!);
  form.set("Body", smsText(event));
  return {
    method: "POST",
    url: `${channel.baseUrl.replace(/\/$/, "")}/2010-04-01/Accounts/${channel.accountSid}/Messages.json`,
    headers: { authorization: basicAuth(channel.accountSid, authToken), "content-type": "application/x-www-form-urlencoded" },
    body: form.toString(),
  };
}

export async function sendSms(channel: SmsChannel, ctx: SendContext): Promise<DeliveryOutcome> {
  const token = reveal(channel.authToken, ctx.env);
  const req = buildSmsRequest(channel, token, ctx.message.event);
  return deliverHttp(req, { timeout: channel.timeout, secrets: [token, req.headers.authorization!.slice("Basic ".length)] });
}

export const sms = channelKind({
  type: "sms",
  schema: smsChannel,
  send: sendSms,
  incidents: true,
  digest: false,
  followsState: () => false,
});
