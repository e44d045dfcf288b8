/**
 * What the state-page tests share: the deployed test config, and what reached the res-l1 / res-l2
 * receivers for one service (policy `res-states`, test/worker/vigil.config.ts).
 */
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { parseConfig, type VigilConfig } from "../../../src/config";
import source from "vigil-config";
import { sinkRecords } from "../fixtures";

export const MIN = 60_000;
export const config: VigilConfig = parseConfig((typeof source === "function" ? source(env as never) : source) as never, env as never);

/** What reached res-l1 / res-l2 for `service`: `event@sink`, the title and the incident, in arrival order; signatures verified. */
export async function received(service: string) {
  const all = await Promise.all(
    (["res-l1", "res-l2"] as const).map(async (sink) => (await sinkRecords(sink)).map((r) => ({ sink, r, body: JSON.parse(r.body) }))),
  );
  return all
    .flat()
    .filter(({ body }) => body.data?.incident?.service?.id === service)
    .sort((a, b) => a.r.receivedAt - b.r.receivedAt)
    .map(({ sink, r, body }) => {
      expect(r.verified).toBe(true);
      return { at: `${body.type}@${sink}`, title: body.data.title as string, incident: body.data.incident };
    });
}
