/**
 * Keep-last-valid (scripts/live-config.mjs), without wrangler: the file `npm start` aliases as the
 * worker's config is only ever a validated snapshot; a bad edit is refused with every problem and
 * its path, and the snapshot keeps the last valid config with the refusal in its `configStatus`.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs script
import { createLiveConfig } from "../../scripts/live-config.mjs";

const root = fileURLToPath(new URL("../..", import.meta.url));
mkdirSync(join(root, ".vigil"), { recursive: true });
const dir = mkdtempSync(join(root, ".vigil", "live-config-test-"));
const configPath = join(dir, "watched.config.ts");
const config = (interval: string, extra = "") => `import { defineConfig } from ${JSON.stringify(join(root, "src/config"))};
export default defineConfig({
  services: [{ id: "app", name: "App", policy: "p" }],
  monitors: [{ id: "app-health", type: "http", service: "app", url: "https://app.example.com/health", interval: "${interval}" }${extra}],
  channels: [{ id: "hook", type: "webhook", url: "https://hooks.example.com/x", secret: { env: "HOOK_SECRET" } }],
  policies: [{ id: "p", levels: [{ channels: ["hook"] }] }],
});
`;

type Event = { kind: string; hash: string; problems?: string[] };
const events: Event[] = [];
writeFileSync(configPath, config("30s"));
const live = createLiveConfig({
  configPath,
  dir: join(dir, "out"),
  env: () => ({ HOOK_SECRET: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" }),
  onLoaded: ({ hash }: { hash: string }) => events.push({ kind: "loaded", hash }),
  onRefused: ({ hash, problems }: { hash: string; problems: string[] }) => events.push({ kind: "refused", hash, problems }),
  onRestored: ({ hash }: { hash: string }) => events.push({ kind: "restored", hash }),
});
afterAll(() => {
  live.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The generated module's `configStatus` and whether it still holds `interval`. */
const snapshot = () => {
  const text = readFileSync(live.path, "utf8");
  return { status: JSON.parse(/export const configStatus = (.*);\n$/.exec(text)![1]!), text };
};
const next = async (count: number) => {
  const deadline = Date.now() + 10_000;
  while (events.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return events[count - 1];
};

describe("keep-last-valid", () => {
  it("loads a valid config as a snapshot that says which config it is", async () => {
    expect(await live.load()).toEqual([]);
    expect(events).toEqual([{ kind: "loaded", hash: expect.stringMatching(/^[0-9a-f]{12}$/) }]);
    const { status, text } = snapshot();
    expect(status).toEqual({
      file: expect.stringMatching(/watched\.config\.ts$/),
      hash: events[0]!.hash,
      loadedAt: expect.any(String),
      refused: null,
    });
    expect(text).toContain('interval: "30s"');
  });

  it("refuses a bad edit with every problem and its path, and keeps the last valid config", async () => {
    writeFileSync(configPath, config("5s", `, { id: "Bad Id", type: "http", service: "nowhere", url: "https://x.example.com" }`));
    const refused = await next(2);
    expect(refused).toMatchObject({ kind: "refused" });
    expect(refused!.problems).toEqual([
      'monitors[0].interval: must be between 10s and 24h, got "5s"',
      "monitors[1].id: must be lowercase letters, digits, '.', '_' or '-' (1–63 characters)",
      'monitors[1].service: unknown service "nowhere" (known: "app")',
    ]);
    const { status, text } = snapshot();
    expect(text).toContain('interval: "30s"');
    expect(status).toMatchObject({ hash: events[0]!.hash, refused: { hash: refused!.hash, problems: refused!.problems } });
  });

  it("refuses a config that does not even parse, naming the line", async () => {
    writeFileSync(configPath, config("30s").replace("services:", "services"));
    const refused = await next(3);
    expect(refused).toMatchObject({ kind: "refused", hash: "unbuildable" });
    expect(refused!.problems![0]).toMatch(/watched\.config\.ts:3: Expected "}" but found "\["/);
    expect(snapshot().status.hash).toBe(events[0]!.hash);
  });

  it("clears the refusal when the file is back to the live version, and loads a good edit", async () => {
    writeFileSync(configPath, config("30s"));
    const restored = await next(4);
    expect(restored).toEqual({ kind: "restored", hash: events[0]!.hash });
    expect(snapshot().status.refused).toBeNull();
    writeFileSync(configPath, config("20s"));
    const loaded = await next(5);
    expect(loaded).toMatchObject({ kind: "loaded" });
    expect(loaded!.hash).not.toBe(events[0]!.hash);
    expect(snapshot()).toMatchObject({ status: { hash: loaded!.hash, refused: null } });
    expect(snapshot().text).toContain('interval: "20s"');
  });
});
