/** The agent's version, sent in every report. */
export const AGENT_VERSION = "0.1.0";
