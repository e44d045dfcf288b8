/**
 * The Nucleus runbook's API diagnostics (shared/runbooks/nucleus-troubleshooting.md) as `api`
 * monitors: the permission walk of "file access denied" and the timed upload of "file upload
 * is slow". A sibling of nucleus.config.ts, which watches the server itself.
 * Try it: `NUCLEUS_URL=https://nucleus.example.com VIGIL_CONFIG=examples/nucleus-api.config.ts npm start`
 * with `NUCLEUS_API_TOKEN` set (an API token of the user `NUCLEUS_USER_ID`), or check it with
 * `npm run validate -- examples/nucleus-api.config.ts` (`npm test` does).
 * test/worker/probes/api.test.ts runs both monitors against a loopback Nucleus.
 */
import { defineConfig, type VigilConfigInput } from "../src/config";

export default defineConfig((env): VigilConfigInput => {
  const nucleus = String(env.NUCLEUS_URL ?? "https://nucleus.example.com");
  return {
    timezone: "Asia/Seoul",
    publicUrl: String(env.VIGIL_SELF_URL ?? "http://127.0.0.1:8787"),
    services: [{ id: "nucleus", name: "Nucleus", policy: "nucleus", description: "File sharing and real-time sync" }],
    monitors: [
      // Runbook, "file access denied" (diagnose_permissions): the user's role, the file's owner
      // and project (403 = no read permission, 404 = missing), then the user's project permissions.
      {
        id: "nucleus-permissions",
        type: "api",
        service: "nucleus",
        interval: "5m",
        timeout: "15s",
        baseUrl: `${nucleus}/api/v1`,
        variables: {
          userId: String(env.NUCLEUS_USER_ID ?? "7"),
          fileId: String(env.NUCLEUS_FILE_ID ?? "42"),
          token: { env: "NUCLEUS_API_TOKEN" },
        },
        headers: { authorization: "Bearer {{token}}" },
        steps: [
          {
            name: "user role",
            url: "/users/{{userId}}",
            json: [{ path: "$.role", op: "exists" }],
          },
          {
            name: "file owner and project",
            url: "/files/{{fileId}}",
            expectedStatus: [200],
            statusNotes: { 403: "no read permission on the file", 404: "the file does not exist" },
            json: [{ path: "$.owner", op: "exists" }],
            extract: { projectId: { json: "$.project_id" } },
          },
          {
            name: "project permissions",
            url: "/projects/{{projectId}}/permissions/{{userId}}",
            expectedStatus: [200],
            statusNotes: { 403: "no permission in the file's project", 404: "no permission in the file's project" },
            json: [{ path: "$.permissions", op: "contains", value: "read" }],
          },
        ],
      },
      // Runbook, "file upload is slow" (diagnose_upload_performance): a multipart upload to
      // /api/v1/files/upload, timed; under 1 MB/s is slow.
      {
        id: "nucleus-upload",
        type: "api",
        service: "nucleus",
        interval: "15m",
        timeout: "30s",
        baseUrl: `${nucleus}/api/v1`,
        variables: { token: { env: "NUCLEUS_API_TOKEN" } },
        headers: { authorization: "Bearer {{token}}" },
        steps: [
          {
            name: "upload",
            method: "POST",
            url: "/files/upload",
            upload: { bytes: 2 * 1024 * 1024, field: "file" },
            expectedStatus: [200, 201],
            minMBps: 1,
          },
        ],
      },
    ],
    channels: [
      {
        id: "ops-webhook",
        type: "webhook",
        url: `${String(env.VIGIL_LOCAL_WEBHOOK_URL ?? "http://127.0.0.1:8798")}/vigil`,
        secret: { env: "OPS_WEBHOOK_SECRET" },
      },
    ],
    policies: [{ id: "nucleus", groupWait: "30s", repeat: "1h", levels: [{ channels: ["ops-webhook"] }] }],
    statusPage: { title: "Nucleus API status" },
  };
});
