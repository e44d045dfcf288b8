/**
 * The probe kinds, one line each. The config's `monitors[]` union, the probe registry and the
 * reach facts of `POST /v1/probe` are built from this list: adding a kind is its file
 * (`./kind.ts` says what it exports) and one line here. CONTRIBUTING.md, "Adding a kind".
 */
import type { z } from "zod";
import { api } from "./api";
import { dns } from "./dns";
import { domain } from "./domain";
import { http } from "./http";
import { probeRegistry } from "./kind";
import { tcp } from "./tcp";
import { tls } from "./tls";
import { websocket } from "./websocket";

export const probes = probeRegistry([http, tls, tcp, websocket, dns, domain, api]);

/** `monitors[]` entries: one shape per kind, told apart by `type`. */
export const monitorSpec = probes.monitorSpec;
export type MonitorSpec = z.infer<typeof monitorSpec>;
