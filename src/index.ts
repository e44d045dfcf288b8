/**
 * Vigil worker entry: wiring only.
 * - fetch: health, admin API (src/routes)
 * - scheduled: the probe loop (src/scheduler/tick.ts)
 * - queue: notification delivery and its dead-letter queue (src/notify/consumer.ts)
 * - Durable Objects: AgentObject (agent reports, dead-man), HeartbeatObject (ping jobs)
 */
import { ConfigError } from "./config";
import { loadConfig } from "./config/load";
import type { Env } from "./env";
import type { NotifyMessage } from "./notify/message";
import { deadLetterBatch, deliverBatch } from "./notify/consumer";
import { createApp } from "./routes/app";
import { runTick } from "./scheduler/tick";

export { AgentObject } from "./objects/agent";
export { HeartbeatObject } from "./objects/heartbeat";
export { ServiceObject } from "./objects/service";

const app = createApp();

function configOrThrow(env: Env) {
  const config = loadConfig(env);
  if (config instanceof ConfigError) throw config;
  return config;
}

export default {
  fetch: app.fetch,

  async scheduled(controller, env, _ctx) {
    const summary = await runTick(env, configOrThrow(env), controller.scheduledTime);
    console.log(JSON.stringify({ msg: "tick", ...summary }));
  },

  async queue(batch, env) {
    if (batch.queue.endsWith("-dlq")) return deadLetterBatch(batch, env);
    return deliverBatch(batch, env, configOrThrow(env));
  },
} satisfies ExportedHandler<Env, NotifyMessage>;
