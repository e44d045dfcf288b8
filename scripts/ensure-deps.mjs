#!/usr/bin/env node
// Installs dependencies when node_modules is missing or stale (used by npm scripts).
import { ensureDeps } from "./lib.mjs";

await ensureDeps();
