#!/usr/bin/env node
// The demo target `npm start` runs beside Vigil: a tiny HTTP service that the default config
// watches, so a fresh clone has something real to watch and can be made to fail on purpose.
//
//   GET  /health  200 "ok healthy" while up; 503 "switched off" while down
//   POST /down    switch it off          POST /up   switch it on again
//
// Standalone: `node scripts/demo-target.mjs [port]` (default 8797).
import { createServer } from "node:http";
import { listenLocal } from "./lib.mjs";
import { fileURLToPath } from "node:url";

/**
 * Starts the demo target on 127.0.0.1:`port` (0: any free port).
 * @param {{ port: number, onChange?: (up: boolean, how: string) => void }} options
 * @returns {Promise<{ url: string, port: number, isUp: () => boolean, set: (up: boolean, how?: string) => void, close: () => Promise<void> }>}
 */
export async function startDemoTarget({ port, onChange }) {
  let up = true;
  const set = (next, how = "") => {
    if (next === up) return;
    up = next;
    onChange?.(up, how);
  };
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://demo").pathname;
    // Drain the body (there is none to read), then answer.
    req.resume();
    if (req.method === "POST" && (path === "/down" || path === "/up")) {
      set(path === "/up", `POST ${path}`);
      res.writeHead(200, { "content-type": "text/plain" });
      res.end(`demo target is ${up ? "up" : "down"}\n`);
      return;
    }
    if (up) {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("ok healthy\n");
    } else {
      res.writeHead(503, { "content-type": "text/plain", "retry-after": "10" });
      res.end("switched off (POST /up to switch it on)\n");
    }
  });
  const bound = await listenLocal(server, port);
  return {
    url: `http://127.0.0.1:${bound}`,
    port: bound,
    isUp: () => up,
    set,
    close: () => new Promise((ok) => server.close(() => ok(undefined))),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const port = Number(process.argv[2] ?? 8797);
  const demo = await startDemoTarget({ port, onChange: (up, how) => console.log(`demo target ${up ? "up" : "down"} (${how})`) });
  console.log(`demo target on ${demo.url}/health — curl -X POST ${demo.url}/down (or /up)`);
}
