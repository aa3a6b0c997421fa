// authentik plugs in here. The provider is not built yet: a state with auth policies is refused
// with a message naming it, never applied without them.
import type { ProviderDescriptor } from "../descriptor.js";

export const authentik: ProviderDescriptor = {
  system: "authentik",
  demand: (state) => state.authPolicies.length,
  capabilities: { wholeDocument: false },
};
