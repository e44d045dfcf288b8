/**
 * Log error ratio over a sliding window (the runbook's daily "log error ratio < 5 %"), from a
 * container's logs through the Engine API or from a file. Patterns are configurable.
 *
 * Container logs: every run asks the engine for the window (`since = now - window`).
 * Files: every run reads what was appended since the last run (following rotation and
 * truncation) and keeps per-run counts for the window; the first run reads the file's tail.
 */
import { open, stat } from "node:fs/promises";
import { formatDurationApprox as formatDuration } from "../../lib/duration";
import { type CheckContext, type Finding, round } from "./check";
import { Grader, type Grades } from "./hysteresis";
import { checkKind, type CheckSpecOf } from "./kind";
import type { SchemaKit } from "./schema-kit";

export const DEFAULT_ERROR_PATTERNS = ["\\b(error|err|fatal|panic|critical|exception)\\b", "traceback \\(most recent call last\\)"];

/** The `logs` check's config: `checks[]` entries with `kind: "logs"`. */
const schema = (k: SchemaKit) =>
  k.z.strictObject({
    kind: k.z.literal("logs"),
    ...k.common,
    container: k.z.string().min(1).optional(),
    file: k.z.string().startsWith("/").optional(),
    /** Sliding window the ratio is computed over. Default 5m. */
    window: k.duration.prefault("5m"),
    /** Case-insensitive regular expressions; a line matching any is an error line. */
    patterns: k.z.array(k.z.string().min(1)).min(1).default(DEFAULT_ERROR_PATTERNS),
    /** Lines matching any of these are never error lines. */
    ignore: k.z.array(k.z.string().min(1)).default([]),
    /** Error ratio above this is `warn`. Default 5 (runbook daily check). */
    warnPct: k.pct.default(5),
    /** Error ratio above this is `critical`. Default 20. */
    criticalPct: k.pct.default(20),
    /** Below this many lines in the window the ratio is not judged. Default 20. */
    minLines: k.z.int().min(1).default(20),
    /** Most bytes read per run. Default 1 MiB. */
    maxBytes: k.z
      .int()
      .min(1024)
      .default(1024 * 1024),
    ...k.graded("logs"),
  });

type LogsSpec = CheckSpecOf<typeof schema>;

export interface LogCounts {
  lines: number;
  errors: number;
}

/** Compiles the spec's patterns once per run (cheap; keeps the spec plain data). */
export function matcher(spec: Pick<LogsSpec, "patterns" | "ignore">): (line: string) => boolean {
  const err = spec.patterns.map((p) => new RegExp(p, "i"));
  const ign = spec.ignore.map((p) => new RegExp(p, "i"));
  return (line) => err.some((r) => r.test(line)) && !ign.some((r) => r.test(line));
}

export function countLines(text: string, isError: (line: string) => boolean): LogCounts {
  let lines = 0;
  let errors = 0;
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    lines++;
    if (isError(line)) errors++;
  }
  return { lines, errors };
}

/**
 * Pure judgement of the error ratio, with hysteresis (agent/checks/hysteresis.ts): `previous`
 * holds the last judged run's grade, and the finding's `grades` are the ones to keep.
 *
 * Below `minLines` the ratio is not judged and the check keeps the status of the last judged
 * run (so a quiet minute does not resolve an error burst); with no judged run yet (the first
 * runs after a start) that is `ok`: too few lines to say anything, and `unknown` would raise
 * an incident for every quiet service after every agent restart.
 */
export function judgeLogs(spec: LogsSpec, c: LogCounts, previous: Grades = {}): Finding & { grades: Grades } {
  const pct = c.lines > 0 ? (c.errors / c.lines) * 100 : 0;
  const metrics = { lines: c.lines, errorLines: c.errors, errorPct: round(pct, 2) };
  const where = `over the last ${formatDuration(spec.window)}`;
  if (c.lines < spec.minLines) {
    const kept = previous.ratio;
    const keeps = kept && kept !== "ok" ? `; keeps ${kept} from the last judged run` : "";
    return {
      status: kept ?? "ok",
      summary: `${c.lines} lines ${where} (fewer than ${spec.minLines}: ratio not judged${keeps}), ${c.errors} errors`,
      metrics: { ...metrics, judged: 0 },
      grades: previous,
    };
  }
  // The runbook's threshold is "below 5 %": at 5 % or more it is a finding.
  const g = new Grader("logs", spec, previous);
  const status = g.grade("ratio", pct, "warnPct", "criticalPct");
  const held = g.held.ratio ? ` (held, ${g.held.ratio})` : "";
  return {
    status,
    summary: `error ratio ${round(pct, 2)} %${held} (${c.errors} of ${c.lines} lines) ${where}`,
    metrics: { ...metrics, judged: 1 },
    grades: g.grades,
  };
}

/** Judges `counts` against the grades kept in the check's memory, and keeps the new ones. */
function judgeKept(spec: LogsSpec, counts: LogCounts, ctx: CheckContext): Finding {
  const { grades, ...finding } = judgeLogs(spec, counts, ctx.memory.get("grades") as Grades | undefined);
  ctx.memory.set("grades", grades);
  return finding;
}

export async function runLogs(spec: LogsSpec, ctx: CheckContext): Promise<Finding[]> {
  const isError = matcher(spec);
  if (spec.container) {
    const inspect = await ctx.docker.inspect(spec.container, ctx.signal);
    if (!inspect) return [{ status: "critical", summary: `container ${spec.container} is expected but missing` }];
    const text = await ctx.docker.logs(spec.container, (ctx.now() - spec.window) / 1000, {
      tty: inspect.Config?.Tty === true,
      maxBytes: spec.maxBytes,
      signal: ctx.signal,
    });
    return [judgeKept(spec, countLines(text ?? "", isError), ctx)];
  }
  return [judgeKept(spec, await fileWindow(spec, ctx, isError), ctx)];
}

interface FileState {
  ino: number;
  offset: number;
  partial: string;
  buckets: { at: number; lines: number; errors: number }[];
}

async function fileWindow(spec: LogsSpec, ctx: CheckContext, isError: (l: string) => boolean): Promise<LogCounts> {
  const path = spec.file!;
  const st = await stat(path);
  let state = ctx.memory.get("file") as FileState | undefined;
  if (!state || state.ino !== st.ino || st.size < state.offset) {
    // First run, rotation or truncation: start from the tail (first run) or the top (new file).
    const from = state ? 0 : Math.max(0, st.size - spec.maxBytes);
    state = { ino: st.ino, offset: from, partial: "", buckets: state?.buckets ?? [] };
  }
  const length = Math.min(st.size - state.offset, spec.maxBytes);
  let text = "";
  if (length > 0) {
    const start = st.size - state.offset > spec.maxBytes ? st.size - spec.maxBytes : state.offset;
    const fh = await open(path, "r");
    try {
      const buf = Buffer.alloc(length);
      const { bytesRead } = await fh.read(buf, 0, length, start);
      text = buf.subarray(0, bytesRead).toString("utf8");
      state.offset = start + bytesRead;
    } finally {
      await fh.close();
    }
  }
  // Keep a trailing half line for the next run.
  const all = state.partial + text;
  const cut = all.lastIndexOf("\n");
  state.partial = cut >= 0 ? all.slice(cut + 1) : all;
  const counts = countLines(cut >= 0 ? all.slice(0, cut) : "", isError);
  const now = ctx.now();
  state.buckets.push({ at: now, ...counts });
  state.buckets = state.buckets.filter((b) => b.at > now - spec.window);
  ctx.memory.set("file", state);
  return state.buckets.reduce<LogCounts>((a, b) => ({ lines: a.lines + b.lines, errors: a.errors + b.errors }), { lines: 0, errors: 0 });
}

export const logs = checkKind({
  kind: "logs",
  schema,
  run: runLogs,
  defaultName: (spec) => (spec.container ?? spec.file)!,
  problems: (spec) =>
    (spec.container === undefined) === (spec.file === undefined) ? [{ path: [], message: "needs exactly one of container and file" }] : [],
});
