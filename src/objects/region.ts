/**
 * RegionObject: probes from a named region. One object per region, created with
 * `locationHint` so Cloudflare places it there; the batch runner sends it a region's share of
 * a batch and gets the results back. Locally every region runs on this machine, through the
 * same code path.
 */
import { DurableObject } from "cloudflare:workers";
import pLimit from "p-limit";
import type { ConfigEnv, MonitorSpec } from "../config";
import type { ProbeResult } from "../contract/probe";
import type { Env } from "../env";
import { LIMITS } from "../limits";
import { runProbe } from "../probes";

/** Cloudflare's Durable Object location hints. */
export const REGIONS = ["wnam", "enam", "sam", "weur", "eeur", "apac", "oc", "afr", "me"] as const;
export type Region = (typeof REGIONS)[number];

export class RegionObject extends DurableObject<Env> {
  /** Runs each spec once from this region, at most 6 at a time. */
  async probe(specs: MonitorSpec[]): Promise<ProbeResult[]> {
    return pLimit(LIMITS.socketsPerInvocation).map(specs, (spec) => runProbe(spec, this.env as ConfigEnv));
  }
}

export function regionStub(env: Pick<Env, "REGION">, region: string) {
  return env.REGION.get(env.REGION.idFromName(region), { locationHint: region as DurableObjectLocationHint });
}
