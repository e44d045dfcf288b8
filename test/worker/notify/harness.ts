/**
 * Test harness for notifications: provider servers (spawned in Node, driven over HTTP) and a
 * simulated queue that feeds the real consumer with its own clock, so "a provider down for
 * several minutes" takes milliseconds.
 */
import { createMessageBatch } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { parseConfig, type VigilConfig, type VigilConfigInput } from "../../../src/config";
import type { Env } from "../../../src/env";
import { deadLetterBatch, deliverBatch } from "../../../src/notify/consumer";
import type { NotifyMessage } from "../../../src/notify/message";
import { spawn } from "../fixtures";

export interface Recorded {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  status: number;
  injected: boolean;
  problems?: string[];
}

export interface ProviderHandle {
  url: string;
  control<S = any>(method?: string, path?: string, body?: unknown): Promise<{ requests: Recorded[]; state: S }>;
  requests(): Promise<Recorded[]>;
  state<S = any>(): Promise<S>;
  script(
    ...answers: { status: number; headers?: Record<string, string>; body?: string; delayMs?: number; process?: boolean }[]
  ): Promise<void>;
  outage(answer: { status: number; headers?: Record<string, string>; delayMs?: number } | null): Promise<void>;
  reset(): Promise<void>;
}

export async function provider(kind: string, options: unknown): Promise<ProviderHandle> {
  const { url } = (await spawn(kind, options)) as { port: number; url: string };
  const control = async (method = "GET", path = "", body?: unknown) => {
    const res = await fetch(`${url}/_control${path}`, {
      method,
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${kind} control ${method} ${path}: ${res.status}`);
    return res.json() as Promise<any>;
  };
  return {
    url,
    control,
    requests: async () => (await control()).requests,
    state: async () => (await control()).state,
    script: async (...script) => void (await control("POST", "/script", { script })),
    outage: async (answer) => void (await control("POST", "/outage", answer)),
    reset: async () => void (await control("DELETE")),
  };
}

/** Test secrets: every one of them must never show up in a payload, the queue, D1 or a log. */
export const SECRETS = {
  PD_ROUTING_KEY: "R0UT1NGkey0123456789abcdefABCDEF",
  RESEND_API_KEY: "re_live_S3cr3tK3y_0123456789",
  TWILIO_AUTH_TOKEN: "tw1l10-auth-token-0123456789abcd",
  STATUSPAGE_API_KEY: "sp-api-key-0123456789-s3cr3t",
  SLACK_TOKEN: "xoxSlackHookSecret0123456789",
  DISCORD_TOKEN: "d1sc0rdHookT0ken0123456789",
  TEAMS_TOKEN: "t3amsW0rkflowSig0123456789",
} as const;

export const ACCOUNT_SID = "AC0123456789abcdef0123456789abcdef";

/** All providers, and a config whose channels point at them. */
export async function providers() {
  const [pagerduty, slack, twilio, resend, statuspage, discord, teams] = await Promise.all([
    provider("pagerduty", { routingKey: SECRETS.PD_ROUTING_KEY }),
    provider("slack", { path: `/services/T000/B000/${SECRETS.SLACK_TOKEN}` }),
    provider("twilio", { accountSid: ACCOUNT_SID, authToken: SECRETS.TWILIO_AUTH_TOKEN }),
    provider("resend", { apiKey: SECRETS.RESEND_API_KEY }),
    provider("statuspage", { apiKey: SECRETS.STATUSPAGE_API_KEY, pageId: "kctbh9vrtdwd", components: ["cmpapi0001", "cmpdb00001"] }),
    provider("discord", { path: `/api/webhooks/123456/${SECRETS.DISCORD_TOKEN}` }),
    provider("teams", { path: `/workflows/abc/triggers/manual/paths/invoke?sig=${SECRETS.TEAMS_TOKEN}` }),
  ]);
  const secretEnv: Record<string, string> = {
    PD_ROUTING_KEY: SECRETS.PD_ROUTING_KEY,
    RESEND_API_KEY: SECRETS.RESEND_API_KEY,
    TWILIO_AUTH_TOKEN: SECRETS.TWILIO_AUTH_TOKEN,
    STATUSPAGE_API_KEY: SECRETS.STATUSPAGE_API_KEY,
    SLACK_WEBHOOK_URL: `${slack.url}/services/T000/B000/${SECRETS.SLACK_TOKEN}`,
    DISCORD_WEBHOOK_URL: `${discord.url}/api/webhooks/123456/${SECRETS.DISCORD_TOKEN}`,
    TEAMS_WEBHOOK_URL: `${teams.url}/workflows/abc/triggers/manual/paths/invoke?sig=${SECRETS.TEAMS_TOKEN}`,
    HOOK_SECRET: env.TEST_WEBHOOK_SECRET,
  };
  return { pagerduty, slack, twilio, resend, statuspage, discord, teams, secretEnv };
}

export type Providers = Awaited<ReturnType<typeof providers>>;

/** The config the notify tests use: the runbook's L1 Slack, L2 SMS + PagerDuty, L3 e-mail. */
export function notifyConfig(p: Providers, overrides: Partial<VigilConfigInput> = {}, extraEnv: Record<string, string> = {}): VigilConfig {
  const input: VigilConfigInput = {
    timezone: "Asia/Seoul",
    publicUrl: "https://vigil.test",
    services: [{ id: "safework", name: "SafeWork", policy: "runbook" }],
    channels: [
      { id: "slack", type: "slack", url: { env: "SLACK_WEBHOOK_URL" }, timeout: "2s" },
      { id: "pager", type: "pagerduty", routingKey: { env: "PD_ROUTING_KEY" }, url: `${p.pagerduty.url}/v2/enqueue`, timeout: "2s" },
      {
        id: "oncall-sms",
        type: "sms",
        accountSid: ACCOUNT_SID,
        authToken: { env: "TWILIO_AUTH_TOKEN" },
        from: "+15005550006",
        to: "+821012345678",
        baseUrl: p.twilio.url,
        timeout: "2s",
      },
      {
        id: "leaders",
        type: "email",
        apiKey: { env: "RESEND_API_KEY" },
        from: "Vigil <alerts@vigil.test>",
        to: ["cto@safework.test", "ops-lead@safework.test"],
        url: `${p.resend.url}/emails`,
        timeout: "2s",
      },
      { id: "discord", type: "discord", url: { env: "DISCORD_WEBHOOK_URL" }, timeout: "2s" },
      { id: "teams", type: "teams", url: { env: "TEAMS_WEBHOOK_URL" }, timeout: "2s" },
      {
        id: "status",
        type: "statuspage",
        pageId: "kctbh9vrtdwd",
        apiKey: { env: "STATUSPAGE_API_KEY" },
        url: `${p.statuspage.url}/v1`,
        timeout: "2s",
        components: [
          { component: "cmpapi0001", checks: ["api-eu", "api-us"] },
          { component: "cmpdb00001", checks: ["docker:safework-postgres"] },
        ],
      },
    ],
    policies: [
      {
        id: "runbook",
        levels: [{ channels: ["slack", "discord", "teams"] }, { channels: ["oncall-sms", "pager"] }, { channels: ["leaders"] }],
      },
    ],
    ...overrides,
  };
  return parseConfig(input, { ...p.secretEnv, ...extraEnv });
}

interface Pending {
  id: string;
  body: NotifyMessage;
  attempts: number;
  visibleAt: number;
}

/**
 * A queue with its own clock (seconds) that runs the real consumer: retries come back after
 * their delay, messages past `maxRetries` go to the dead-letter consumer, `NOTIFY.send` (held
 * messages) enqueues fresh copies. `before(t)` runs before each batch (flip an outage on/off).
 */
export class SimQueue {
  now = 0;
  private pending: Pending[] = [];
  private seq = 0;
  /** Per message handled: acked (done), held (put back behind an earlier one), retried, or dead-lettered. */
  readonly trace: { t: number; key: string; attempts: number; result: "ack" | "held" | "retry" | "dlq"; delay?: number }[] = [];
  private held = new Set<string>();
  readonly env: Env;

  constructor(
    extraEnv: Record<string, unknown>,
    readonly maxRetries = 20,
  ) {
    const sim = this;
    const NOTIFY = {
      async send(body: NotifyMessage, opts?: { delaySeconds?: number }) {
        sim.held.add(body.key);
        sim.push(body, opts?.delaySeconds ?? 0);
      },
      async sendBatch(msgs: { body: NotifyMessage; delaySeconds?: number }[]) {
        for (const m of msgs) sim.push(m.body, m.delaySeconds ?? 0);
      },
    } as unknown as Queue<NotifyMessage>;
    this.env = { ...(env as unknown as Env), ...extraEnv, NOTIFY };
  }

  push(body: NotifyMessage, delaySeconds = 0) {
    this.pending.push({ id: `m${++this.seq}`, body, attempts: 1, visibleAt: this.now + delaySeconds });
  }

  get size() {
    return this.pending.length;
  }

  /** Runs batches until the queue is empty or `limitSeconds` of simulated time passed. */
  async drain(config: VigilConfig, opts: { limitSeconds?: number; before?: (t: number) => Promise<void> } = {}) {
    const limit = this.now + (opts.limitSeconds ?? 6 * 3600);
    while (this.pending.length > 0) {
      const next = Math.max(this.now, Math.min(...this.pending.map((p) => p.visibleAt)));
      if (next > limit) break;
      this.now = next;
      await opts.before?.(this.now);
      const due = this.pending
        .filter((p) => p.visibleAt <= this.now)
        .sort((a, b) => a.visibleAt - b.visibleAt || a.id.localeCompare(b.id))
        .slice(0, 10);
      this.pending = this.pending.filter((p) => !due.includes(p));
      const dead = due.filter((p) => p.attempts > this.maxRetries);
      const live = due.filter((p) => p.attempts <= this.maxRetries);
      if (dead.length > 0) {
        await deadLetterBatch(
          createMessageBatch<NotifyMessage>(
            "vigil-notify-dlq",
            dead.map((p) => ({ id: p.id, timestamp: new Date(), attempts: 1, body: p.body })),
          ),
          this.env,
        );
        for (const p of dead) this.trace.push({ t: this.now, key: p.body.key, attempts: p.attempts, result: "dlq" });
      }
      if (live.length === 0) continue;
      // A batch of our own rather than createMessageBatch(): its result does not report the
      // `delaySeconds` of a retry, and the delay is what this harness is about.
      const decisions = new Map<string, { retry: boolean; delay?: number }>();
      const messages = live.map((p) => ({
        id: p.id,
        timestamp: new Date(),
        attempts: p.attempts,
        body: p.body,
        ack: () => void (decisions.has(p.id) || decisions.set(p.id, { retry: false })),
        retry: (o?: QueueRetryOptions) => void (decisions.has(p.id) || decisions.set(p.id, { retry: true, delay: o?.delaySeconds })),
      }));
      const batch = {
        queue: "vigil-notify",
        messages,
        ackAll: () => messages.forEach((m) => m.ack()),
        retryAll: (o?: QueueRetryOptions) => messages.forEach((m) => m.retry(o)),
      } as unknown as MessageBatch<NotifyMessage>;
      this.held.clear();
      await deliverBatch(batch, this.env, config);
      for (const p of live) {
        const d = decisions.get(p.id);
        if (d?.retry) {
          const delay = d.delay ?? 0;
          this.pending.push({ ...p, attempts: p.attempts + 1, visibleAt: this.now + delay });
          this.trace.push({ t: this.now, key: p.body.key, attempts: p.attempts, result: "retry", delay });
        } else this.trace.push({ t: this.now, key: p.body.key, attempts: p.attempts, result: this.held.has(p.body.key) ? "held" : "ack" });
      }
    }
  }
}

/** Every string in D1's notification tables, for "no secret anywhere" checks. */
export async function storedText(): Promise<string> {
  const parts: string[] = [];
  for (const table of ["outbox", "deliveries", "incident_events", "delivery_claims"]) {
    const { results } = await env.DB.prepare(`SELECT * FROM ${table}`).all();
    parts.push(JSON.stringify(results));
  }
  return parts.join("\n");
}

import { pageMessages, type PageEffect } from "../../../src/notify/event";
import type { IncidentEventType } from "../../../src/notify/message";
import { enqueueInOutbox } from "../../../src/store/outbox";

/** Messages per event, in event order (typed as four so tests can destructure). */
type EventMessages = NotifyMessage[][] & [NotifyMessage[], NotifyMessage[], NotifyMessage[], NotifyMessage[]];

/**
 * Writes an incident row and, for each event in order, its messages to the outbox (as the
 * incident code does); returns the messages per event. Levels: every event pages `levels`.
 */
export async function incidentMessages(
  config: VigilConfig,
  incidentId: string,
  events: IncidentEventType[],
  opts: { levels?: number[]; level?: number; openedAt?: number; serviceId?: string } = {},
): Promise<EventMessages> {
  const openedAt = opts.openedAt ?? Date.parse("2026-11-22T14:00:00Z");
  const serviceId = opts.serviceId ?? "safework";
  await env.DB.prepare(
    "INSERT OR IGNORE INTO incidents (id, service_id, status, title, level, opened_at) VALUES (?, ?, 'resolved', ?, 1, ?)",
  )
    .bind(incidentId, serviceId, `${serviceId}: postgres down`, openedAt)
    .run();
  const out: NotifyMessage[][] = [];
  for (const [i, type] of events.entries()) {
    const at = openedAt + (i + 1) * 5 * 60_000;
    const effect: PageEffect = { event: type, levels: opts.levels ?? [1], level: opts.level ?? 1, reason: null };
    const members = {
      "docker:safework-postgres": {
        status: type === "incident.resolved" ? "up" : "down",
        reason: type === "incident.resolved" ? null : "container exited (137)",
        since: openedAt,
      },
    };
    const msgs = pageMessages(
      effect,
      {
        id: incidentId,
        serviceId,
        title: "t",
        openedAt,
        resolvedAt: type === "incident.resolved" ? at : null,
        members,
        ack: { by: "kim" },
      },
      config,
      at,
      {
        acknowledge: `https://vigil.test/a/${incidentId}/ack?exp=1&sig=s`,
      },
    );
    await env.DB.batch(msgs.map((m) => enqueueInOutbox(env.DB, m, at)));
    out.push(msgs);
  }
  return out as EventMessages;
}
