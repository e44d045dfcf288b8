#!/usr/bin/env node
// `npm test`: installs what is missing, then runs every test project (workerd and Node).
import { ensureDeps, run } from "./lib.mjs";

await ensureDeps();
const code = await run("npx", ["vitest", "run", ...process.argv.slice(2)]);
process.exit(code);
