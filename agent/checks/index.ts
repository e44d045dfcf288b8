/** The registry of check kinds, built from the list in `./kinds.ts`. */
export { runners, runCheck, checkId } from "./kinds";
