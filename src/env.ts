/** The worker's bindings, typed once. Secrets named in the config arrive here too. */
export interface Env {
  DB: D1Database;
  NOTIFY: Queue<NotifyMessage>;
  NOTIFY_DLQ: Queue<NotifyMessage>;
  VIGIL_ADMIN_TOKEN?: string;
  VIGIL_VERSION?: string;
  [secret: string]: unknown;
}

import type { NotifyMessage } from "./notify/message";
