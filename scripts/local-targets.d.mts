/** Types for scripts/local-targets.mjs (plain JS: the scripts run before `npm install`). */
export function localReason(host: string): string | null;
export function localTargets(config: unknown): string[];
