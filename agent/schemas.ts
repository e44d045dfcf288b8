/**
 * The zod schemas — the agent's config and the report contract — for the commands that need
 * them (`validate`, `once`, and `run` started from TypeScript). The long-running agent never
 * loads them: from the bundle, `run` reads its config from a child `validate --json`.
 *
 * agent/build.mjs ships this module inside the one-file bundle brotli-compressed (zod is ~330 KB
 * of the bundle's source text, which V8 keeps in the heap of every agent process): the bundle's
 * {@link loadSchemas} unpacks and imports it when called.
 */
export { loadConfig } from "./config";
export { agentReport } from "../src/contract/report";

export const loadSchemas = (): Promise<typeof import("./schemas")> => import("./schemas");
