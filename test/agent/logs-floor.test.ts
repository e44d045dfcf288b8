/**
 * The log check's floor on a real engine (podman behind its Engine API socket): a noisy
 * container's error burst is judged above `minLines`; a quiet stretch after it, below the
 * floor, is not judged and keeps the burst's status (it does not resolve the burst); lines
 * above the floor again are judged again. The window's start is placed between the phases with
 * the check's injected clock, from the engine's own timestamps of the lines.
 */
import { afterAll, beforeAll, expect, inject, it } from "vitest";
import { parseConfig } from "../../agent/config";
import { type CycleMemory, runChecks } from "../../agent/cycle";
import { DockerClient } from "../../agent/docker-api";
import { podman, removeContainers, runContainer, waitFor } from "./podman";
import { describeWith } from "./services";

const socket = inject("podmanSocket");
const describeDocker = describeWith("Docker-compatible engine (podman)", socket ? "" : inject("podmanError") || "podman unavailable");
const NAME = `vigil-t${process.pid}-noisy`;
const WINDOW_MS = 3_600_000;

/** The engine's timestamp (ms) of the first stdout line containing `marker`, or null. */
async function lineTime(marker: string): Promise<number | null> {
  for (const line of (await podman("logs", "-t", NAME)).split("\n")) {
    const m = /^(\S+)\s(.*)$/.exec(line);
    if (m && m[2]!.includes(marker)) return Date.parse(m[1]!.replace(/(\.\d{3})\d*Z$/, "$1Z"));
  }
  return null;
}

describeDocker("log check below and above the minLines floor, on a noisy container", () => {
  const docker = new DockerClient({ socketPath: socket });
  beforeAll(async () => {
    await removeContainers([NAME]);
    // A: 40 lines, every other an error (50 %); B, 4 s later: 5 quiet lines (below the floor of 20);
    // C, 8 s after B: 30 clean lines.
    await runContainer(
      NAME,
      [],
      'i=1; while [ $i -le 40 ]; do if [ $((i % 2)) -eq 0 ]; then echo "ERROR burst $i: upstream timeout"; else echo "INFO burst $i"; fi; i=$((i+1)); done; ' +
        'sleep 4; for i in 1 2 3 4 5; do echo "INFO quiet $i"; done; ' +
        'sleep 8; i=1; while [ $i -le 30 ]; do echo "INFO after $i"; i=$((i+1)); done; sleep 600',
    );
  });
  afterAll(async () => {
    await removeContainers([NAME]);
    await docker.close();
  });

  it("a quiet stretch below the floor keeps the burst's critical; above the floor it is judged again; a first run below it is ok", async () => {
    const config = parseConfig({
      agent: { id: "logs-floor" },
      docker: { socket },
      checks: [{ kind: "logs", container: NAME, window: "1h" }],
    });
    const memory: CycleMemory = new Map();
    /** One run whose window starts at `since` (unix ms): the check's clock is set to `since + window`. */
    const run = async (since: number, mem = memory) => (await runChecks(config.checks, docker, mem, () => since + WINDOW_MS))[0]!.result;

    await waitFor("the quiet lines", async () => (await lineTime("INFO quiet 5")) !== null, 20_000);
    const burstEnd = (await lineTime("burst 40"))!;
    const quietStart = (await lineTime("INFO quiet 1"))!;
    expect(quietStart - burstEnd).toBeGreaterThan(3000);

    // 1. The burst and the quiet lines: 45 lines, 20 errors (44 %): critical.
    const burst = await run(burstEnd - 60_000);
    expect(burst.metrics).toMatchObject({ lines: 45, errorLines: 20, judged: 1 });
    expect(burst.status).toBe("critical");

    // 2. Only the quiet lines (the window starts between burst and quiet): 5 lines, not judged; keeps critical.
    const between = Math.round((burstEnd + quietStart) / 2);
    const quiet = await run(between);
    expect(quiet.metrics).toMatchObject({ lines: 5, errorLines: 0, judged: 0 });
    expect(quiet.status).toBe("critical");
    expect(quiet.summary).toBe(
      "5 lines over the last 1h (fewer than 20: ratio not judged; keeps critical from the last judged run), 0 errors",
    );

    // 3. An agent that has just started sees the same quiet lines: nothing judged yet, ok.
    const fresh = await run(between, new Map());
    expect(fresh.status).toBe("ok");
    expect(fresh.summary).toMatch(/ratio not judged\), 0 errors$/);

    // 4. 30 clean lines later (35 in the window): above the floor, judged again: 0 % clears it.
    await waitFor("the lines after", async () => (await lineTime("INFO after 30")) !== null, 20_000);
    const after = await run(between);
    expect(after.metrics).toMatchObject({ lines: 35, errorLines: 0, judged: 1 });
    expect(after.status).toBe("ok");
  }, 60_000);
});
