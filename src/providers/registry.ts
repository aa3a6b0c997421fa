// Every system Hecate drives, one line each. Adding a system is its folder and a line here.
import { authentik } from "./authentik/descriptor.js";
import { caddy } from "./caddy/descriptor.js";
import { certs } from "./certs/descriptor.js";
import { dns } from "./dns/descriptor.js";
import type { ProviderDescriptor } from "./descriptor.js";
import { nginx } from "./nginx/descriptor.js";

export const REGISTRY: readonly ProviderDescriptor[] = [dns, certs, authentik, caddy, nginx];

export function descriptorOf(system: string): ProviderDescriptor | undefined {
  return REGISTRY.find((d) => d.system === system);
}

export const SYSTEMS: readonly string[] = REGISTRY.map((d) => d.system);
