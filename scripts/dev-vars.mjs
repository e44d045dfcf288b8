// .dev.vars, the local secrets file: read with dotenv's parser, the one `wrangler dev` reads it
// with, so a script sees the same values as the worker (quotes, `export`, inline comments).
// Needs the installed dependencies: import it after scripts/lib.mjs ensureDeps().
import { existsSync, readFileSync } from "node:fs";
import { parse } from "dotenv";

/** The variables of a .dev.vars / .env file as a map; empty when the file does not exist. @param {string} path */
export function readVars(path) {
  return new Map(existsSync(path) ? Object.entries(parse(readFileSync(path, "utf8"))) : []);
}
