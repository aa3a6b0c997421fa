// Hetzner DNS plugs in here: rrsets from DnsRecords and routes with DNS on, through the Hetzner
// Cloud API, one write per changed rrset.
import type { ProviderDescriptor } from "../descriptor.js";
import type { Provider } from "../provider.js";
import { createDnsProvider } from "./provider.js";
import { renderZone } from "./zonefile.js";
import type { DnsDesired } from "./records.js";

export const dns: ProviderDescriptor = {
  system: "dns",
  demand: (state) => state.dnsRecords.length,
  create: (settings) => createDnsProvider(settings) as Provider,
  missing: (settings) => (settings.hetzner ? undefined : "DNS records need a Hetzner Cloud API token: set Settings spec.hetzner.token (a secret reference, e.g. secret:hetzner-token)"),
  render: (desired) => renderZone(desired as DnsDesired),
  capabilities: { wholeDocument: false },
};
