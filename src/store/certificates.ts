/**
 * `tls_certificates`: the leaf certificate each `tls` monitor read last (what the daily digest
 * lists). Written by the probe batch with its raw results; a reading that changes nothing is
 * not written again for an hour (the upsert's WHERE), so a 1-minute TLS monitor costs no rows.
 */
import type { TlsInfo } from "../contract/probe";

export const CERTIFICATE_REFRESH_MS = 3_600_000;

export interface CertificateRow {
  check_id: string;
  host: string;
  not_after: number;
  subject: string;
  issuer: string;
  checked_at: number;
}

export function upsertCertificate(db: D1Database, checkId: string, host: string, tls: TlsInfo, checkedAt: number): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO tls_certificates (check_id, host, not_after, subject, issuer, checked_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
       ON CONFLICT (check_id) DO UPDATE SET host = ?2, not_after = ?3, subject = ?4, issuer = ?5, checked_at = ?6
       WHERE tls_certificates.host IS NOT ?2 OR tls_certificates.not_after IS NOT ?3 OR tls_certificates.subject IS NOT ?4
         OR tls_certificates.issuer IS NOT ?5 OR ?6 - tls_certificates.checked_at >= ?7`,
    )
    .bind(checkId, host, Date.parse(tls.notAfter), tls.subject, tls.issuer, checkedAt, CERTIFICATE_REFRESH_MS);
}

export async function certificatesOf(db: D1Database, checkIds: readonly string[]): Promise<CertificateRow[]> {
  if (checkIds.length === 0) return [];
  const { results } = await db
    .prepare("SELECT * FROM tls_certificates WHERE check_id IN (SELECT value FROM json_each(?)) ORDER BY check_id")
    .bind(JSON.stringify(checkIds))
    .all<CertificateRow>();
  return results;
}
