/** `otlp_exports`: span exports counted by outcome, for `/metrics` (migrations/0015_otlp_exports.sql). */

export type OtlpOutcome = "ok" | "failed";

export interface OtlpExportRow {
  outcome: OtlpOutcome;
  exports: number;
  spans: number;
}

/** Counts one export request and the spans it carried. */
export function countOtlpExport(db: D1Database, outcome: OtlpOutcome, spans: number) {
  return db
    .prepare(
      `INSERT INTO otlp_exports (outcome, exports, spans) VALUES (?, 1, ?)
       ON CONFLICT (outcome) DO UPDATE SET exports = exports + 1, spans = spans + excluded.spans`,
    )
    .bind(outcome, spans)
    .run();
}

export async function loadOtlpExports(db: D1Database): Promise<OtlpExportRow[]> {
  const { results } = await db.prepare("SELECT outcome, exports, spans FROM otlp_exports ORDER BY outcome").all<OtlpExportRow>();
  return results;
}
