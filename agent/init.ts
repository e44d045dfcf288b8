/**
 * `vigil-agent init --worker URL --id ID`: the first of the three commands that connect a host.
 *
 * 1. Looks at the host: the Docker (or podman) Engine API socket and its running containers,
 *    PostgreSQL and Redis on their default ports (127.0.0.1:5432, :6379), the mounted disks.
 * 2. Writes `agent.config.json` with a check for each thing found (never over an existing file
 *    unless `--force`), and generates the agent's secret into `agent.env` (mode 0600), which the
 *    CLI and the systemd unit read.
 * 3. Prints the `agents[]` entry for the worker's config and the `wrangler secret put` line that
 *    gives the worker the same secret without printing it.
 */
import { randomBytes } from "node:crypto";
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { connect } from "node:net";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import { localMounts } from "./checks/host";
import { DockerClient, dockerSocketPath } from "./docker-api";

export interface InitOptions {
  worker: string;
  id: string;
  /** Where agent.config.json and agent.env go. Default: the current directory. */
  dir: string;
  /** Service the agent's checks belong to in the worker's config. Default: the id. */
  service?: string;
  /** The agent's state directory. Default /var/lib/vigil-agent. */
  stateDir?: string;
  /** Engine API socket. Default: DOCKER_HOST or /var/run/docker.sock. */
  socket?: string;
  force?: boolean;
  /** Time allowed for each look (socket, port). Default 1 s. */
  probeTimeoutMs?: number;
}

export interface InitResult {
  configPath: string;
  envPath: string;
  /** The name the worker reads the secret from (`APP_01_AGENT_SECRET`). */
  secretName: string;
  found: string[];
}

/** The agent's secret in its env file; the config names it. */
export const AGENT_SECRET_ENV = "VIGIL_AGENT_SECRET";

/** True when something accepts a TCP connection on host:port within the timeout. */
function listening(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((ok) => {
    const socket = connect({ host, port });
    const done = (yes: boolean) => {
      socket.destroy();
      ok(yes);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/** Running containers' names, or null when no engine answers on the socket. */
async function containers(socketPath: string, timeoutMs: number): Promise<string[] | null> {
  if (!existsSync(socketPath)) return null;
  const docker = new DockerClient({ socketPath, timeoutMs });
  try {
    if (!(await docker.ping(AbortSignal.timeout(timeoutMs)))) return null;
    return await docker.runningNames(AbortSignal.timeout(timeoutMs));
  } catch {
    return null;
  } finally {
    await docker.close();
  }
}

/** An environment variable name from an agent id: `app-01` → `APP_01_AGENT_SECRET`. */
export function secretNameFor(id: string): string {
  return `${id
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "")}_AGENT_SECRET`.replace(/^(\d)/, "_$1");
}

export async function init(o: InitOptions, say: (line: string) => void): Promise<InitResult> {
  const timeoutMs = o.probeTimeoutMs ?? 1000;
  const dir = resolve(o.dir);
  const configPath = join(dir, "agent.config.json");
  const envPath = join(dir, "agent.env");
  if (!o.force) {
    for (const p of [configPath, envPath]) if (existsSync(p)) throw new Error(`${p} exists; pass --force to replace it`);
  }

  // 1.
  const socketPath = dockerSocketPath(o.socket);
  const [names, pg, redis] = await Promise.all([
    containers(socketPath, timeoutMs),
    listening("127.0.0.1", 5432, timeoutMs),
    listening("127.0.0.1", 6379, timeoutMs),
  ]);
  const mounts = await localMounts();
  const checks: Record<string, unknown>[] = [];
  const found: string[] = [];
  if (names) {
    found.push(`docker (${socketPath}: ${names.length} running${names.length ? `: ${names.join(", ")}` : ""})`);
    for (const container of names) checks.push({ kind: "docker", container });
  }
  if (pg) {
    found.push("postgres (127.0.0.1:5432)");
    const user = process.env.PGUSER ?? "postgres";
    const db = process.env.PGDATABASE ?? "postgres";
    checks.push({
      kind: "postgres",
      url: `postgres://${encodeURIComponent(user)}@127.0.0.1:5432/${encodeURIComponent(db)}`,
      ...(process.env.PGPASSWORD ? { password: { env: "PGPASSWORD" } } : {}),
    });
  }
  if (redis) {
    found.push("redis (127.0.0.1:6379)");
    checks.push({
      kind: "redis",
      url: "redis://127.0.0.1:6379",
      ...(process.env.REDISCLI_AUTH ? { password: { env: "REDISCLI_AUTH" } } : {}),
    });
  }
  found.push(`disks (${mounts.join(", ")})`);
  checks.push({ kind: "host", mounts });
  say(`found ${found.join("; ")}`);

  // 2.
  const config = {
    agent: { id: o.id },
    worker: { url: o.worker, secret: { env: AGENT_SECRET_ENV } },
    interval: "30s",
    stateDir: o.stateDir ?? "/var/lib/vigil-agent",
    ...(names && o.socket ? { docker: { socket: socketPath } } : {}),
    checks,
  };
  await mkdir(dir, { recursive: true });
  await writeFile(configPath, `${JSON.stringify(config, null, 2)}\n`);
  const secret = randomBytes(32).toString("hex");
  await writeFile(
    envPath,
    `# The agent's signing secret (vigil-agent init). The worker has it as ${secretNameFor(o.id)}.\n${AGENT_SECRET_ENV}=${secret}\n`,
    { mode: 0o600 },
  );
  await chmod(envPath, 0o600);
  say(`wrote ${configPath} (${checks.length} checks) and ${envPath} (the secret, mode 0600)`);

  // 3.
  const name = secretNameFor(o.id);
  say("on the worker side:");
  say(`  1. add to agents[] in your Vigil config:`);
  say(`       { id: ${JSON.stringify(o.id)}, service: ${JSON.stringify(o.service ?? o.id)}, secret: { env: ${JSON.stringify(name)} } },`);
  const read = `sed -n 's/^${AGENT_SECRET_ENV}=//p' ${envPath}`;
  say(`  2. give the worker the same secret (the value is never printed), where you deploy:`);
  say(`       ssh ${hostname()} "${read}" | npx wrangler secret put ${name}`);
  say(`     or here, where wrangler is logged in:`);
  say(`       ${read} | npx wrangler secret put ${name}`);
  say(`  3. npm run deploy, then here: vigil-agent once --push --config ${configPath}`);
  return { configPath, envPath, secretName: name, found };
}
