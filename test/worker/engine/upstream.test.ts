/** The upstream fact (src/engine/upstream.ts): only a reported incident holds pages back. */
import { describe, expect, it } from "vitest";
import { upstreamFact, type UpstreamReading } from "../../../src/engine/upstream";

const T0 = Date.UTC(2026, 11, 6, 10, 0, 0);
const reading = (id: string, state: UpstreamReading["state"], title: string | null = null, since = T0): UpstreamReading => ({
  id,
  name: id.toUpperCase(),
  state,
  title,
  since,
});
const readings = (...rs: UpstreamReading[]) => new Map(rs.map((r) => [r.id, r]));

describe("upstreamFact", () => {
  it.each([
    { name: "no upstreams", ids: [], rs: readings(reading("gh", "incident", "Git down")) },
    { name: "operational", ids: ["gh"], rs: readings(reading("gh", "operational")) },
    { name: "unknown (page unreadable) holds nothing", ids: ["gh"], rs: readings(reading("gh", "unknown")) },
    { name: "never read yet", ids: ["gh"], rs: readings() },
    { name: "an incident of an upstream the service does not list", ids: ["aws"], rs: readings(reading("gh", "incident", "Git down")) },
  ])("none: $name", ({ ids, rs }) => {
    expect(upstreamFact(ids, rs, 0)).toBeNull();
  });

  it("says which upstream reports what, with the policy's level", () => {
    expect(upstreamFact(["gh"], readings(reading("gh", "incident", "Git operations failing")), 1)).toEqual({
      upstreams: ["gh"],
      text: "upstream incident: Git operations failing (GH)",
      maxLevel: 1,
      since: T0,
    });
  });

  it("joins several, in the service's order, from the earliest start", () => {
    const rs = readings(
      reading("gh", "incident", "Git down", T0 + 5_000),
      reading("aws", "incident", null, T0),
      reading("x", "operational"),
    );
    expect(upstreamFact(["x", "gh", "aws"], rs, 0)).toEqual({
      upstreams: ["gh", "aws"],
      text: "upstream incident: Git down (GH); incident reported (AWS)",
      maxLevel: 0,
      since: T0,
    });
  });
});
