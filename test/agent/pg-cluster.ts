/**
 * Throw-away PostgreSQL clusters for tests that must not touch the machine's own server:
 * `initdb` a primary on a free port, `pg_basebackup -R` a streaming replica of it, stop and
 * remove them afterwards. Uses the installed server binaries (`VIGIL_TEST_PG_BIN`, else
 * `pg_config --bindir`, else the newest /usr/lib/postgresql/N/bin).
 *
 * PostgreSQL refuses to run as root: as root every server command runs as the `postgres`
 * user (runuser), in a temp dir it owns. Auth is trust, on 127.0.0.1 and a socket in the
 * temp dir only.
 *
 *   const reason = await pgClusterUnavailable();   // "" when clusters can be made here
 *   const primary = await PgCluster.create({ settings: { shared_preload_libraries: "pg_stat_statements" } });
 *   const replica = await primary.replica();
 *   ...
 *   await replica.destroy(); await primary.destroy();
 */
import { execFile } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { appendFile, chown, mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";

const exec = promisify(execFile);
const SUPERUSER = "postgres";

/** Directory of initdb / pg_ctl / pg_basebackup, or null. */
export async function pgBinDir(): Promise<string | null> {
  const has = (dir: string) => ["initdb", "pg_ctl", "pg_basebackup"].every((b) => existsSync(join(dir, b)));
  const env = process.env.VIGIL_TEST_PG_BIN;
  if (env) return has(env) ? env : null;
  try {
    const dir = (await exec("pg_config", ["--bindir"])).stdout.trim();
    if (has(dir)) return dir;
  } catch {
    /* no pg_config */
  }
  const base = "/usr/lib/postgresql";
  if (!existsSync(base)) return null;
  const versions = readdirSync(base)
    .filter((v) => /^\d+$/.test(v))
    .sort((a, b) => Number(b) - Number(a));
  for (const v of versions) if (has(join(base, v, "bin"))) return join(base, v, "bin");
  return null;
}

/** The user the server runs as when we are root (PostgreSQL will not run as root). */
async function runAsUser(): Promise<{ name: string; uid: number; gid: number } | null> {
  if (process.getuid?.() !== 0) return null;
  const uid = Number((await exec("id", ["-u", SUPERUSER])).stdout.trim());
  const gid = Number((await exec("id", ["-g", SUPERUSER])).stdout.trim());
  return { name: SUPERUSER, uid, gid };
}

/** "" when clusters can be made here, else a one-line reason. */
export async function pgClusterUnavailable(): Promise<string> {
  const bin = await pgBinDir();
  if (!bin) return "no PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup) found; set VIGIL_TEST_PG_BIN";
  if (process.getuid?.() === 0) {
    try {
      await runAsUser();
      await exec("runuser", ["--help"]);
    } catch {
      return `running as root, and no "${SUPERUSER}" user or no runuser to run initdb as`;
    }
  }
  return "";
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export interface PgClusterOptions {
  /** postgresql.conf settings added to (and overriding) initdb's. */
  settings?: Record<string, string | number>;
}

export class PgCluster {
  private constructor(
    readonly bin: string,
    /** Temp dir holding data/, the log and the socket; removed by destroy(). */
    readonly dir: string,
    readonly port: number,
    private readonly user: { name: string; uid: number; gid: number } | null,
  ) {}

  get dataDir(): string {
    return join(this.dir, "data");
  }
  get logFile(): string {
    return join(this.dir, "server.log");
  }
  /** `postgres://postgres@127.0.0.1:<port>/<db>` (trust auth). */
  url(db = "postgres"): string {
    return `postgres://${SUPERUSER}@127.0.0.1:${this.port}/${db}`;
  }

  /** A new primary: initdb, settings, started. */
  static async create(options: PgClusterOptions = {}): Promise<PgCluster> {
    const cluster = await PgCluster.#prepare();
    try {
      await cluster.#run("initdb", ["-D", cluster.dataDir, "-U", SUPERUSER, "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C"]);
      await cluster.#configure({ ...options.settings });
      await cluster.start();
      return cluster;
    } catch (err) {
      await cluster.destroy();
      throw err;
    }
  }

  /** A streaming replica of this (running) cluster: `pg_basebackup -R`, started, connected. */
  async replica(options: PgClusterOptions = {}): Promise<PgCluster> {
    const replica = await PgCluster.#prepare();
    try {
      await replica.#run("pg_basebackup", [
        "-h",
        "127.0.0.1",
        "-p",
        String(this.port),
        "-U",
        SUPERUSER,
        "-D",
        replica.dataDir,
        "-R",
        "-X",
        "stream",
        "-c",
        "fast",
        "--no-sync",
      ]);
      await replica.#configure({ ...options.settings });
      await replica.start();
      await replica.waitFor(
        "the replica to stream from its primary",
        async (c) => (await c.query("SELECT count(*)::int AS n FROM pg_stat_wal_receiver WHERE status = 'streaming'")).rows[0].n === 1,
      );
      return replica;
    } catch (err) {
      await replica.destroy();
      throw err;
    }
  }

  async start(): Promise<void> {
    await this.#run("pg_ctl", ["start", "-D", this.dataDir, "-l", this.logFile, "-w", "-t", "60"]);
  }

  async stop(mode: "fast" | "immediate" = "fast"): Promise<void> {
    if (!existsSync(join(this.dataDir, "postmaster.pid"))) return;
    await this.#run("pg_ctl", ["stop", "-D", this.dataDir, "-m", mode, "-w", "-t", "60"]);
  }

  /** Stops the server (if running) and removes everything. Never throws. */
  async destroy(): Promise<void> {
    await this.stop("immediate").catch(() => undefined);
    await rm(this.dir, { recursive: true, force: true }).catch(() => undefined);
  }

  async client(db = "postgres"): Promise<pg.Client> {
    const c = new pg.Client({ connectionString: this.url(db), application_name: "vigil-agent-test" });
    c.on("error", () => undefined);
    await c.connect();
    return c;
  }

  /** Runs `sql` on a fresh connection. */
  async query<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    const c = await this.client();
    try {
      return (await c.query(sql, params)).rows as T[];
    } finally {
      await c.end();
    }
  }

  /** Polls `test` on one connection until it holds. */
  async waitFor(what: string, test: (c: pg.Client) => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
    const c = await this.client();
    try {
      const until = Date.now() + timeoutMs;
      while (!(await test(c))) {
        if (Date.now() > until) throw new Error(`timed out waiting for ${what} (port ${this.port}; log ${this.logFile})`);
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      await c.end();
    }
  }

  static async #prepare(): Promise<PgCluster> {
    const bin = await pgBinDir();
    if (!bin) throw new Error("no PostgreSQL server binaries found");
    const user = await runAsUser();
    const dir = await mkdtemp(join(tmpdir(), "vigil-pg-"));
    if (user) await chown(dir, user.uid, user.gid);
    return new PgCluster(bin, dir, await freePort(), user);
  }

  async #configure(settings: Record<string, string | number>): Promise<void> {
    const all: Record<string, string | number> = {
      port: this.port,
      listen_addresses: "127.0.0.1",
      unix_socket_directories: this.dir,
      // Fast, not durable. synchronous_commit stays on: a commit is in the WAL sent to replicas when it returns.
      fsync: "off",
      full_page_writes: "off",
      shared_buffers: "16MB",
      max_connections: 30,
      logging_collector: "off",
      ...settings,
    };
    const lines = Object.entries(all).map(([k, v]) => `${k} = ${typeof v === "number" ? v : `'${v.replace(/'/g, "''")}'`}`);
    // Appended: the last occurrence of a setting wins. A replica's copy of the primary's lines comes first.
    await appendFile(join(this.dataDir, "postgresql.conf"), `\n# vigil test cluster\n${lines.join("\n")}\n`);
  }

  async #run(tool: string, args: string[]): Promise<string> {
    const path = join(this.bin, tool);
    const [cmd, argv] = this.user ? ["runuser", ["-u", this.user.name, "--", path, ...args]] : [path, args];
    try {
      // cwd: the server's own dir, readable by the user it runs as.
      const { stdout } = await exec(cmd, argv, { cwd: this.dir, timeout: 120_000 });
      return stdout;
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`${tool} failed: ${(e.stderr || e.message).trim().slice(0, 2000)}`);
    }
  }
}
