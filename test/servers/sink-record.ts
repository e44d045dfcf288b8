/** What the fixture server's webhook sink saw: shared by the Node server and the workerd tests (types only, no Node imports). */
export interface SinkRecord {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  /** Standard Webhooks signature check: null when no secret was configured. */
  verified: boolean | null;
  receivedAt: number;
}
