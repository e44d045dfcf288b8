/**
 * Assertions on a response, in the spirit of Gatus conditions: a subject (a JSON path such as
 * `$.db.status`, or a response header), an operator and a value.
 *
 * One evaluator does both jobs: the config schema validates an assertion by running it on an
 * empty response, and a spec problem (bad path, bad regex, `<` with a string) throws
 * `InvalidAssertion` whatever the response; so validation and evaluation cannot drift apart.
 */

export const OPERATORS = ["==", "!=", "<", "<=", ">", ">=", "contains", "matches", "exists"] as const;
export type Operator = (typeof OPERATORS)[number];
export type AssertionValue = string | number | boolean | null;

export interface JsonAssertion {
  /** `$`, `$.a.b`, `$.items[0].name`, `$["key with spaces"]`. */
  path: string;
  op: Operator;
  /** Required except for `exists` (where it may be `false`: "must not exist"). */
  value?: AssertionValue;
}

export interface HeaderAssertion {
  /** Response header name, case-insensitive. */
  name: string;
  op: Operator;
  value?: AssertionValue;
}

/** The assertion itself is wrong, whatever the response. `field` is the key to blame. */
export class InvalidAssertion extends Error {
  override readonly name = "InvalidAssertion";
  constructor(
    readonly field: "path" | "op" | "value" | "name",
    message: string,
  ) {
    super(message);
  }
}

/** What the subject resolved to; `found: false` when the path or header is absent. */
export interface Subject {
  found: boolean;
  value?: unknown;
}

const SEGMENT = /\.([A-Za-z_$][\w$-]*)|\[(\d+)\]|\[(['"])((?:\\.|(?!\3).)*)\3\]/y;

/** Parses a JSON path into keys and indexes. */
export function parsePath(path: string): (string | number)[] {
  if (!path.startsWith("$")) throw new InvalidAssertion("path", `path must start with "$" (like "$.status"), got "${path}"`);
  const out: (string | number)[] = [];
  SEGMENT.lastIndex = 1;
  while (SEGMENT.lastIndex < path.length) {
    const at = SEGMENT.lastIndex;
    const m = SEGMENT.exec(path);
    if (!m)
      throw new InvalidAssertion(
        "path",
        `cannot read path "${path}" at character ${at + 1} ("${path.slice(at)}"); use $.key, $[0] or $["key"]`,
      );
    if (m[1] !== undefined) out.push(m[1]);
    else if (m[2] !== undefined) out.push(Number(m[2]));
    else out.push(m[4]!.replace(/\\(.)/g, "$1"));
  }
  return out;
}

export function lookup(doc: unknown, path: readonly (string | number)[]): Subject {
  let value = doc;
  for (const key of path) {
    if (
      typeof key === "number"
        ? !Array.isArray(value) || key >= value.length
        : value === null || typeof value !== "object" || Array.isArray(value) || !Object.hasOwn(value, key)
    ) {
      return { found: false };
    }
    value = (value as Record<string | number, unknown>)[key];
  }
  return { found: true, value };
}

/** A value as it appears in a reason: strings quoted, long values cut. */
export function render(value: unknown): string {
  const text = typeof value === "string" ? `'${value}'` : (JSON.stringify(value) ?? String(value));
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}

/** Compiles a regex from config, naming the field when it does not compile. */
export function compileRegex(source: string, field: InvalidAssertion["field"] = "value"): RegExp {
  try {
    return new RegExp(source);
  } catch (err) {
    throw new InvalidAssertion(field, `not a valid regular expression: ${(err as Error).message}`);
  }
}

const asNumber = (v: unknown): number | null => {
  if (typeof v === "number") return v;
  if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
  return null;
};

const same = (a: unknown, b: unknown): boolean =>
  a === b || (a !== null && b !== null && typeof a !== "object" && typeof b !== "object" && String(a) === String(b));

/**
 * Checks `subject op value`. Returns null when it holds, else the detail of the failure
 * ("got 'down'"). Throws `InvalidAssertion` for a bad (op, value) pair before looking at the
 * subject, so an empty subject validates the spec.
 */
function compare(subject: Subject, label: string, op: Operator, expected: AssertionValue | undefined): string | null {
  // 1. The spec, independent of the response.
  if (!OPERATORS.includes(op)) throw new InvalidAssertion("op", `unknown operator "${op}" (use one of ${OPERATORS.join(" ")})`);
  if (op === "exists") {
    if (expected !== undefined && typeof expected !== "boolean")
      throw new InvalidAssertion("value", `operator "exists" takes true, false or no value, got ${render(expected)}`);
  } else if (expected === undefined) {
    throw new InvalidAssertion("value", `operator "${op}" needs a value`);
  }
  const numeric = op === "<" || op === "<=" || op === ">" || op === ">=";
  if (numeric && typeof expected !== "number")
    throw new InvalidAssertion("value", `operator "${op}" needs a number, got ${render(expected)}`);
  const regex = op === "matches" ? (typeof expected === "string" ? compileRegex(expected) : null) : undefined;
  if (regex === null) throw new InvalidAssertion("value", `operator "matches" needs a regular expression string, got ${render(expected)}`);

  // 2. The response.
  if (op === "exists") {
    const want = expected !== false;
    if (subject.found === want) return null;
    return want ? `${label} is missing` : `got ${render(subject.value)}`;
  }
  if (!subject.found) return `${label} is missing`;
  const actual = subject.value;
  switch (op) {
    case "==":
      return same(actual, expected) ? null : `got ${render(actual)}`;
    case "!=":
      return same(actual, expected) ? `got ${render(actual)}` : null;
    case "contains":
      if (typeof actual === "string") return actual.includes(String(expected)) ? null : `got ${render(actual)}`;
      if (Array.isArray(actual)) return actual.some((item) => same(item, expected)) ? null : `got ${render(actual)}`;
      return `got ${render(actual)}, which is neither text nor a list`;
    case "matches":
      if (actual === null || typeof actual === "object") return `got ${render(actual)}, which is not text`;
      return regex!.test(String(actual)) ? null : `got ${render(actual)}`;
    default: {
      const n = asNumber(actual);
      if (n === null) return `got ${render(actual)}, which is not a number`;
      const e = expected as number;
      const holds = op === "<" ? n < e : op === "<=" ? n <= e : op === ">" ? n > e : n >= e;
      return holds ? null : `got ${render(actual)}`;
    }
  }
}

function describe(subject: string, op: Operator, value: AssertionValue | undefined): string {
  if (op === "exists") return value === false ? `${subject} must not exist` : `${subject} exists`;
  return `${subject} ${op} ${op === "matches" ? `/${String(value)}/` : render(value)}`;
}

/** Evaluates a JSON assertion on a parsed body: null, or "$.db == 'up' failed: got 'down'". */
export function checkJson(a: JsonAssertion, doc: unknown, hasDoc = true): string | null {
  const path = parsePath(a.path);
  const detail = compare(hasDoc ? lookup(doc, path) : { found: false }, a.path, a.op, a.value);
  return detail === null ? null : `${describe(a.path, a.op, a.value)} failed: ${detail}`;
}

/** Evaluates a header assertion: null, or "header content-type contains 'json' failed: got 'text/plain'". */
export function checkHeader(a: HeaderAssertion, headers: Headers | null): string | null {
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(a.name)) throw new InvalidAssertion("name", `"${a.name}" is not a valid header name`);
  const value = headers?.get(a.name);
  const label = `header ${a.name.toLowerCase()}`;
  const detail = compare(value === null || value === undefined ? { found: false } : { found: true, value }, label, a.op, a.value);
  return detail === null ? null : `${describe(label, a.op, a.value)} failed: ${detail}`;
}

/** Validation by evaluation on an empty response: the spec problem, or null. */
export function assertionProblem(run: () => unknown): InvalidAssertion | null {
  try {
    run();
    return null;
  } catch (err) {
    if (err instanceof InvalidAssertion) return err;
    throw err;
  }
}
