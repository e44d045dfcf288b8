/**
 * docs/reference.md is generated from the zod schemas (scripts/reference.mjs) and must match
 * them: the file is current, every key of the config's JSON Schema appears in it, and every
 * field has words (a new field without JSDoc fails here).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs script
import { REFERENCE_PATH, configJsonSchema, renderReference, schemaKeys } from "../../scripts/reference.mjs";

describe("docs/reference.md", () => {
  it("is what `npm run docs:reference` writes from the schemas today", async () => {
    const expected: string = await renderReference();
    const current = readFileSync(REFERENCE_PATH, "utf8");
    expect(current === expected, "docs/reference.md is stale: run `npm run docs:reference` and commit the result").toBe(true);
  }, 60_000);

  it("names every key of every monitor type, channel type and section", async () => {
    const doc = readFileSync(REFERENCE_PATH, "utf8");
    const keys: Set<string> = schemaKeys(await configJsonSchema());
    expect(keys.size).toBeGreaterThan(100);
    for (const key of [
      "json",
      "responseHeaders",
      "maxRedirects",
      "expectReplyMatches",
      "recordType",
      "routingKey",
      "publicDetails",
      "failedRecoveries",
    ])
      expect(keys).toContain(key);
    const missing = [...keys].filter((k) => !new RegExp(`\`([\\w.\\[\\]]*[.\\[\\]{ ]|\\{ [\\w?, ]*)?${k}\\??[\`,} ]`).test(doc));
    expect(missing).toEqual([]);
  }, 60_000);

  it("says what every field means", () => {
    const doc = readFileSync(REFERENCE_PATH, "utf8");
    const silent = doc.split("\n").filter((l) => /^\| `/.test(l) && /\| *\|$/.test(l));
    expect(silent).toEqual([]);
  });
});
