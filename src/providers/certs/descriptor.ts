// The certificates Hecate obtains itself plug in here: dns-01 Certificates become ACME orders
// through the DNS provider, held in the store, obtained before Caddy loads them.
import { obtainedByHecate } from "../../model/resolved.js";
import type { ProviderDescriptor } from "../descriptor.js";
import type { Provider } from "../provider.js";
import { createCertsProvider } from "./provider.js";

export const certs: ProviderDescriptor = {
  system: "certs",
  demand: (state) => state.certificates.filter(obtainedByHecate).length,
  create: (settings) => createCertsProvider(settings) as Provider,
  missing: (settings) => (settings.hetzner ? undefined : "dns-01 certificates are obtained through Hetzner DNS: set Settings spec.hetzner.token (a secret reference)"),
  render: (desired) => JSON.stringify(desired, null, 2) + "\n",
  capabilities: { wholeDocument: false },
};
