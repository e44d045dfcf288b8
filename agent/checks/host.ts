/**
 * The host itself: disk use per mount (statfs), memory, CPU over the interval and load.
 * Runbook defaults: CPU > 80 % warn, memory > 85 % critical, disk > 80 % warn and > 90 %
 * critical (each overridable in the config).
 */
import { readFileSync } from "node:fs";
import { statfs } from "node:fs/promises";
import { availableParallelism, cpus, freemem, loadavg, totalmem } from "node:os";
import { diskMetricKey, REPORT_CAPS } from "../../src/contract/report-constants";
import { type CheckContext, type CheckStatus, type Finding, round, worst } from "./check";
import { Grader, type Grades } from "./hysteresis";
import { checkKind, type CheckSpecOf } from "./kind";
import type { SchemaKit } from "./schema-kit";

/** The `host` check's config: `checks[]` entries with `kind: "host"`. */
const schema = (k: SchemaKit) =>
  k.z.strictObject({
    kind: k.z.literal("host"),
    ...k.common,
    cpuWarnPct: k.pct.default(80),
    cpuCriticalPct: k.pct.optional(),
    memoryWarnPct: k.pct.optional(),
    memoryCriticalPct: k.pct.default(85),
    diskWarnPct: k.pct.default(80),
    diskCriticalPct: k.pct.default(90),
    /** Mount points to watch. Default: every mounted local file system. */
    mounts: k.z.array(k.z.string().startsWith("/")).min(1).optional(),
    /** 1-minute load per core above this is `warn`. Default: reported only. */
    loadWarnPerCore: k.z.number().positive().optional(),
    ...k.graded("host"),
  });

type HostSpec = CheckSpecOf<typeof schema>;

export interface HostObservation {
  cpuPct: number;
  memoryPct: number;
  memoryTotal: number;
  load1: number;
  cores: number;
  disks: { mount: string; usedPct: number; freeBytes: number }[];
}

/** Local file systems worth watching (no tmpfs, proc, cgroup, …). */
const DISK_FS = new Set([
  "ext2",
  "ext3",
  "ext4",
  "xfs",
  "btrfs",
  "zfs",
  "f2fs",
  "vfat",
  "exfat",
  "ntfs",
  "ntfs3",
  "fuseblk",
  "reiserfs",
  "jfs",
  "bcachefs",
]);

/** Pure judgement; `previous` and the finding's `grades`: hysteresis (agent/checks/hysteresis.ts). */
export function judgeHost(spec: HostSpec, o: HostObservation, previous: Grades = {}): Finding & { grades: Grades } {
  const g = new Grader("host", spec, previous);
  const line = (name: string, what: string, status: CheckStatus) => ({
    what,
    status,
    held: g.held[name] ? ` (held, ${g.held[name]})` : "",
  });
  const s: { what: string; status: CheckStatus; held: string }[] = [
    line("cpu", `CPU ${round(o.cpuPct)} %`, g.grade("cpu", o.cpuPct, "cpuWarnPct", "cpuCriticalPct")),
    line("memory", `memory ${round(o.memoryPct)} %`, g.grade("memory", o.memoryPct, "memoryWarnPct", "memoryCriticalPct")),
    line("load", `load ${round(o.load1, 2)} on ${o.cores} cores`, g.grade("load", o.load1 / o.cores, "loadWarnPerCore")),
    ...o.disks.map((d) =>
      line(
        `disk:${d.mount}`,
        `disk ${d.mount} ${round(d.usedPct)} %`,
        g.grade(`disk:${d.mount}`, d.usedPct, "diskWarnPct", "diskCriticalPct"),
      ),
    ),
  ];
  const bad = s.filter((x) => x.status !== "ok");
  const worstDisk = o.disks.reduce((a, d) => Math.max(a, d.usedPct), 0);
  const metrics: Record<string, number> = {
    cpuPct: round(o.cpuPct),
    memoryPct: round(o.memoryPct),
    load1: round(o.load1, 2),
    cores: o.cores,
    diskMaxPct: round(worstDisk),
  };
  // The worker takes at most REPORT_CAPS.metrics per check; the other metrics come first.
  for (const d of o.disks.slice(0, REPORT_CAPS.metrics - Object.keys(metrics).length)) metrics[diskMetricKey(d.mount)] = round(d.usedPct);
  return {
    grades: g.grades,
    status: worst(...s.map((x) => x.status)),
    summary:
      (bad.length ? `${bad.map((x) => `${x.what} ${x.status}${x.held}`).join(", ")}; ` : "") +
      s
        .filter((x) => x.status === "ok")
        .map((x) => x.what)
        .join(", "),
    metrics,
  };
}

// /proc files are read synchronously: they are generated in memory and never block, and an
// async read costs four thread-pool round trips (open, fstat, read, close) each.

/** Busy and total CPU ticks over all cores: the first line of /proc/stat on Linux (cheaper than os.cpus()). */
async function cpuTicks(): Promise<{ busy: number; total: number }> {
  try {
    const line = readFileSync("/proc/stat", "latin1").slice(0, 256).split("\n", 1)[0]!;
    // cpu  user nice system idle iowait irq softirq steal …
    const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
    if (idle !== undefined && Number.isFinite(idle)) {
      const busy = user! + nice! + system! + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0);
      return { busy, total: busy + idle + (iowait ?? 0) };
    }
  } catch {
    /* not Linux */
  }
  return cpuTicksFromOs();
}

function cpuTicksFromOs(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const c of cpus()) {
    const t = c.times;
    busy += t.user + t.nice + t.sys + t.irq;
    total += t.user + t.nice + t.sys + t.irq + t.idle;
  }
  return { busy, total };
}

async function memory(): Promise<{ pct: number; total: number }> {
  try {
    const text = readFileSync("/proc/meminfo", "latin1");
    const total = Number(/^MemTotal:\s+(\d+)/m.exec(text)?.[1]);
    const avail = Number(/^MemAvailable:\s+(\d+)/m.exec(text)?.[1]);
    if (total > 0 && Number.isFinite(avail)) return { pct: (1 - avail / total) * 100, total: total * 1024 };
  } catch {
    /* not Linux: fall back to os */
  }
  return { pct: (1 - freemem() / totalmem()) * 100, total: totalmem() };
}

async function mounts(spec: HostSpec): Promise<string[]> {
  return spec.mounts ?? localMounts();
}

/** Every mounted local file system (one mount point per device), from /proc/mounts; ["/"] elsewhere. */
export async function localMounts(): Promise<string[]> {
  try {
    const seen = new Set<string>();
    const out: string[] = [];
    for (const line of readFileSync("/proc/mounts", "utf8").split("\n")) {
      const [dev, mnt, type] = line.split(" ");
      if (!dev || !mnt || !type || !DISK_FS.has(type) || seen.has(dev)) continue;
      seen.add(dev);
      out.push(mnt.replace(/\\040/g, " "));
    }
    return out.length ? out : ["/"];
  } catch {
    return ["/"];
  }
}

export async function runHost(spec: HostSpec, ctx: CheckContext): Promise<Finding[]> {
  // CPU over the interval: the difference to the previous run; the first run samples 250 ms.
  let prev = ctx.memory.get("cpu") as { busy: number; total: number } | undefined;
  if (!prev) {
    prev = await cpuTicks();
    await new Promise((r) => setTimeout(r, 250));
  }
  const now = await cpuTicks();
  ctx.memory.set("cpu", now);
  const dt = now.total - prev.total;
  const cpuPct = dt > 0 ? ((now.busy - prev.busy) / dt) * 100 : 0;
  // Mounts change rarely: /proc/mounts is read again every 10 minutes, not every run.
  let cached = ctx.memory.get("mounts") as { at: number; list: string[] } | undefined;
  if (!cached || ctx.now() - cached.at > 600_000) {
    cached = { at: ctx.now(), list: await mounts(spec) };
    ctx.memory.set("mounts", cached);
  }
  const mnts = cached.list;
  const mem = await memory();
  const disks = await Promise.all(
    mnts.map(async (mount) => {
      try {
        const st = await statfs(mount);
        const used = st.blocks - st.bfree;
        // As df computes it: what non-root users can still use counts as free.
        const usedPct = used + st.bavail > 0 ? (used / (used + st.bavail)) * 100 : 0;
        return { mount, usedPct, freeBytes: st.bavail * st.bsize };
      } catch {
        return { mount, usedPct: Number.NaN, freeBytes: 0 };
      }
    }),
  );
  const missing = disks.filter((d) => Number.isNaN(d.usedPct));
  const { grades, ...finding } = judgeHost(
    spec,
    {
      cpuPct,
      memoryPct: mem.pct,
      memoryTotal: mem.total,
      load1: loadavg()[0] ?? 0,
      cores: availableParallelism(),
      disks: disks.filter((d) => !Number.isNaN(d.usedPct)),
    },
    ctx.memory.get("grades") as Grades | undefined,
  );
  ctx.memory.set("grades", grades);
  if (missing.length) {
    return [
      {
        ...finding,
        status: worst(finding.status, "warn"),
        summary: `cannot statfs ${missing.map((d) => d.mount).join(", ")}; ${finding.summary}`,
      },
    ];
  }
  return [finding];
}

export const host = checkKind({
  kind: "host",
  schema,
  run: runHost,
  defaultName: () => "local",
});
