/**
 * Registry of loopback servers that workerd tests can ask the fixture server to start
 * (`POST /control/spawn { kind, options }`). One file per kind; one line here per kind.
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface Spawned {
  /** Returned to the test as JSON: at least the port. */
  info: { port: number } & Record<string, unknown>;
  close(): Promise<void>;
  /** Changes the server's behaviour (`POST /control/spawned/<port>`); answers its state. */
  control?(body: any): Promise<unknown>;
}

export type SpawnFactory = (options: any) => Promise<Spawned>;

/** Listens on a free loopback port; `close()` ends every open connection first. */
export async function listenOnLoopback(server: Server): Promise<Spawned> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    info: { port, url: `http://127.0.0.1:${port}` },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export const spawnKinds: Record<string, SpawnFactory> = {
  tls: (o) => import("./tls").then((m) => m.spawnTls(o)),
  "tcp-script": (o) => import("./tcp-script").then((m) => m.spawnTcpScript(o)),
  "closed-port": () => import("./tcp-script").then((m) => m.spawnClosedPort()),
  "unresponsive-port": () => import("./tcp-script").then((m) => m.spawnUnresponsivePort()),
  "http-lab": (o) => import("./http-lab").then((m) => m.spawnHttpLab(o)),
  websocket: (o) => import("./websocket").then((m) => m.spawnWebsocket(o)),
  doh: (o) => import("./doh").then((m) => m.spawnDoh(o)),
  rdap: (o) => import("./rdap").then((m) => m.spawnRdap(o)),
  pagerduty: (o) => import("./pagerduty").then((m) => m.spawnPagerduty(o)),
  slack: (o) => import("./slack").then((m) => m.spawnSlack(o)),
  twilio: (o) => import("./twilio").then((m) => m.spawnTwilio(o)),
  resend: (o) => import("./resend").then((m) => m.spawnResend(o)),
  statuspage: (o) => import("./statuspage").then((m) => m.spawnStatuspage(o)),
  "statuspage-document": (o) => import("./statuspage-document").then((m) => m.spawnStatuspageDocument(o)),
  discord: (o) => import("./discord").then((m) => m.spawnDiscord(o)),
  teams: (o) => import("./teams").then((m) => m.spawnTeams(o)),
  "flaky-http": (o) => import("./flaky").then((m) => m.spawnFlakyHttp(o)),
  "trace-target": () => import("./trace-target").then((m) => m.spawnTraceTarget()),
  otlp: (o) => import("./otlp").then((m) => m.spawnOtlp(o)),
  nucleus: (o) => import("./nucleus").then((m) => m.spawnNucleus(o)),
};
