/**
 * Platform budgets, in one place. Cloudflare Workers allow 6 simultaneous outgoing
 * connections per invocation (further ones queue inside the runtime, which would silently
 * stretch probe latencies), and a bounded number of subrequests per invocation.
 * https://developers.cloudflare.com/workers/platform/limits/
 */
export const LIMITS = {
  /** Simultaneous sockets (fetch or connect) one invocation may hold open. */
  socketsPerInvocation: 6,
  /** Subrequests one invocation may make (the paid plan allows 1000; we keep headroom). */
  subrequestsPerInvocation: 900,
} as const;
