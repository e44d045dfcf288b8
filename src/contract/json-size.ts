/**
 * Size checks on parsed JSON, made before a schema looks at it. zod checks an array's `max`
 * only after parsing every element: 80,000 bad checks made 480,001 issues and overflowed the
 * stack. This walk looks at lengths and key counts first and stops at the first problems, so
 * an oversize input costs one pass over what was parsed (itself bounded by the body limit).
 */

export interface JsonSizeLimits {
  /** Longest array anywhere, unless `caps` says otherwise for its path. Default 1000. */
  items?: number;
  /** Most keys of one object anywhere, unless `caps` says otherwise. Default 1000. */
  keys?: number;
  /** Deepest nesting. Default 32. */
  depth?: number;
  /**
   * Caps by path shape, array indices written `[]`: `{ checks: 500, "checks[].metrics": 200 }`.
   * An array's cap counts items, an object's counts keys.
   */
  caps?: Record<string, number>;
}

/** Problems are reported up to this many; one is enough to refuse. */
const MAX_ISSUES = 10;

/** `path: at most N items, got M` lines for every oversize array or object, worst first found. */
export function jsonSizeIssues(value: unknown, limits: JsonSizeLimits = {}): string[] {
  const { items = 1000, keys = 1000, depth: maxDepth = 32, caps = {} } = limits;
  const issues: string[] = [];
  const stack: { v: unknown; path: string; shape: string; depth: number }[] = [{ v: value, path: "", shape: "", depth: 0 }];
  while (stack.length > 0 && issues.length < MAX_ISSUES) {
    const { v, path, shape, depth } = stack.pop()!;
    if (v === null || typeof v !== "object") continue;
    const at = path || "(root)";
    if (depth >= maxDepth) {
      issues.push(`${at}: nested deeper than ${maxDepth} levels`);
      continue;
    }
    if (Array.isArray(v)) {
      const max = caps[shape] ?? items;
      if (v.length > max) {
        issues.push(`${at}: at most ${max} items, got ${v.length}`);
        continue;
      }
      for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], path: `${path}[${i}]`, shape: `${shape}[]`, depth: depth + 1 });
    } else {
      const names = Object.keys(v);
      const max = caps[shape] ?? keys;
      if (names.length > max) {
        issues.push(`${at}: at most ${max} keys, got ${names.length}`);
        continue;
      }
      for (let i = names.length - 1; i >= 0; i--) {
        const k = names[i]!;
        stack.push({
          v: (v as Record<string, unknown>)[k],
          path: path ? `${path}.${k}` : k,
          shape: shape ? `${shape}.${k}` : k,
          depth: depth + 1,
        });
      }
    }
  }
  return issues;
}
