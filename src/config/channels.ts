/** Notification channels: one schema per channel type, joined in `channelSpec`. */
import { z } from "zod";
import { id, httpUrl, secretRef } from "./common";
import { duration } from "./duration";

export const webhookChannel = z.strictObject({
  id,
  type: z.literal("webhook"),
  /** Receiver URL; may itself be a secret. */
  url: z.union([httpUrl, secretRef]),
  /** Standard Webhooks signing secret (`whsec_…`), named by environment variable. */
  secret: secretRef,
  /** Per-attempt timeout. Default `10s`. */
  timeout: duration({ min: "1s", max: "30s" }).prefault("10s"),
});

export const channelSpec = z.discriminatedUnion("type", [webhookChannel]);
export type ChannelSpec = z.infer<typeof channelSpec>;
export type WebhookChannel = z.infer<typeof webhookChannel>;

