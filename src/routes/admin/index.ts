/**
 * The admin API, mounted at `/v1` behind `Authorization: Bearer $VIGIL_ADMIN_TOKEN` (or its
 * `_NEXT` during a rotation); failed attempts are throttled per client.
 */
import { bearerAuth } from "../auth";
import { routes } from "../openapi";
import { throttleFailures } from "../throttle";
import { agentRoutes } from "./agents";
import { deliveryRoutes } from "./deliveries";
import { incidentRoutes } from "./incidents";
import { jobRoutes } from "./jobs";
import { monitorRoutes } from "./monitors";
import { probeRoutes } from "./probe";
import { silenceRoutes } from "./silences";

export function adminRoutes() {
  const app = routes();
  app.use("*", throttleFailures("admin"));
  app.use("*", bearerAuth({ name: "VIGIL_ADMIN_TOKEN" }));
  for (const group of [monitorRoutes(), incidentRoutes(), silenceRoutes(), agentRoutes(), jobRoutes(), probeRoutes(), deliveryRoutes()])
    app.route("/", group);
  return app;
}
