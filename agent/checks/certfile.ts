/**
 * PEM certificate files on disk (what `certbot renew` maintains): days until the first
 * certificate in the file (the leaf) expires.
 */
import { X509Certificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import { errorText } from "../log";
import { type CheckContext, type Finding, round } from "./check";
import { checkKind, type CheckSpecOf } from "./kind";
import type { SchemaKit } from "./schema-kit";

/** The `certfile` check's config: `checks[]` entries with `kind: "certfile"`. */
const schema = (k: SchemaKit) =>
  k.z.strictObject({
    kind: k.z.literal("certfile"),
    ...k.common,
    path: k.z.string().startsWith("/"),
    warnDays: k.z.number().min(0).default(14),
    criticalDays: k.z.number().min(0).default(7),
  });

type CertSpec = CheckSpecOf<typeof schema>;

export function judgeCert(spec: CertSpec, notAfter: Date, subject: string, now: number): Finding {
  const days = (notAfter.getTime() - now) / 86_400_000;
  const status = days <= spec.criticalDays ? "critical" : days <= spec.warnDays ? "warn" : "ok";
  const when = days < 0 ? `expired ${round(-days)} days ago` : `expires in ${round(days)} days`;
  return { status, summary: `${subject || "certificate"} ${when} (${notAfter.toISOString()})`, metrics: { daysLeft: round(days, 2) } };
}

export async function runCertfile(spec: CertSpec, ctx: CheckContext): Promise<Finding[]> {
  let pem: string;
  try {
    pem = await readFile(spec.path, "utf8");
  } catch (err) {
    return [{ status: "critical", summary: `cannot read ${spec.path}: ${errorText(err)}` }];
  }
  const block = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)?.[0];
  if (!block) return [{ status: "critical", summary: `${spec.path} holds no PEM certificate` }];
  try {
    const cert = new X509Certificate(block);
    const cn = /CN=([^\n,]+)/.exec(cert.subject)?.[1] ?? "";
    return [judgeCert(spec, new Date(cert.validTo), cn, ctx.now())];
  } catch (err) {
    return [{ status: "critical", summary: `${spec.path}: not a valid certificate: ${errorText(err)}` }];
  }
}

export const certfile = checkKind({
  kind: "certfile",
  schema,
  run: runCertfile,
  defaultName: (spec) => spec.path,
});
