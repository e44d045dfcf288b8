/**
 * Vigil worker entry: wiring only.
 * - fetch: health, admin API (src/routes)
 * - scheduled: the probe loop (src/scheduler/tick.ts)
 * - queue: probe batches (src/scheduler/run.ts), notification delivery (src/notify/consumer.ts),
 *   and their dead-letter queues
 * - Durable Objects: AgentObject (agent reports, dead-man), HeartbeatObject (ping jobs),
 *   ServiceObject (incidents, escalation), RegionObject (regional probes)
 */
import { WorkerEntrypoint } from "cloudflare:workers";
import { ConfigError } from "./config";
import { loadConfig } from "./config/load";
import type { Env } from "./env";
import type { NotifyMessage } from "./notify/message";
import { deadLetterBatch, deliverBatch } from "./notify/consumer";
import { createApp } from "./routes/app";
import { runBatch, type ProbeBatchMessage } from "./scheduler/run";
import { runTick } from "./scheduler/tick";

export { AgentObject } from "./objects/agent";
export { HeartbeatObject } from "./objects/heartbeat";
export { RegionObject } from "./objects/region";
export { ServiceObject } from "./objects/service";
export { ThrottleObject } from "./objects/throttle";

const app = createApp();

function configOrThrow(env: Env) {
  const config = loadConfig(env);
  if (config instanceof ConfigError) throw config;
  return config;
}

export default {
  fetch: app.fetch,

  async scheduled(controller, env, ctx) {
    const summary = await runTick(env, configOrThrow(env), controller.scheduledTime, (work) => ctx.waitUntil(work));
    const { run, ...rest } = summary;
    console.log(JSON.stringify({ msg: "tick", ...rest, executed: run?.executed ?? 0, changes: run?.changes ?? 0 }));
  },

  async queue(batch, env) {
    // Queues are told apart by their name's suffix (wrangler.toml): …-probe, …-probe-dlq, …-notify, …-notify-dlq.
    if (/-probe$/.test(batch.queue)) return probeBatches(batch as MessageBatch<ProbeBatchMessage>, env);
    if (/-probe-dlq$/.test(batch.queue)) return lostProbeBatches(batch as MessageBatch<ProbeBatchMessage>);
    if (batch.queue.endsWith("-dlq")) return deadLetterBatch(batch as MessageBatch<NotifyMessage>, env);
    return deliverBatch(batch as MessageBatch<NotifyMessage>, env, configOrThrow(env));
  },
} satisfies ExportedHandler<Env, NotifyMessage | ProbeBatchMessage>;

/**
 * Probe batches from the queue. Each message runs in its own invocation of `ProbeRunner`
 * (a service binding to this worker), all at once: every batch gets its own six sockets and
 * subrequest budget, and the batches of a minute run side by side even where the queue hands
 * them over one delivery at a time (Miniflare does). A failed batch is retried by the queue.
 */
async function probeBatches(batch: MessageBatch<ProbeBatchMessage>, env: Env) {
  await Promise.all(
    batch.messages.map(async (msg) => {
      try {
        const summary = await env.RUNNER.run(msg.body);
        console.log(
          JSON.stringify({
            msg: "probe-batch",
            minute: msg.body.minute,
            batch: msg.body.batch,
            ...summary,
            startDelays: undefined,
            maxStartDelay: Math.max(0, ...summary.startDelays),
          }),
        );
        msg.ack();
      } catch (err) {
        console.error(
          JSON.stringify({ msg: "probe batch failed", minute: msg.body.minute, batch: msg.body.batch, error: (err as Error).message }),
        );
        msg.retry();
      }
    }),
  );
}

/** Runs one probe batch in an invocation of its own (see `probeBatches`). */
export class ProbeRunner extends WorkerEntrypoint<Env> {
  run(message: ProbeBatchMessage) {
    return runBatch(this.env, configOrThrow(this.env), message, undefined, (work) => this.ctx.waitUntil(work));
  }
}

/** A probe batch that failed all its retries: its minute is over, so it is reported, not rerun. */
async function lostProbeBatches(batch: MessageBatch<ProbeBatchMessage>) {
  for (const msg of batch.messages) {
    console.error(
      JSON.stringify({
        msg: "probe batch dead-lettered",
        minute: msg.body.minute,
        batch: msg.body.batch,
        monitors: msg.body.monitors.length,
      }),
    );
    msg.ack();
  }
}
