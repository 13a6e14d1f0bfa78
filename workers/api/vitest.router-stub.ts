// A stand-in for the router Worker in the API's unit tests: its RouteEvents entrypoint records what the API
// announces (the ROUTE_EVENTS binding of wrangler.toml), and its fetch answers the record, for
// test/route-events.test.ts through TEST_ROUTE_EVENTS. The real router is wired in test/e2e.
export const routerStub = {
  name: "miaobu-router",
  modules: true,
  compatibilityDate: "2026-11-01",
  script: `
import { WorkerEntrypoint } from "cloudflare:workers";
const changes = [];
export class RouteEvents extends WorkerEntrypoint {
  async routesChanged(change) {
    changes.push(change);
  }
}
export default {
  fetch() {
    return Response.json(changes);
  },
};
`,
};
