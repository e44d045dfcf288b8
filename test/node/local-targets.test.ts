/** What `npm run deploy` refuses without --allow-local: scripts/local-targets.mjs. */
import { describe, expect, it } from "vitest";
import { localReason, localTargets } from "../../scripts/local-targets.mjs";

describe("localReason", () => {
  const cases: [string, string | null][] = [
    ["127.0.0.1", "loopback"],
    ["127.8.9.10", "loopback"],
    ["localhost", "loopback"],
    ["app.localhost", "loopback"],
    ["[::1]", "loopback"],
    ["::ffff:127.0.0.1", "loopback"],
    ["0.0.0.0", "an unspecified address"],
    ["10.0.0.5", "a private network (RFC 1918)"],
    ["172.16.0.1", "a private network (RFC 1918)"],
    ["172.31.255.255", "a private network (RFC 1918)"],
    ["192.168.1.1", "a private network (RFC 1918)"],
    ["169.254.169.254", "link-local"],
    ["100.64.0.1", "carrier-grade NAT (RFC 6598)"],
    ["fd12:3456::1", "a private network (unique local)"],
    ["fe80::1", "link-local"],
    ["example.com", "a reserved example name"],
    ["safework.example.com", "a reserved example name"],
    ["api.example.org", "a reserved example name"],
    ["shop.test", "a reserved example name"],
    ["nas.local", "a private-network name"],
    ["db.internal", "a private-network name"],
    // Public targets.
    ["172.32.0.1", null],
    ["100.128.0.1", null],
    ["8.8.8.8", null],
    ["2606:4700::1111", null],
    ["status.vigil.dev", null],
    ["notexample.com", null],
  ];
  for (const [host, reason] of cases) it(`${host} → ${reason ?? "public"}`, () => expect(localReason(host)).toBe(reason));
});

describe("localTargets", () => {
  it("names every local URL and host in a config with its path", () => {
    expect(
      localTargets({
        publicUrl: "https://status.vigil.dev",
        monitors: [{ url: "http://127.0.0.1:8787/health" }, { type: "tls", host: "10.1.2.3", port: 443 }, { url: "wss://ws.vigil.dev/" }],
        channels: [{ url: "https://hooks.example.com/x" }, { url: { env: "HOOK_URL" } }],
      }),
    ).toEqual([
      "monitors[0].url: http://127.0.0.1:8787/health (loopback)",
      "monitors[1].host: 10.1.2.3 (a private network (RFC 1918))",
      "channels[0].url: https://hooks.example.com/x (a reserved example name)",
    ]);
  });
});
