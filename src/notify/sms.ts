/**
 * SMS through a Twilio-compatible Messages API
 * (https://www.twilio.com/docs/messaging/api/message-resource#create-a-message-resource):
 * `POST {baseUrl}/2010-04-01/Accounts/{AccountSid}/Messages.json`, HTTP basic auth
 * `AccountSid:AuthToken`, `application/x-www-form-urlencoded` with `To`, `From` (or
 * `MessagingServiceSid`) and `Body`. Answers `201` with the message resource; `400` (invalid
 * number, …) is permanent; `429` and `5xx` are retried.
 */
import { reveal, type SmsChannel } from "../config";
import type { SendContext } from "./channels";
import { incidentHeadline, incidentView } from "./content";
import { basicAuth, deliverHttp, type HttpRequest } from "./http";
import type { WebhookEvent } from "./message";
import type { DeliveryOutcome } from "./outcome";

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
