/**
 * The channel kinds, one line each. The config's `channels[]` union, the sender registry and
 * which channels may take incident pages, the digest or state changes are built from this
 * list: adding a channel is its file (`./kind.ts` says what it exports) and one line here.
 * CONTRIBUTING.md, "Adding a kind".
 */
import type { z } from "zod";
import { discord } from "./discord";
import { email } from "./email";
import { channelRegistry } from "./kind";
import { pagerduty } from "./pagerduty";
import { slack } from "./slack";
import { sms } from "./sms";
import { statuspage } from "./statuspage";
import { teams } from "./teams";
import { webhook } from "./webhook";

export const channels = channelRegistry([webhook, slack, discord, teams, pagerduty, email, sms, statuspage]);

/** `channels[]` entries: one shape per kind, told apart by `type`. */
export const channelSpec = channels.channelSpec;
export type ChannelSpec = z.infer<typeof channelSpec>;
export type ChannelType = ChannelSpec["type"];
/** Channel types that can carry incident pages (policy levels) and the daily digest. */
export const INCIDENT_CHANNEL_TYPES = channels.incidentTypes;
export const DIGEST_CHANNEL_TYPES = channels.digestTypes;
