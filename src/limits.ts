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
  /** Probe runs the cron invocation does itself; a larger minute fans out through the queue. */
  inlineJobs: 120,
  /** Probe runs one queue batch may carry: the subrequest budget, less room for D1 and objects. */
  jobsPerBatch: 400,
  /**
   * Runs start on a grid of this step, each at the grid point nearest its plan (at most half a
   * step early or late), so one wake-up of the isolate starts several runs and their answers
   * tend to arrive together. Waking the isolate is most of a probe's CPU: at 2,000 monitors
   * every 10 s, a 500 ms grid took the isolate's CPU per probe from 0.374 ms to 0.161 ms, for
   * a start jitter p99 of 273 ms instead of 18 ms (BENCHMARKS.md, "Scale").
   */
  launchGridMs: 500,
  /** The planning window: one cron tick plans the minute that starts at it. */
  windowMs: 60_000,
  /** `POST /v1/probe` runs a spec while the caller waits: its worst case, samples × timeout,
   *  may be at most this long (the config allows up to 10 × 60 s). */
  probeRequestMs: 60_000,
} as const;

/** Subrequests one run of a monitor costs: one per sample, or one object call per region. */
export function subrequestsPerRun(m: { samples?: number; regions?: readonly string[] }): number {
  return m.regions && m.regions.length > 0 ? m.regions.length : (m.samples ?? 1);
}
