// Hetzner DNS plugs in here. The provider is not built yet: a state with DNS records is refused
// with a message naming it, never applied without them.
import type { ProviderDescriptor } from "../descriptor.js";

export const dns: ProviderDescriptor = {
  system: "dns",
  demand: (state) => state.dnsRecords.length + state.routes.filter((r) => r.dns).reduce((n, r) => n + r.hosts.length, 0),
  capabilities: { wholeDocument: false },
};
