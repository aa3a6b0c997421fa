// authentik plugs in here: auth policies and the routes that use them become proxy providers,
// applications, groups, bindings and the embedded outpost's provider list, through API v3.
import type { ProviderDescriptor } from "../descriptor.js";
import type { Provider } from "../provider.js";
import { renderBlueprint } from "./blueprint.js";
import { signInProviderName, type AkDesired } from "./desired.js";
import { createAuthentikProvider } from "./provider.js";

export const authentik: ProviderDescriptor = {
  system: "authentik",
  demand: (state) => state.authPolicies.length,
  create: (settings, state) => {
    const users = [...new Set(state?.authPolicies.flatMap((p) => p.users) ?? [])];
    const signIn = (state?.routes ?? []).filter((r) => r.auth && r.signIn);
    const secrets = new Map(signIn.flatMap((r) => (r.signIn!.protocol === "oidc" ? [[signInProviderName(r.name, "oidc"), r.signIn!.clientSecret] as const] : [])));
    return createAuthentikProvider(settings, users, secrets, signIn.length > 0) as Provider;
  },
  missing: (settings) => (settings.authentik ? undefined : "auth policies need authentik: set Settings spec.authentik.url and spec.authentik.token (a secret reference)"),
  render: (desired) => renderBlueprint(desired as AkDesired),
  capabilities: { wholeDocument: false },
};
