/** Report acceptance and the dead-man, with injected time (src/engine/report-acceptance.ts). */
import { describe, expect, it } from "vitest";
import {
  acceptReport,
  deadManDue,
  deadManReason,
  emptyLedger,
  READ_MODEL_REFRESH_MS,
  seqVerdict,
  silenced,
  type AgentLedger,
  type ReportFacts,
} from "../../../src/engine/report-acceptance";

const T0 = Date.UTC(2026, 10, 22, 14, 0, 0);
const facts = (seq: number, over: Partial<ReportFacts> = {}): ReportFacts => ({
  agentId: "a1",
  seq,
  intervalSeconds: 30,
  hostname: "app-01",
  version: "1.2.0",
  ...over,
});
/** The ledger after reports `seqs`, one per 30 s from T0. */
function after(seqs: number[], grace?: number): AgentLedger {
  let ledger = emptyLedger();
  seqs.forEach((seq, i) => (ledger = acceptReport(ledger, facts(seq), grace, T0 + i * 30_000).ledger));
  return ledger;
}

describe("seqVerdict", () => {
  const history = new Set([3, 5]);
  const cases: { name: string; lastSeq: number | null; seq: number; verdict: string }[] = [
    { name: "the first report of an agent", lastSeq: null, seq: 7, verdict: "next" },
    { name: "the latest seq again", lastSeq: 7, seq: 7, verdict: "duplicate" },
    { name: "a newer seq (gaps allowed)", lastSeq: 7, seq: 12, verdict: "next" },
    { name: "an older seq in history", lastSeq: 7, seq: 5, verdict: "duplicate" },
    { name: "an older seq never seen (spool replay)", lastSeq: 7, seq: 4, verdict: "late" },
  ];
  for (const c of cases) it(c.name, () => expect(seqVerdict(c.lastSeq, c.seq, (s) => history.has(s))).toBe(c.verdict));

  it("asks history only about a seq below the latest", () => {
    const asked: number[] = [];
    const lookup = (s: number) => (asked.push(s), false);
    seqVerdict(null, 1, lookup);
    seqVerdict(4, 4, lookup);
    seqVerdict(4, 9, lookup);
    expect(asked).toEqual([]);
    seqVerdict(4, 2, lookup);
    expect(asked).toEqual([2]);
  });
});

describe("acceptReport", () => {
  it("moves lastSeen and the deadline: grace is 3 × the interval unless configured", () => {
    const { ledger } = acceptReport(emptyLedger(), facts(1), undefined, T0);
    expect(ledger).toMatchObject({
      agentId: "a1",
      lastSeq: 1,
      lastSeen: T0,
      intervalS: 30,
      graceMs: 90_000,
      deadline: T0 + 90_000,
      silentSince: null,
    });
    expect(acceptReport(emptyLedger(), facts(1), 1_500, T0).ledger).toMatchObject({ graceMs: 1_500, deadline: T0 + 1_500 });
  });

  const cases: { name: string; before: () => AgentLedger; report: ReportFacts; at: number; sync: boolean; recovered: boolean }[] = [
    { name: "the first report writes the read model", before: emptyLedger, report: facts(1), at: T0, sync: true, recovered: false },
    {
      name: "a steady report within the minute does not",
      before: () => after([1]),
      report: facts(2),
      at: T0 + 30_000,
      sync: false,
      recovered: false,
    },
    {
      name: "a report a minute after the last write does",
      before: () => after([1, 2]),
      report: facts(3),
      at: T0 + READ_MODEL_REFRESH_MS,
      sync: true,
      recovered: false,
    },
    {
      name: "a new version does at once",
      before: () => after([1]),
      report: facts(2, { version: "1.3.0" }),
      at: T0 + 1_000,
      sync: true,
      recovered: false,
    },
    {
      name: "a new hostname does at once",
      before: () => after([1]),
      report: facts(2, { hostname: "app-02" }),
      at: T0 + 1_000,
      sync: true,
      recovered: false,
    },
    {
      name: "a new interval does at once",
      before: () => after([1]),
      report: facts(2, { intervalSeconds: 10 }),
      at: T0 + 1_000,
      sync: true,
      recovered: false,
    },
    {
      name: "the report after the dead-man recovers and writes",
      before: () => silenced(after([1]), T0 + 95_000),
      report: facts(2),
      at: T0 + 96_000,
      sync: true,
      recovered: true,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const before = c.before();
      const r = acceptReport(before, c.report, undefined, c.at);
      expect({ sync: r.syncReadModel, recovered: r.recovered }).toEqual({ sync: c.sync, recovered: c.recovered });
      expect(r.ledger.syncedAt).toBe(c.sync ? c.at : before.syncedAt);
      expect(r.ledger.silentSince).toBeNull();
      expect(r.ledger.markedDownAt).toBeNull();
    });
  }
});

describe("the dead-man", () => {
  it("is idle for an agent never seen, or already silent", () => {
    expect(deadManDue(emptyLedger(), T0)).toEqual({ kind: "idle" });
    expect(deadManDue(silenced(after([1]), T0 + 90_000), T0 + 200_000)).toEqual({ kind: "idle" });
  });

  it("re-arms to the latest deadline when reports moved it, is due from the deadline on", () => {
    const ledger = after([1, 2]); // deadline: T0 + 30 s + 90 s
    expect(deadManDue(ledger, T0 + 90_000)).toEqual({ kind: "rearm", at: T0 + 120_000 });
    expect(deadManDue(ledger, T0 + 120_000)).toEqual({ kind: "due" });
    expect(deadManDue(ledger, T0 + 500_000)).toEqual({ kind: "due" });
  });

  it("says how long the agent has been silent, against which grace", () => {
    expect(deadManReason(after([1]), false, T0 + 91_000)).toBe("no report for 1m 31s (grace 1m 30s = 3 × 30 s interval); last seq 1");
    expect(deadManReason(after([1], 1_500), true, T0 + 1_600)).toBe("no report for 1.6 s (grace 1.5 s); last seq 1");
  });

  it("keeps when it went silent; the read model is written with it", () => {
    expect(silenced(after([1]), T0 + 95_000)).toMatchObject({ silentSince: T0 + 95_000, syncedAt: T0 + 95_000, lastSeq: 1 });
  });
});
