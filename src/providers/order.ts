// The order of changes across systems, as one literal table (decK's order table): upserts run
// top to bottom, prunes bottom to top, so nothing is created before what it points at, and
// nothing is deleted while something still points at it. Each row says why it sits where it is.
import type { SystemName } from "./provider.js";

export interface OrderRow {
  /** "system/kind"; "system/*" matches every kind of that system not listed on its own. */
  key: string;
  why: string;
}

export const ORDER: readonly OrderRow[] = [
  { key: "dns/*", why: "a name must resolve to the proxy before anything is served or certified for it" },
  { key: "certs/*", why: "a certificate is obtained once DNS is written (dns-01 answers in the same zones) and before Caddy loads it (its config names the new generation)" },
  { key: "authentik/group", why: "policies and bindings name groups" },
  { key: "authentik/policy", why: "bindings name policies" },
  { key: "authentik/stage", why: "an MFA flow binds its validation stage" },
  { key: "authentik/flow", why: "providers name their authorization flow" },
  { key: "authentik/flowbinding", why: "the MFA stage is in the flow before any provider uses the flow: no window without MFA" },
  { key: "authentik/provider", why: "an application names its provider; a provider's flow and bindings exist first" },
  { key: "authentik/oidc-provider", why: "an application names its provider; the OIDC provider's MFA flow exists first" },
  { key: "authentik/saml-provider", why: "an application names its provider; the SAML provider's MFA flow exists first" },
  { key: "authentik/application", why: "the outpost serves applications through their providers" },
  { key: "authentik/binding", why: "a binding ties a policy to an application that must exist" },
  { key: "authentik/outpost", why: "attach a provider to the outpost only once it and its application exist" },
  { key: "authentik/*", why: "anything else of authentik's, before Caddy sends users to it" },
  { key: "caddy/*", why: "Caddy routes send users to authentik's outpost for providers that must exist first, and must stop before those go" },
  { key: "nginx/*", why: "streams depend on nothing above; last, so an HTTP failure leaves streams untouched" },
];

/** Row index of a change's system and kind; unknown systems sort last, after every known one. */
export function orderIndex(system: SystemName, kind: string): number {
  const exact = ORDER.findIndex((r) => r.key === `${system}/${kind}`);
  if (exact >= 0) return exact;
  const any = ORDER.findIndex((r) => r.key === `${system}/*`);
  return any >= 0 ? any : ORDER.length;
}
