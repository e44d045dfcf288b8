// undici's internal files imported by agent/undici.ts (no types of their own; typed there).
declare module "undici/lib/dispatcher/client.js" {
  const Client: unknown;
  export default Client;
}
