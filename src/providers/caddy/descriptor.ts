// Caddy plugs in here: routes and certificates become one owned config, loaded per node.
import type { ProviderDescriptor } from "../descriptor.js";
import type { Provider } from "../provider.js";
import { probeRoutes } from "./probe.js";
import { createCaddyProvider } from "./provider.js";

export const caddy: ProviderDescriptor = {
  system: "caddy",
  demand: (state) => state.routes.length + state.certificates.length,
  create: (settings) => createCaddyProvider(settings.caddy) as Provider,
  render: (desired) => JSON.stringify(desired, null, 2) + "\n",
  probe: probeRoutes,
  capabilities: { wholeDocument: true },
};
