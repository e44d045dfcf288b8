#!/usr/bin/env node
// `npm run docs:reference`: writes docs/reference.md, every field of the config, from the zod
// schemas themselves: structure, types, bounds and defaults from `z.toJSONSchema`, and each
// field's words from the JSDoc above it in src/config/*.ts and in the kinds' files beside their
// code (src/probes, src/notify). `--check` exits 1 when the file is stale instead
// (test/node/reference.test.ts does the same), so the reference cannot drift.
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { bundleForNode, importOnce, root } from "./lib.mjs";

export const REFERENCE_PATH = join(root, "docs/reference.md");

/** The schemas and zod itself, bundled from src/config (the same code the worker runs). */
async function loadSchemas() {
  const entry = `
    export * from ${JSON.stringify(resolve(root, "src/config/index.ts"))};
    export { z } from "zod";
  `;
  return importOnce(await bundleForNode(entry, "reference"));
}

// ---------------------------------------------------------------------------------------------
// The words: JSDoc of every property of every object literal in src/config/*.ts.

/**
 * Object literals with their keys and each key's JSDoc (spreads of another literal resolved),
 * plus the JSDoc of each top-level const (`slackChannel`, `host`, `timeout`).
 */
async function readDocs() {
  const ts = (await import("typescript")).default;
  // The config's own files first, then the kinds' (a probe kind's schema sits beside its probe).
  const dirs = ["src/config", "src/probes", "src/notify"].map((d) => join(root, d));
  const literals = [];
  const constDocs = new Map();
  const constLiterals = new Map();
  const docOf = (node) => {
    const parts = ts
      .getJSDocCommentsAndTags(node)
      .filter((d) => ts.isJSDoc(d))
      .map((d) => ts.getTextOfJSDocComment(d.comment) ?? "");
    if (parts.length === 0) {
      // `{ /** … */ key: … }` on one line: TypeScript reads that comment as trailing the `{`.
      const text = node.getSourceFile().text;
      for (const r of ts.getTrailingCommentRanges(text, node.pos) ?? []) {
        const c = text.slice(r.pos, r.end);
        if (c.startsWith("/**")) parts.push(c.slice(3, -2).replace(/^\s*\* ?/gm, ""));
      }
    }
    const text = parts.join(" ").replace(/\s+/g, " ").trim();
    return text || undefined;
  };
  for (const [dir, file] of dirs.flatMap((d) =>
    readdirSync(d)
      .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))
      .sort()
      .map((f) => [d, f]),
  )) {
    const source = ts.createSourceFile(file, readFileSync(join(dir, file), "utf8"), ts.ScriptTarget.Latest, true);
    const visit = (node) => {
      if (ts.isVariableStatement(node)) {
        for (const decl of node.declarationList.declarations) {
          if (!ts.isIdentifier(decl.name)) continue;
          const doc = docOf(node);
          if (doc) constDocs.set(decl.name.text, doc);
          if (decl.initializer && ts.isObjectLiteralExpression(decl.initializer)) constLiterals.set(decl.name.text, decl.initializer);
        }
      }
      if (ts.isObjectLiteralExpression(node)) literals.push(node);
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  const entries = (literal, seen = new Set()) => {
    const out = new Map();
    for (const p of literal.properties) {
      if (
        ts.isSpreadAssignment(p) &&
        ts.isIdentifier(p.expression) &&
        constLiterals.has(p.expression.text) &&
        !seen.has(p.expression.text)
      ) {
        for (const [k, v] of entries(constLiterals.get(p.expression.text), new Set([...seen, p.expression.text]))) out.set(k, v);
      } else if (
        (ts.isPropertyAssignment(p) || ts.isShorthandPropertyAssignment(p)) &&
        p.name &&
        (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name))
      ) {
        // The property's own JSDoc, else that of the const it names (`host,` or `timeout: timeout()`).
        const named = ts.isShorthandPropertyAssignment(p)
          ? p.name.text
          : p.initializer && ts.isCallExpression(p.initializer) && ts.isIdentifier(p.initializer.expression)
            ? p.initializer.expression.text
            : undefined;
        out.set(p.name.text, docOf(p) ?? (named ? constDocs.get(named) : undefined));
      }
    }
    return out;
  };
  // The literal each schema const is built from (`slackChannel = z.strictObject({ … })`).
  const byConst = new Map();
  for (const lit of literals) {
    let node = lit.parent;
    while (node && !ts.isVariableDeclaration(node) && !ts.isSourceFile(node) && !ts.isObjectLiteralExpression(node)) node = node.parent;
    if (node && ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && !byConst.has(node.name.text))
      byConst.set(node.name.text, entries(lit));
  }
  return { literals: literals.map((l) => entries(l)), constDocs, byConst };
}

/**
 * Words for fields that have no JSDoc in src/config (ids, urls, ports): `<section>:<field>`
 * first, then `<field>`. A field's own JSDoc always wins.
 */
const NOTES = {
  "top:services": "Services: incidents, escalation and the status page are per service.",
  "top:monitors": "Probes run from the edge (below).",
  "top:channels": "Where notifications go (below).",
  "top:policies": "Escalation policies (below).",
  "top:statusPage": "The status page (below).",
  "services:id": "Service id: monitors, agents, jobs, policies and the status page refer to it.",
  "services:name": "Shown on the status page and in notification titles.",
  "services:description": "One line under the service's name on the status page.",
  id: "Unique id (lowercase; used in URLs, logs and check ids).",
  service: "The service this belongs to.",
  type: "The kind, as in this section's title.",
  "http:url": "`http://` or `https://` URL to request.",
  "http:method": "HTTP method.",
  "http:body": "Request body (POST, PUT, PATCH; not GET or HEAD).",
  "json[].path": 'JSON path: `$`, `$.a.b`, `$.items[0].name`, `$["key with spaces"]`.',
  "json[].op": "Operator.",
  "json[].value": 'The value compared with (not for `exists`, where `false` means "must not exist").',
  "responseHeaders[].name": "Response header name, case-insensitive.",
  "responseHeaders[].op": "Operator.",
  "responseHeaders[].value": 'The value compared with (not for `exists`, where `false` means "must not exist").',
  port: "TCP port.",
  "websocket:url": "`ws://` or `wss://` URL to open.",
  "dns:recordType": "Record type asked for.",
  "email:to": "Recipients.",
  "sms:accountSid": "Twilio account SID (`AC…`).",
  "sms:authToken": "Auth token, named by environment variable.",
  "sms:messagingServiceSid": "Messaging service SID (`MG…`), instead of `from`.",
  "sms:to": "The one recipient (E.164); one channel per person on call.",
  "teams:url": "The Workflows webhook URL, named by environment variable.",
  "statuspage:pageId": "Statuspage page id.",
  "statuspage:apiKey": "API key, named by environment variable.",
  "components[].component": "Statuspage component id.",
  "components[].checks": "Check ids whose state the component follows.",
  "policies:id": "Policy id: services name it in `policy`.",
  "policies:levels": "Escalation levels, L1 first.",
  "flapping.changes": "State changes that make a check flapping. Default 5.",
  "flapping.window": "Within this window. Default `10m`.",
  "maintenance:services": "Service ids the window covers.",
  "maintenance:title": "Shown on the status page.",
  "maintenance:end": "One-off: ISO end.",
  "maintenance:duration": "Recurring: how long each window lasts.",
  "maintenance:timezone": "Recurring: IANA time zone of `cron`. Default: the config's `timezone`.",
  "statusPage:title": "The page's title.",
  "digest:diskCriticalPct": "Disk use (percent) marked critical. Default 90.",
  "agents:checks": "Per-check overrides by the agent's check id (`docker:safework-postgres`).",
};

/**
 * The words for a field of `section`: its JSDoc in the literal the section's schema is built
 * from (`const`), else in the literal that shares most keys with the schema object, else NOTES.
 */
function describer(docs) {
  const best = (keys, key, own) => {
    if (own?.has(key)) return own.get(key);
    if (own) return undefined;
    let best = null;
    let bestScore = -1;
    for (const lit of docs.literals) {
      if (!lit.has(key)) continue;
      let shared = 0;
      for (const k of keys) if (lit.has(k)) shared++;
      const score = shared * 1000 - lit.size;
      if (score > bestScore) [best, bestScore] = [lit, score];
    }
    return best?.get(key);
  };
  return (section, keys, key, path = key, ownConst) =>
    best(keys, key, ownConst ? docs.byConst.get(ownConst) : undefined) ??
    NOTES[`${section}:${path}`] ??
    NOTES[path] ??
    NOTES[`${section}:${key}`] ??
    NOTES[key] ??
    "";
}

// ---------------------------------------------------------------------------------------------
// The table rows.

const ID_PATTERN = "^[a-z0-9][a-z0-9._-]{0,62}$";
const ENV_PATTERN = "^[A-Z_][A-Z0-9_]*$";
const isSecretRef = (s) => s?.type === "object" && s.properties?.env?.pattern === ENV_PATTERN && Object.keys(s.properties).length === 1;
const variants = (s) => s?.anyOf ?? s?.oneOf;
const range = (lo, hi, unit = "") => {
  const big = (n) => n >= Number.MAX_SAFE_INTEGER - 1;
  if (lo !== undefined && hi !== undefined && !big(hi)) return `${lo}–${hi}${unit}`;
  if (lo !== undefined) return `≥ ${lo}${unit}`;
  if (hi !== undefined && !big(hi)) return `≤ ${hi}${unit}`;
  return "";
};

/** A JSON Schema as a short type: `duration (10s–24h)`, `"GET" \| "POST"`, `{ env }`, `string[]`. */
function typeOf(s) {
  if (!s || Object.keys(s).length === 0) return "any";
  if (isSecretRef(s)) return "`{ env }` (secret)";
  if (s.format === "duration") return `duration (${s["x-min"]}${s["x-max"] ? `–${s["x-max"]}` : "+"})`;
  if (s.const !== undefined) return `\`${JSON.stringify(s.const)}\``;
  if (s.enum) return s.enum.map((v) => `\`${JSON.stringify(v)}\``).join(" \\| ");
  const alts = variants(s);
  if (alts) {
    if (alts.every((a) => a.type === "object" && !isSecretRef(a))) return "one of the shapes below";
    return [...new Set(alts.map(typeOf))].join(" or ");
  }
  switch (s.type) {
    case "string":
      if (s.pattern === ID_PATTERN) return "id";
      if (s.format === "uri") return "URL";
      if (s.format === "email") return "e-mail address";
      if (s.format === "date-time") return "ISO 8601 date-time";
      return `string${s.maxLength !== undefined || s.minLength > 1 ? ` (${range(s.minLength, s.maxLength, " chars")})` : ""}`;
    case "integer":
    case "number": {
      const r = range(s.minimum, s.maximum);
      return `${s.type}${r ? ` ${r}` : ""}`;
    }
    case "boolean":
      return "boolean";
    case "null":
      return "null";
    case "array": {
      const item = typeOf(s.items);
      const count = s.minItems !== undefined || s.maxItems !== undefined ? ` (${range(s.minItems, s.maxItems, " items")})` : "";
      const simple = s.items?.type === "string" && !s.items.enum && !s.items.format && s.items.pattern !== ID_PATTERN ? "string" : item;
      return `${/[\s|]/.test(simple) ? `(${simple})` : simple}[]${count}`;
    }
    case "object":
      if (s.additionalProperties && typeof s.additionalProperties === "object") return `map of name → ${typeOf(s.additionalProperties)}`;
      return "object";
    default:
      return "any";
  }
}

const defaultOf = (s, required) => {
  if (s.default !== undefined) return `\`${JSON.stringify(s.default)}\``;
  return required ? "required" : "—";
};

/** Nested objects worth their own rows (`flapping.changes`, `levels[].after`). */
const nestedObject = (s) => {
  if (s?.type === "object" && s.properties && !isSecretRef(s)) return s;
  if (s?.type === "array" && s.items?.type === "object" && s.items.properties && !isSecretRef(s.items)) return s.items;
  // `false` or an object (a job envelope's `learn`): the object's fields.
  const objects = (variants(s) ?? []).filter((a) => a.type === "object" && a.properties && !isSecretRef(a));
  return objects.length === 1 ? objects[0] : null;
};

/**
 * The rows of an object schema, nested objects flattened with `.` and `[]`. `section` and
 * `ownConst` (the schema's const in src/config) pick the words.
 */
function rows(schema, describe, { section, ownConst, prefix = "", skip = new Set() }) {
  const keys = Object.keys(schema.properties ?? {});
  const required = new Set(schema.required ?? []);
  const out = [];
  for (const key of keys) {
    if (skip.has(key)) continue;
    const s = schema.properties[key];
    const path = `${prefix}${key}`;
    out.push({
      field: path,
      type: typeOf(s),
      def: defaultOf(s, required.has(key)),
      doc: describe(section, keys, key, path, prefix ? undefined : ownConst),
    });
    const inner = nestedObject(s);
    if (inner) out.push(...rows(inner, describe, { section, prefix: `${path}${s.type === "array" ? "[]" : ""}.` }));
  }
  return out;
}

const cell = (text) => String(text).replace(/\|/g, "\\|").replace(/\n/g, " ");
function table(list) {
  return [
    "| field | type | default | meaning |",
    "|---|---|---|---|",
    ...list.map((r) => `| \`${r.field}\` | ${r.type.replace(/(?<!\\)\|/g, "\\|")} | ${r.def} | ${cell(r.doc)} |`),
  ].join("\n");
}

/** Every key path in the config's JSON Schema: what the reference must mention (the test reads it). */
export function schemaKeys(js) {
  const out = new Set();
  const walk = (s, prefix) => {
    if (!s) return;
    for (const alt of variants(s) ?? []) walk(alt, prefix);
    if (s.type === "array") walk(s.items, prefix);
    if (s.type === "object" && s.properties && !isSecretRef(s)) {
      for (const [k, v] of Object.entries(s.properties)) {
        out.add(k);
        walk(v, `${prefix}${k}.`);
      }
    }
    if (s.additionalProperties && typeof s.additionalProperties === "object") walk(s.additionalProperties, prefix);
  };
  walk(js, "");
  return out;
}

// ---------------------------------------------------------------------------------------------
// The document.

/** Builds docs/reference.md's text. */
export async function renderReference() {
  const m = await loadSchemas();
  const docs = await readDocs();
  const describe = describer(docs);
  const js = m.z.toJSONSchema(m.configSchema, { io: "input", unrepresentable: "any", reused: "inline" });
  const top = js.properties;
  const item = (key) => top[key].items;
  const monitorTypes = variants(item("monitors"));
  const channelTypes = variants(item("channels"));
  const base = new Set(Object.keys(monitorTypes[0].properties).filter((k) => monitorTypes.every((t) => k in t.properties) && k !== "type"));
  const typeName = (t) => t.properties.type.const;
  const out = [];
  const say = (...blocks) => out.push(...blocks.flatMap((b) => [b, ""]));

  say(
    "# Configuration reference",
    "<!-- Generated by `npm run docs:reference` from the zod schemas in src/config/ (types, bounds and defaults from the schemas, words from their JSDoc). Do not edit by hand: test/node/reference.test.ts fails when this file is stale. -->",
    "Every field of `vigil.config.ts`, generated from the schemas the worker validates with, so it cannot drift from them. How-to guides are in the [README](../README.md).",
    [
      "- **Durations** are strings: `500ms`, `10s`, `5m`, `6h`, `2d`, `1h30m`; each field states its range.",
      "- **Ids** are 1–63 lowercase letters, digits, `.`, `_`, `-`, starting with a letter or digit.",
      '- **Secrets** are never inline: a secret field takes `{ env: "NAME" }`, an environment variable (`.dev.vars` locally, `wrangler secret put NAME` in production).',
      "- **Check ids** name what incidents, `dependsOn` and channels refer to: a monitor's `id`, `agent:<agent>:<check>`, `agent:<agent>:heartbeat` or `ping:<job>`.",
    ].join("\n"),
  );

  const toc = [
    ["Top level", "top-level"],
    ["services[]", "services"],
    ["monitors[]", "monitors"],
    ...monitorTypes.map((t) => [`monitor type \`${typeName(t)}\``, `monitor-type-${typeName(t)}`]),
    ["channels[]", "channels"],
    ...channelTypes.map((t) => [`channel type \`${typeName(t)}\``, `channel-type-${typeName(t)}`]),
    ["policies[]", "policies"],
    ["agents[]", "agents"],
    ["jobs[]", "jobs"],
    ["maintenance[]", "maintenance"],
    ["upstreams[]", "upstreams"],
    ["statusPage", "statuspage"],
    ["digest", "digest"],
    ["telemetry", "telemetry"],
  ];
  say("## Contents", toc.map(([label, anchor]) => `- [${label}](#${anchor})`).join("\n"));

  const anchor = (id) => `<a id="${id}"></a>`;
  say(
    `## Top level ${anchor("top-level")}`,
    "`vigil.config.ts` default-exports `defineConfig({ … })` (or a function of the environment returning it).",
    table(
      Object.keys(top).map((k) => ({
        field: k,
        type: typeOf(top[k]),
        def: defaultOf(top[k], (js.required ?? []).includes(k)),
        doc: describe("top", Object.keys(top), k),
      })),
    ),
  );
  say(
    `## services[] ${anchor("services")}`,
    "Incidents, escalation and the status page are per service.",
    table(rows(item("services"), describe, { section: "services", ownConst: "serviceSpec" })),
  );

  const firstMonitor = monitorTypes[0];
  say(
    `## monitors[] ${anchor("monitors")}`,
    `Probes run from the edge. \`type\` is one of ${monitorTypes.map((t) => `\`${typeName(t)}\``).join(", ")}. Fields every type has:`,
    table(
      rows(
        { ...firstMonitor, properties: Object.fromEntries(Object.entries(firstMonitor.properties).filter(([k]) => base.has(k))) },
        describe,
        { section: "monitors", ownConst: "monitorBase" },
      ),
    ),
    "`timeout × samples` must be shorter than `interval` (with `retries`: `samples × ((count + 1) × timeout + count × delay)`); `degradedMs` < `downMs` < `timeout`. " +
      "Retries follow network failures only (refused, no such host, TLS handshake, closed before answering, timeout), never an HTTP status or a failed assertion; " +
      "the result's `attempts` says how many probes the run took.",
  );
  for (const t of monitorTypes) {
    const name = typeName(t);
    const doc = docs.constDocs.get(`${name}Monitor`);
    say(
      `### monitor type \`${name}\` ${anchor(`monitor-type-${name}`)}`,
      ...(doc ? [doc] : []),
      table(rows(t, describe, { section: name, ownConst: `${name}Monitor`, skip: base })),
    );
  }

  say(
    `## channels[] ${anchor("channels")}`,
    `Where notifications go. \`type\` is one of ${channelTypes.map((t) => `\`${typeName(t)}\``).join(", ")}.`,
  );
  for (const t of channelTypes) {
    const name = typeName(t);
    const doc = docs.constDocs.get(`${name}Channel`);
    say(
      `### channel type \`${name}\` ${anchor(`channel-type-${name}`)}`,
      ...(doc ? [doc] : []),
      table(rows(t, describe, { section: name, ownConst: `${name}Channel`, skip: new Set(["type"]) })),
    );
  }

  const policy = item("policies");
  const conditions = variants(policy.properties.levels.items.properties.when.items);
  say(
    `## policies[] ${anchor("policies")}`,
    "Escalation: level 1 is paged `groupWait` after an incident opens; each later level after its `after`, or at once when one of its `when` conditions holds.",
    table(rows(policy, describe, { section: "policies", ownConst: "policySpec" })),
    "`levels[].when` conditions (any one escalates):",
    table(
      conditions.map((c) => {
        const keys = Object.keys(c.properties);
        const req = new Set(c.required ?? []);
        return {
          field: `{ ${keys.map((k) => (req.has(k) ? k : `${k}?`)).join(", ")} }`,
          type: keys.map((k) => `${k}: ${typeOf(c.properties[k])}`).join("; "),
          def: "—",
          doc: describe("when", keys, keys[0]),
        };
      }),
    ),
  );
  say(
    `## agents[] ${anchor("agents")}`,
    docs.constDocs.get("agentSpec") ?? "",
    table(rows(item("agents"), describe, { section: "agents", ownConst: "agentSpec" })),
  );
  say(
    `## jobs[] ${anchor("jobs")}`,
    "Cron jobs and backups that ping `/ping/<key>` (Healthchecks.io semantics).",
    table(rows(item("jobs"), describe, { section: "jobs", ownConst: "jobSpec" })),
  );
  say(
    `## maintenance[] ${anchor("maintenance")}`,
    docs.constDocs.get("maintenanceSpec") ?? "",
    table(rows(item("maintenance"), describe, { section: "maintenance", ownConst: "maintenanceSpec" })),
  );
  const upstreamRows = rows(item("upstreams"), describe, { section: "upstreams", ownConst: "upstreamSpec" });
  say(`## upstreams[] ${anchor("upstreams")}`, docs.constDocs.get("upstreamSpec") ?? "", table(upstreamRows));
  say(
    `## statusPage ${anchor("statuspage")}`,
    table(rows(top.statusPage, describe, { section: "statusPage", ownConst: "statusPageSpec" })),
  );
  say(
    `## digest ${anchor("digest")}`,
    docs.constDocs.get("digestSpec") ?? "",
    table(rows(top.digest, describe, { section: "digest", ownConst: "digestSpec" })),
  );
  say(
    `## telemetry ${anchor("telemetry")}`,
    docs.constDocs.get("otlpSpec") ?? "",
    table(rows(top.telemetry, describe, { section: "telemetry", ownConst: "telemetrySpec" })),
  );
  return `${out
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim()}\n`;
}

/** The config's JSON Schema, for tests. */
export async function configJsonSchema() {
  const m = await loadSchemas();
  return m.z.toJSONSchema(m.configSchema, { io: "input", unrepresentable: "any", reused: "inline" });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const text = await renderReference();
  if (process.argv.includes("--check")) {
    let current = "";
    try {
      current = readFileSync(REFERENCE_PATH, "utf8");
    } catch {
      // missing: stale
    }
    if (current !== text) {
      console.error("docs/reference.md is stale: run `npm run docs:reference`");
      process.exit(1);
    }
    console.log("docs/reference.md is current");
  } else {
    mkdirSync(join(root, "docs"), { recursive: true });
    writeFileSync(REFERENCE_PATH, text);
    console.log(`wrote docs/reference.md (${text.split("\n").length} lines)`);
  }
}
