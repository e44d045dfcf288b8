/**
 * Cron schedules for job checks: the next expected run of a standard 5-field expression in an
 * IANA time zone. Pure (no clock: `after` is passed in); the calendar arithmetic is croner's,
 * which works through `Intl` and so runs unchanged in workerd.
 *
 * DST follows Vixie/Debian cron, which is what runs most of the jobs that ping us:
 * - a fixed-time job (single hour and minute) whose time falls in a spring-forward gap runs at
 *   the first valid time after the gap (`30 2 * * *` → 03:00 on the change day);
 * - a fixed-time job whose time occurs twice in the autumn runs once, at the first occurrence;
 * - interval jobs (`0 * * * *`, `*\/15 2 * * *`) follow real time: they skip times in a gap and
 *   run at both occurrences of a repeated hour.
 */
import { Cron } from "croner";

const cache = new Map<string, Cron>();

function compile(expression: string, timezone: string): Cron {
  const key = `${timezone} ${expression}`;
  let cron = cache.get(key);
  if (!cron) {
    // `5-part`: minute precision, as in crontab; `domAndDow: false`: day-of-month OR day-of-week, as in crontab.
    cron = new Cron(expression, { timezone, paused: true, mode: "5-part", domAndDow: false, fixedTimeRule: "single-value" });
    cache.set(key, cron);
  }
  return cron;
}

/**
 * The first run strictly after `after` (ms epoch), as ms epoch; or a sentence saying why the
 * expression is unusable (invalid, or it never runs, such as `0 0 30 2 *`).
 */
export function nextCronRun(expression: string, timezone: string, after: number): number | string {
  let cron: Cron;
  try {
    cron = compile(expression.trim(), timezone);
  } catch (err) {
    return `invalid cron expression "${expression}": ${(err as Error).message.replace(/^CronPattern: /, "")}`;
  }
  const next = cron.nextRun(new Date(after));
  if (!next) return `cron expression "${expression}" never runs`;
  return next.getTime();
}
