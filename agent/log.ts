/**
 * Structured logging: one JSON object per line on stderr (stdout is kept for `once --json`).
 *
 * Secrets never reach a log line: every value registered with {@link Logger.redact} is
 * replaced by `[redacted]` wherever it appears, and URL credentials (`user:pass@`) are
 * stripped from every string, whatever their origin.
 */

import { isoTime } from "./time";

export type Level = "debug" | "info" | "warn" | "error";
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LoggerOptions {
  /** Lowest level written. Default `info`. */
  level?: Level;
  /** Where lines go. Default `process.stderr`. */
  write?: (line: string) => void;
}

/** Strips `user:password@` from URLs inside `text`. */
export function redactUrlCredentials(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^/@\s:]*(?::[^/@\s]*)?@/gi, "$1[redacted]@");
}

export class Logger {
  readonly #secrets = new Set<string>();
  readonly #min: number;
  readonly #write: (line: string) => void;

  constructor(options: LoggerOptions = {}) {
    this.#min = ORDER[options.level ?? "info"];
    this.#write = options.write ?? ((line) => process.stderr.write(line));
  }

  /** Registers a secret value; it is masked in every later line. Values under 4 characters are ignored. */
  redact(secret: string | undefined): void {
    if (secret && secret.length >= 4) this.#secrets.add(secret);
  }

  /** Masks registered secrets and URL credentials in `text`. */
  scrub(text: string): string {
    let out = redactUrlCredentials(text);
    for (const s of this.#secrets) out = out.split(s).join("[redacted]");
    return out;
  }

  debug(msg: string, fields?: Record<string, unknown>): void {
    this.#log("debug", msg, fields);
  }
  info(msg: string, fields?: Record<string, unknown>): void {
    this.#log("info", msg, fields);
  }
  warn(msg: string, fields?: Record<string, unknown>): void {
    this.#log("warn", msg, fields);
  }
  error(msg: string, fields?: Record<string, unknown>): void {
    this.#log("error", msg, fields);
  }

  #log(level: Level, msg: string, fields?: Record<string, unknown>): void {
    if (ORDER[level] < this.#min) return;
    const entry = { time: isoTime(), level, msg, ...fields };
    const json = JSON.stringify(entry, (_k, v: unknown) => (v instanceof Error ? errorText(v) : v));
    this.#write(`${this.scrub(json)}\n`);
  }
}

/** `Error` → one readable line, including its `cause` chain. */
export function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code;
  const head = `${err.message || err.name}${typeof code === "string" && !err.message.includes(code) ? ` (${code})` : ""}`;
  if (err instanceof AggregateError && err.errors.length > 0) return `${head}: ${errorText(err.errors[0])}`;
  return err.cause ? `${head}: ${errorText(err.cause)}` : head;
}
