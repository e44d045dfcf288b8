/** The registry of check kinds: a kind added to the config schema but not here fails to compile. */
import type { CheckKind } from "../config";
import type { CheckRunner } from "./check";
import { runCertfile } from "./certfile";
import { runDocker } from "./docker";
import { runHost } from "./host";
import { runHttp } from "./http";
import { runLogs } from "./logs";
import { runPostgres } from "./postgres";
import { runRedis } from "./redis";
import { runTcp } from "./tcp";

export const runners = {
  docker: runDocker,
  postgres: runPostgres,
  redis: runRedis,
  host: runHost,
  logs: runLogs,
  http: runHttp,
  tcp: runTcp,
  certfile: runCertfile,
} satisfies { [K in CheckKind]: CheckRunner<K> };
