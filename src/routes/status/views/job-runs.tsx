/**
 * A ping job's run history on its check page (`/check/ping:<job>`): when each of the last runs
 * started, its result (ok, failed, or outside the job's envelope: too short, too long, too often,
 * started late), how long it took and how late it started. The sentences saying why a run was
 * down (bounds, exit codes) are details: shown to those who see the service's details.
 */
import { formatDuration } from "../../../../lib/duration";
import type { RunRecord } from "../../../engine/ping";
import { formatDateTime } from "./format";

const REASON_TEXT: Record<string, string> = {
  "too-short": "too short",
  "too-long": "too long",
  "too-often": "too often",
  late: "started late",
};

/** `Ok`, `Failed (exit 2)`, `Too short`, `Failed; too long`. */
export function runResult(r: RunRecord): string {
  const failed = r.outcome === "fail" ? [r.exitCode !== null && r.exitCode !== 0 ? `failed (exit ${r.exitCode})` : "failed"] : [];
  const words = [...failed, ...r.reasons.map((x) => REASON_TEXT[x] ?? x)];
  const text = words.length === 0 ? "ok" : words.join("; ");
  return text[0]!.toUpperCase() + text.slice(1);
}

const signed = (ms: number) => (ms < 0 ? `${formatDuration(-ms)} early` : ms < 1_000 ? "on time" : `${formatDuration(ms)} late`);

export function JobRuns(props: { runs: readonly RunRecord[]; timeZone: string; details: boolean }) {
  const { runs, timeZone } = props;
  return (
    <section aria-labelledby="runs-h">
      <h2 id="runs-h">Runs</h2>
      <div class="card">
        {runs.length === 0 ? (
          <p class="muted">No finished run yet.</p>
        ) : (
          <table class="checks runs">
            <thead>
              <tr>
                <th scope="col">Started</th>
                <th scope="col">Result</th>
                <th scope="col">Duration</th>
                <th scope="col">Start</th>
              </tr>
            </thead>
            <tbody>
              {runs.map((r) => (
                <tr>
                  <th scope="row">{formatDateTime(r.startedAt, timeZone)}</th>
                  <td
                    class={`pill s-${r.downReason === null ? "up" : "down"}`}
                    title={props.details && r.downReason ? r.downReason : undefined}
                  >
                    {runResult(r)}
                    {props.details && r.downReason && <span class="reason"> — {r.downReason}</span>}
                  </td>
                  <td>{r.durationMs === null ? "–" : formatDuration(r.durationMs)}</td>
                  <td>{r.startDelayMs === null ? "–" : signed(r.startDelayMs)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <p class="small muted">
          The last {runs.length} run{runs.length === 1 ? "" : "s"}; a run lasts from its /start ping to its success or failure.
        </p>
      </div>
    </section>
  );
}
