/**
 * A loopback Cloudflare API (`CLOUDFLARE_API_BASE_URL=<url>/client/v4`) for the deploy tests:
 * the endpoints `npm run deploy` reaches through wrangler 4.86 — D1 (list, create, query for
 * the migrations table and the migrations), Queues (list, create, consumers), Worker scripts
 * (the multipart upload, settings, secrets, cron schedules, versions and deployments) and the
 * workers.dev subdomain. It keeps state like Cloudflare does (a second deploy sees what the
 * first created) and records every call; calls it does not know are answered 404 with
 * Cloudflare's error envelope and listed in `unknown`, so a test notices a new call.
 *
 * D1 queries are not executed (Node 20 has no SQLite): the deploy only sends the migration
 * statements and reads the `d1_migrations` table, so the server keeps the applied migration
 * names (from wrangler's `INSERT INTO d1_migrations`) and the raw SQL, which the tests inspect.
 * The SQL itself runs in workerd's D1 in test/node/upgrade.test.ts.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** One recorded call. `body` is the parsed JSON body, or the multipart parts for an upload. */
export interface ApiCall {
  method: string;
  path: string;
  query: string;
  body?: unknown;
  /** For a script upload: the form's parts by name (metadata parsed, modules as text). */
  parts?: Record<string, { filename?: string; contentType?: string; text: string }>;
}

export interface CloudflareState {
  databases: { uuid: string; name: string; created_at: string; version: string }[];
  /** Per database: the statements received (migrations and bookkeeping), and the applied names. */
  d1: Record<string, { statements: string[]; migrations: string[] }>;
  queues: {
    queue_id: string;
    queue_name: string;
    created_on: string;
    modified_on: string;
    consumers: { script_name: string; settings: unknown; dead_letter_queue?: string }[];
    producers: { script: string }[];
  }[];
  scripts: Record<
    string,
    {
      uploads: number;
      metadata: unknown;
      main: string;
      secrets: Record<string, string>;
      versions: {
        id: string;
        message?: string;
        tag?: string;
        created_on: string;
        main: string;
        metadata: unknown;
        secrets: Record<string, string>;
      }[];
      deployments: { id: string; message?: string; versionId: string; created_on: string }[];
      schedules: { cron: string }[];
      subdomainEnabled: boolean;
      migrationTag?: string;
    }
  >;
  subdomain: string;
}

export interface CloudflareApi {
  /** The value for CLOUDFLARE_API_BASE_URL. */
  baseUrl: string;
  accountId: string;
  calls: ApiCall[];
  unknown: ApiCall[];
  state: CloudflareState;
  /** When set, the next script upload is refused (400, as Cloudflare refuses an invalid script). */
  failNextUpload: boolean;
  close(): Promise<void>;
}

const ok = (result: unknown, extra: Record<string, unknown> = {}) => ({ success: true, errors: [], messages: [], result, ...extra });
const fail = (code: number, message: string) => ({ success: false, errors: [{ code, message }], messages: [], result: null });

/** Splits a multipart/form-data body into named parts (the upload's metadata and modules). */
function parseMultipart(body: Buffer, contentType: string): ApiCall["parts"] {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(contentType);
  if (!boundary) return {};
  const delimiter = `--${boundary[1] ?? boundary[2]}`;
  const parts: NonNullable<ApiCall["parts"]> = {};
  for (const chunk of body.toString("utf8").split(delimiter).slice(1)) {
    if (chunk.startsWith("--")) break;
    const [head, ...rest] = chunk.replace(/^\r\n/, "").split("\r\n\r\n");
    const text = rest.join("\r\n\r\n").replace(/\r\n$/, "");
    const name = /name="([^"]*)"/.exec(head!)?.[1];
    if (!name) continue;
    parts[name] = { filename: /filename="([^"]*)"/.exec(head!)?.[1], contentType: /content-type:\s*(.+)/i.exec(head!)?.[1]?.trim(), text };
  }
  return parts;
}

/** Starts the API on 127.0.0.1 (port 0). */
export async function startCloudflareApi(options: { accountId?: string; subdomain?: string } = {}): Promise<CloudflareApi> {
  const accountId = options.accountId ?? "0123456789abcdef0123456789abcdef";
  const state: CloudflareState = { databases: [], d1: {}, queues: [], scripts: {}, subdomain: options.subdomain ?? "vigil-test" };
  const calls: ApiCall[] = [];
  const unknown: ApiCall[] = [];
  const now = () => new Date().toISOString();

  const script = (name: string) => state.scripts[name];

  function route(call: ApiCall, send: (status: number, body: unknown) => void) {
    const { method, path } = call;
    const body = call.body as any;
    const acct = `/accounts/${accountId}`;
    let m: RegExpExecArray | null;

    // Accounts and the user (wrangler asks when it needs to choose or name an account).
    if (method === "GET" && path === "/accounts") return send(200, ok([{ id: accountId, name: "Vigil test account" }]));
    if (method === "GET" && path === "/memberships") return send(200, ok([{ account: { id: accountId, name: "Vigil test account" } }]));
    if (method === "GET" && path === "/user") return send(200, ok({ id: "u1", email: "ops@vigil.test" }));
    if (method === "GET" && path === "/user/tokens/verify") return send(200, ok({ id: "t1", status: "active" }));
    if (!path.startsWith(acct)) return null;
    const rest = path.slice(acct.length);

    // D1.
    if (method === "GET" && rest === "/d1/database") {
      const name = new URLSearchParams(call.query).get("name");
      return send(
        200,
        ok(
          state.databases.filter((d) => !name || d.name === name),
          { result_info: { page: 1, per_page: 1000, count: state.databases.length, total_count: state.databases.length } },
        ),
      );
    }
    if (method === "POST" && rest === "/d1/database") {
      if (state.databases.some((d) => d.name === body?.name)) return send(400, fail(7502, `A database with that name already exists`));
      const db = { uuid: randomUUID(), name: String(body?.name), created_at: now(), version: "production" };
      state.databases.push(db);
      state.d1[db.uuid] = { statements: [], migrations: [] };
      return send(200, ok(db));
    }
    if ((m = /^\/d1\/database\/([^/]+)$/.exec(rest)) && method === "GET") {
      const db = state.databases.find((d) => d.uuid === m![1]);
      return db ? send(200, ok({ ...db, num_tables: 0, file_size: 0 })) : send(404, fail(7404, "database not found"));
    }
    if ((m = /^\/d1\/database\/([^/]+)\/(query|raw)$/.exec(rest)) && method === "POST") {
      const d1 = state.d1[m[1]!];
      if (!d1) return send(404, fail(7404, "database not found"));
      const sql = String(body?.sql ?? "");
      d1.statements.push(sql);
      return send(200, ok(d1Query(d1, sql, m[2] === "raw")));
    }

    // Queues.
    if (method === "GET" && rest === "/queues") {
      const names = new URLSearchParams(call.query).getAll("name");
      const list = state.queues.filter((q) => names.length === 0 || names.includes(q.queue_name));
      return send(
        200,
        ok(list.map(queueView), { result_info: { page: 1, per_page: 100, count: list.length, total_count: list.length, total_pages: 1 } }),
      );
    }
    if (method === "POST" && rest === "/queues") {
      if (state.queues.some((q) => q.queue_name === body?.queue_name))
        return send(409, fail(11009, "A queue with this name already exists"));
      const q = {
        queue_id: randomUUID().replaceAll("-", ""),
        queue_name: String(body?.queue_name),
        created_on: now(),
        modified_on: now(),
        consumers: [],
        producers: [],
      };
      state.queues.push(q);
      return send(200, ok(queueView(q)));
    }
    if ((m = /^\/queues\/([^/]+)$/.exec(rest)) && method === "GET") {
      const q = state.queues.find((x) => x.queue_id === m![1]);
      return q ? send(200, ok(queueView(q))) : send(404, fail(11000, "queue not found"));
    }
    if ((m = /^\/queues\/([^/]+)\/consumers(?:\/([^/]+))?$/.exec(rest))) {
      const q = state.queues.find((x) => x.queue_id === m![1] || x.queue_name === m![1]);
      if (!q) return send(404, fail(11000, "queue not found"));
      if (method === "GET") return send(200, ok(q.consumers));
      const consumer = {
        script_name: String(body?.script_name ?? m[2] ?? ""),
        settings: body?.settings ?? {},
        dead_letter_queue: body?.dead_letter_queue,
        type: "worker",
      };
      q.consumers = q.consumers.filter((c) => c.script_name !== consumer.script_name);
      q.consumers.push(consumer);
      return send(200, ok(consumer));
    }

    // The workers.dev subdomain.
    if (method === "GET" && rest === "/workers/subdomain") return send(200, ok({ subdomain: state.subdomain }));

    // Worker scripts. The list carries each script's Durable Object migration tag, from which
    // wrangler computes the migrations still to send.
    if (method === "GET" && rest === "/workers/scripts") {
      return send(
        200,
        ok(Object.entries(state.scripts).map(([id, s]) => ({ id, migration_tag: s.migrationTag, created_on: now(), modified_on: now() }))),
      );
    }
    if ((m = /^\/workers\/(?:services|scripts)\/([^/]+)(\/.*)?$/.exec(rest))) {
      const name = decodeURIComponent(m[1]!);
      const sub = m[2] ?? "";
      const s = script(name);
      // The first upload (PUT, multipart) creates the script and deploys it; later ones go
      // through POST …/versions (multipart) and POST …/deployments, as wrangler does once the
      // script exists and no Durable Object migration is pending.
      if ((method === "PUT" && sub === "" && call.parts) || (method === "POST" && sub === "/versions" && call.parts)) {
        if (api.failNextUpload) {
          api.failNextUpload = false;
          return send(400, fail(10021, "Uncaught Error: the loopback API refused this upload"));
        }
        const metadata = JSON.parse(call.parts.metadata?.text ?? "{}");
        const main = call.parts[metadata.main_module]?.text ?? "";
        const prev = s ?? {
          uploads: 0,
          metadata: null,
          main: "",
          secrets: {},
          versions: [],
          deployments: [],
          schedules: [],
          subdomainEnabled: false,
        };
        if (metadata.migrations && metadata.migrations.old_tag !== prev.migrationTag)
          return send(
            400,
            fail(10079, `migration old_tag ${metadata.migrations.old_tag} does not match the script's ${prev.migrationTag}`),
          );
        // Secrets: a secret_text binding sets one; the others are kept (bindings_inherit=strict, keep_secrets).
        const secrets = { ...prev.secrets };
        for (const b of metadata.bindings ?? []) if (b.type === "secret_text") secrets[b.name] = b.text;
        const annotations = metadata.annotations ?? {};
        const version = {
          id: randomUUID(),
          message: annotations["workers/message"],
          tag: annotations["workers/tag"],
          created_on: now(),
          main,
          metadata,
          secrets,
        };
        const migrationTag = metadata.migrations?.new_tag ?? prev.migrationTag;
        const next = { ...prev, uploads: prev.uploads + 1, versions: [version, ...prev.versions], migrationTag };
        state.scripts[name] = next;
        if (method === "PUT") {
          Object.assign(next, { metadata, main, secrets });
          next.deployments = [
            { id: randomUUID(), message: version.message, versionId: version.id, created_on: now() },
            ...next.deployments,
          ];
          return send(
            200,
            ok({
              id: name,
              etag: version.id,
              deployment_id: version.id,
              pipeline_hash: "0",
              startup_time_ms: 1,
              created_on: now(),
              modified_on: now(),
            }),
          );
        }
        return send(
          200,
          ok({
            id: version.id,
            number: next.versions.length,
            startup_time_ms: 1,
            resources: { script: { etag: version.id } },
            metadata: { created_on: version.created_on },
          }),
        );
      }
      if (!s) return send(404, fail(10007, "This Worker does not exist on your account. [code: 10007]"));
      if (method === "GET" && sub === "")
        return send(
          200,
          ok({
            id: name,
            default_environment: {
              environment: "production",
              created_on: now(),
              modified_on: now(),
              script: {
                id: name,
                tag: "t",
                etag: "e",
                handlers: ["fetch", "scheduled", "queue"],
                last_deployed_from: "wrangler",
                migration_tag: s.migrationTag,
              },
            },
          }),
        );
      if (method === "GET" && sub === "/secrets")
        return send(200, ok(Object.keys(s.secrets).map((n) => ({ name: n, type: "secret_text" }))));
      if (method === "PUT" && sub === "/secrets") {
        s.secrets = { ...s.secrets, [String(body?.name)]: String(body?.text) };
        return send(200, ok({ name: body?.name, type: "secret_text" }));
      }
      if (method === "GET" && sub === "/schedules") return send(200, ok({ schedules: s.schedules }));
      if (method === "PUT" && sub === "/schedules") {
        s.schedules = Array.isArray(body) ? body : [];
        return send(200, ok({ schedules: s.schedules }));
      }
      if (method === "GET" && sub === "/subdomain") return send(200, ok({ enabled: s.subdomainEnabled, previews_enabled: false }));
      if (method === "POST" && sub === "/subdomain") {
        s.subdomainEnabled = Boolean(body?.enabled);
        return send(200, ok({ enabled: s.subdomainEnabled, previews_enabled: false }));
      }
      if (method === "GET" && (sub === "/settings" || sub === "/script-settings"))
        return send(200, ok({ logpush: false, tail_consumers: null, observability: null }));
      if (method === "PATCH" && (sub === "/settings" || sub === "/script-settings")) return send(200, ok({}));
      if (method === "GET" && sub === "/deployments") {
        const view = (d: (typeof s.deployments)[number]) => ({
          id: d.id,
          source: "wrangler",
          strategy: "percentage",
          author_email: "ops@vigil.test",
          created_on: d.created_on,
          annotations: { "workers/message": d.message },
          versions: [{ version_id: d.versionId, percentage: 100 }],
        });
        return send(200, ok({ deployments: s.deployments.map(view) }));
      }
      if (method === "POST" && sub === "/deployments") {
        const versionId = body?.versions?.[0]?.version_id;
        const v = s.versions.find((x) => x.id === versionId);
        if (!v) return send(400, fail(10000, `version ${versionId} not found`));
        Object.assign(s, { metadata: v.metadata, main: v.main, secrets: v.secrets });
        const d = { id: randomUUID(), message: body?.annotations?.["workers/message"], versionId, created_on: now() };
        s.deployments = [d, ...s.deployments];
        return send(
          200,
          ok({ id: d.id, strategy: "percentage", versions: body.versions, annotations: body.annotations, created_on: d.created_on }),
        );
      }
      if (method === "GET" && sub === "/versions")
        return send(
          200,
          ok({
            items: s.versions.map((v) => ({
              id: v.id,
              number: 1,
              metadata: { created_on: v.created_on, source: "wrangler" },
              annotations: { "workers/message": v.message, "workers/tag": v.tag },
            })),
          }),
        );
      if ((m = /^\/versions\/([^/]+)$/.exec(sub)) && method === "GET") {
        const v = s.versions.find((x) => x.id === m![1]);
        return v
          ? send(
              200,
              ok({
                id: v.id,
                number: 1,
                metadata: { created_on: v.created_on, source: "wrangler" },
                annotations: { "workers/message": v.message, "workers/tag": v.tag },
                resources: { bindings: [], script: { etag: "e", handlers: ["fetch"] }, script_runtime: {} },
              }),
            )
          : send(404, fail(10000, "version not found"));
      }
    }
    return null;
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://x");
      const raw = Buffer.concat(chunks);
      const contentType = String(req.headers["content-type"] ?? "");
      const call: ApiCall = { method: req.method ?? "GET", path: url.pathname.replace(/^\/client\/v4/, ""), query: url.search.slice(1) };
      if (contentType.startsWith("multipart/form-data")) call.parts = parseMultipart(raw, contentType);
      else if (raw.length > 0) {
        try {
          call.body = JSON.parse(raw.toString("utf8"));
        } catch {
          call.body = raw.toString("utf8");
        }
      }
      calls.push(call);
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(body));
      };
      if (!/^Bearer \S+$/.test(String(req.headers.authorization ?? ""))) {
        return send(401, fail(10000, "Authentication error"));
      }
      if (route(call, send) === null) {
        unknown.push(call);
        send(404, fail(7003, `No route for that URI (loopback Cloudflare API: ${call.method} ${call.path})`));
      }
    });
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const { port } = server.address() as AddressInfo;
  const api: CloudflareApi = {
    baseUrl: `http://127.0.0.1:${port}/client/v4`,
    accountId,
    calls,
    unknown,
    state,
    failNextUpload: false,
    close: () => new Promise((ok) => server.close(() => ok())),
  };
  return api;
}

function queueView(q: CloudflareState["queues"][number]) {
  return {
    queue_id: q.queue_id,
    queue_name: q.queue_name,
    created_on: q.created_on,
    modified_on: q.modified_on,
    producers_total_count: q.producers.length,
    producers: q.producers,
    consumers_total_count: q.consumers.length,
    consumers: q.consumers,
  };
}

/**
 * The D1 statements `wrangler d1 migrations apply --remote` sends: create the `d1_migrations`
 * table, select the applied names, then each migration's SQL followed by an INSERT of its name.
 */
function d1Query(d1: { migrations: string[] }, sql: string, raw: boolean) {
  const meta = { changed_db: false, changes: 0, duration: 0.1, last_row_id: 0, rows_read: 0, rows_written: 0, size_after: 0 };
  const results: Record<string, unknown>[] = [];
  if (/^\s*SELECT[\s\S]*FROM\s+d1_migrations/i.test(sql)) {
    d1.migrations.forEach((name, i) => results.push({ id: i + 1, name, applied_at: "2026-12-01 00:00:00" }));
  }
  for (const m of sql.matchAll(/INSERT\s+INTO\s+d1_migrations\s*\(name\)\s*values\s*\('([^']+)'\)/gi)) d1.migrations.push(m[1]!);
  if (raw)
    return [
      { results: { columns: results[0] ? Object.keys(results[0]) : [], rows: results.map((r) => Object.values(r)) }, meta, success: true },
    ];
  return [{ results, meta, success: true }];
}
