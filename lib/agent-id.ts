/**
 * The rule for ids the worker and the agent share (agent ids, and every id in a Vigil config):
 * 1–63 lowercase letters, digits, `.`, `_` or `-`, starting with a letter or digit, so an id is
 * safe in a URL path, a check id (`agent:<id>:<check>`) and a file name.
 */
export const ID_PATTERN = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/** What {@link ID_PATTERN} asks, for error messages. */
export const ID_RULE = "lowercase letters, digits, '.', '_' or '-', at most 63";

export const isValidId = (text: string) => ID_PATTERN.test(text);
