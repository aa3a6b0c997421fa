// nginx plugs in here: streams become one owned stream file, tested, swapped and reloaded.
import type { NginxOwned } from "../../compile/nginx/types.js";
import type { ProviderDescriptor } from "../descriptor.js";
import type { Provider } from "../provider.js";
import { createNginxProvider } from "./provider.js";

export const nginx: ProviderDescriptor = {
  system: "nginx",
  demand: (state) => state.streams.length,
  create: (settings) => createNginxProvider(settings.nginx) as Provider,
  render: (desired) => (desired as NginxOwned).file,
  capabilities: { wholeDocument: true },
};
