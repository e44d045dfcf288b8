/**
 * A notification that cannot reach its receiver says why in the delivery log, in the words the
 * probes use, instead of the runtime's "Network connection lost." or "internal error".
 */
import { describe, expect, it } from "vitest";
import { deliverHttp } from "../../../src/notify/http";
import { spawn } from "../fixtures";

const post = (url: string) =>
  deliverHttp({ method: "POST", url, headers: { "content-type": "application/json" }, body: "{}" }, { timeout: 2_000, secrets: [] });

describe("delivery errors in plain words", () => {
  it("a receiver where nothing listens: connection refused, retried", async () => {
    const { port } = await spawn("closed-port");
    expect(await post(`http://127.0.0.1:${port}/hooks/secret-path`)).toEqual({
      kind: "retryable",
      error: `connection refused by 127.0.0.1:${port}`,
    });
  });

  it("a receiver whose name does not resolve: no such host, retried", async () => {
    expect(await post("https://hooks.vigil.invalid/services/T000/B000/XXXX")).toEqual({
      kind: "retryable",
      error: "no such host: hooks.vigil.invalid (DNS lookup failed)",
    });
  });

  it("a receiver that hangs up: closed before answering", async () => {
    const { port } = await spawn("tcp-script", { behaviour: "close" });
    expect(await post(`http://127.0.0.1:${port}/`)).toEqual({
      kind: "retryable",
      error: `127.0.0.1:${port} closed the connection before answering`,
    });
  });
});
