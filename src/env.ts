/** The worker's bindings, typed once. Secrets named in the config arrive here too. */
export interface Env {
  DB: D1Database;
  NOTIFY: Queue<NotifyMessage>;
  NOTIFY_DLQ: Queue<NotifyMessage>;
  /** One AgentObject per agent (`getByName(agentId)`): ingest order, de-dup, dead-man alarm. */
  AGENT: DurableObjectNamespace<AgentObject>;
  /** One HeartbeatObject per ping job (`getByName(jobId)`). */
  HEARTBEAT: DurableObjectNamespace<HeartbeatObject>;
  /** One ServiceObject per service (`getByName(serviceId)`): incidents, escalation, timers. */
  SERVICE: DurableObjectNamespace<ServiceObject>;
  /** Probe batches fanned out by the cron when a minute is larger than one invocation. */
  PROBE: Queue<ProbeBatchMessage>;
  /** This worker's ProbeRunner entrypoint: one invocation per probe batch. */
  RUNNER: Service<ProbeRunner>;
  /** One RegionObject per region (`locationHint`): probes from named regions. */
  REGION: DurableObjectNamespace<RegionObject>;
  /** One ThrottleObject per client address (`getByName(ip)`): failed-auth throttling. */
  THROTTLE: DurableObjectNamespace<ThrottleObject>;
  VIGIL_ADMIN_TOKEN?: string;
  VIGIL_VERSION?: string;
  [secret: string]: unknown;
}

import type { NotifyMessage } from "./notify/message";
import type { AgentObject } from "./objects/agent";
import type { HeartbeatObject } from "./objects/heartbeat";
import type { ServiceObject } from "./objects/service";
import type { RegionObject } from "./objects/region";
import type { ThrottleObject } from "./objects/throttle";
import type { ProbeBatchMessage } from "./scheduler/run";
import type { ProbeRunner } from "./index";
