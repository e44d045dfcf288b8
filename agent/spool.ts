/**
 * The on-disk queue of reports not yet accepted by the worker, and the `seq` counter.
 *
 * - One file per report, `<seq, 20 digits>.json`, written atomically, so a crash leaves whole
 *   reports only; the names sort in `seq` order, and replay takes the oldest first.
 * - Bounded by count and bytes: beyond either, the oldest reports are dropped (and counted).
 * - `seq` is kept in `<stateDir>/seq` as a reservation: before a number beyond it is used, the
 *   file is moved 64 ahead (one durable write per 64 reports, not per report). After a
 *   restart numbering resumes above the reservation and the newest spooled report, so `seq`
 *   is strictly increasing across restarts; it may skip numbers, which the worker allows.
 */
import { mkdir, readdir, readFile, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "./atomic-file";

export interface SpoolOptions {
  /** Default 2880. */
  maxReports?: number;
  /** Default 64 MiB. */
  maxBytes?: number;
}

export interface SpooledReport {
  seq: number;
  body: string;
}

const NAME = /^(\d{20})\.json$/;
/** How many seq numbers one write of the seq file reserves. */
export const SEQ_BLOCK = 64;
const fileName = (seq: number) => `${String(seq).padStart(20, "0")}.json`;

export class Spool {
  readonly dir: string;
  readonly #seqFile: string;
  readonly #maxReports: number;
  readonly #maxBytes: number;
  /** seq → size, in ascending seq order. */
  readonly #index = new Map<number, number>();
  #bytes = 0;
  #lastSeq = 0;
  #reserved = 0;
  /** Reports dropped to respect the bounds since this process started. */
  dropped = 0;

  constructor(stateDir: string, options: SpoolOptions = {}) {
    this.dir = join(stateDir, "spool");
    this.#seqFile = join(stateDir, "seq");
    this.#maxReports = options.maxReports ?? 2880;
    this.#maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
  }

  /** Creates the folders, indexes what an earlier run left, removes half-written temporaries. */
  async open(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const entries = (await readdir(this.dir)).sort();
    for (const name of entries) {
      const m = NAME.exec(name);
      if (!m) {
        if (name.endsWith(".tmp")) await unlink(join(this.dir, name)).catch(() => undefined);
        continue;
      }
      const size = (await stat(join(this.dir, name))).size;
      this.#index.set(Number(m[1]), size);
      this.#bytes += size;
    }
    let saved = 0;
    try {
      saved = Number((await readFile(this.#seqFile, "utf8")).trim()) || 0;
    } catch {
      /* first start */
    }
    const newest = [...this.#index.keys()].at(-1) ?? 0;
    this.#lastSeq = Math.max(saved, newest);
    this.#reserved = this.#lastSeq;
  }

  /** The next `seq`; it is covered by a durable reservation before it is returned. */
  async nextSeq(): Promise<number> {
    const seq = this.#lastSeq + 1;
    if (seq > this.#reserved) {
      await writeFileAtomic(this.#seqFile, `${seq + SEQ_BLOCK - 1}\n`);
      this.#reserved = seq + SEQ_BLOCK - 1;
    }
    this.#lastSeq = seq;
    return seq;
  }

  get lastSeq(): number {
    return this.#lastSeq;
  }

  get size(): number {
    return this.#index.size;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Stores a report; drops the oldest ones when a bound is exceeded. */
  async put(seq: number, body: string): Promise<void> {
    const size = Buffer.byteLength(body);
    await writeFileAtomic(join(this.dir, fileName(seq)), body);
    const newest = [...this.#index.keys()].at(-1);
    this.#index.set(seq, size);
    this.#bytes += size;
    if (newest !== undefined && seq < newest) {
      // Arrived out of order (reports handed over from memory after a failed push): re-sort.
      const sorted = [...this.#index].sort((a, b) => a[0] - b[0]);
      this.#index.clear();
      for (const [k, v] of sorted) this.#index.set(k, v);
    }
    while (this.#index.size > 1 && (this.#index.size > this.#maxReports || this.#bytes > this.#maxBytes)) {
      const oldest = this.#index.keys().next().value as number;
      await this.remove(oldest);
      this.dropped++;
    }
  }

  /** The oldest report, or null when empty. */
  async oldest(): Promise<SpooledReport | null> {
    for (;;) {
      const seq = this.#index.keys().next().value as number | undefined;
      if (seq === undefined) return null;
      try {
        return { seq, body: await readFile(join(this.dir, fileName(seq)), "utf8") };
      } catch {
        // Deleted behind our back: forget it and look at the next one.
        this.#forget(seq);
      }
    }
  }

  /**
   * Forgets a delivered report. The unlink is not fsynced: if a crash undoes it, the report
   * is sent again and the worker, which de-duplicates by seq, ignores it.
   */
  async remove(seq: number): Promise<void> {
    if (!this.#index.has(seq)) return;
    await unlink(join(this.dir, fileName(seq))).catch(() => undefined);
    this.#forget(seq);
  }

  #forget(seq: number): void {
    this.#bytes -= this.#index.get(seq) ?? 0;
    this.#index.delete(seq);
  }
}
