// Scope mappings (/propertymappings/provider/scope/), SAML mappings (/propertymappings/provider/saml/)
// and certificate key pairs (/crypto/certificatekeypairs/): read-only here, seeded with what a
// fresh authentik manages itself, since Hecate only points its OIDC and SAML providers at them.

import { createHash } from "node:crypto";
import type { Ctx, Kind } from "../kind.js";
import type { Obj } from "../store.js";

const SCOPES: readonly [managed: string, scope: string, name: string][] = [
  ["goauthentik.io/providers/oauth2/scope-openid", "openid", "authentik default OAuth Mapping: OpenID 'openid'"],
  ["goauthentik.io/providers/oauth2/scope-email", "email", "authentik default OAuth Mapping: OpenID 'email'"],
  ["goauthentik.io/providers/oauth2/scope-profile", "profile", "authentik default OAuth Mapping: OpenID 'profile'"],
  ["goauthentik.io/providers/oauth2/scope-offline_access", "offline_access", "authentik default OAuth Mapping: OpenID 'offline_access'"],
];

const SAML: readonly [managed: string, samlName: string, name: string][] = [
  ["goauthentik.io/providers/saml/upn", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn", "authentik default SAML Mapping: UPN"],
  ["goauthentik.io/providers/saml/name", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name", "authentik default SAML Mapping: Name"],
  ["goauthentik.io/providers/saml/email", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress", "authentik default SAML Mapping: Email"],
  ["goauthentik.io/providers/saml/username", "http://schemas.goauthentik.io/2021/02/saml/username", "authentik default SAML Mapping: Username"],
  ["goauthentik.io/providers/saml/uid", "http://schemas.goauthentik.io/2021/02/saml/uid", "authentik default SAML Mapping: User ID"],
  ["goauthentik.io/providers/saml/groups", "http://schemas.xmlsoap.org/claims/Group", "authentik default SAML Mapping: Groups"],
  ["goauthentik.io/providers/saml/ms-windowsaccountname", "http://schemas.microsoft.com/ws/2008/06/identity/claims/windowsaccountname", "authentik default SAML Mapping: WindowsAccountname (Username)"],
];

/** The key pair a fresh authentik generates for itself. */
export const SELF_SIGNED = "authentik Self-signed Certificate";

/** The managed mappings and the self-signed key pair, as a fresh authentik has them. */
export function seedManaged(ctx: Ctx): void {
  const s = ctx.store;
  for (const [managed, scope_name, name] of SCOPES) s.scopeMappings.put({ pk: s.uuid(), managed, name, scope_name, description: "", expression: `# managed by authentik: ${scope_name}\nreturn {}` });
  for (const [managed, saml_name, name] of SAML) s.samlMappings.put({ pk: s.uuid(), managed, name, saml_name, friendly_name: null, expression: "# managed by authentik\nreturn None" });
  s.keypairs.put({ pk: s.uuid(), name: SELF_SIGNED, managed: null, key_type: "rsa" });
}

const mapping = (path: string, schema: string, model: string, verbose: string, table: (ctx: Ctx) => ReturnType<Kind["table"]>, extra: (o: Obj) => Obj): Kind => ({
  path,
  lookup: "pk",
  pkType: "uuid",
  schema,
  search: ["name"],
  ordering: "name",
  readOnly: true,
  table,
  newPk: (ctx) => ctx.store.uuid(),
  defaults: () => ({}),
  present: (_ctx, o) => ({
    pk: o.pk,
    managed: o.managed,
    name: o.name,
    expression: o.expression,
    component: `ak-property-mapping-provider-${model}-form`,
    verbose_name: verbose,
    verbose_name_plural: `${verbose}s`,
    meta_model_name: `authentik_providers_${model === "scope" ? "oauth2.scopemapping" : "saml.samlpropertymapping"}`,
    ...extra(o),
  }),
});

export const scopeMappings = mapping("/propertymappings/provider/scope/", "ScopeMapping", "scope", "Scope Mapping", (ctx) => ctx.store.scopeMappings, (o) => ({ scope_name: o.scope_name, description: o.description }));
export const samlMappings = mapping("/propertymappings/provider/saml/", "SAMLPropertyMapping", "saml", "SAML Provider Property Mapping", (ctx) => ctx.store.samlMappings, (o) => ({ saml_name: o.saml_name, friendly_name: o.friendly_name }));

export const keypairs: Kind = {
  path: "/crypto/certificatekeypairs/",
  lookup: "pk",
  pkType: "uuid",
  schema: "CertificateKeyPair",
  search: ["name"],
  ordering: "name",
  readOnly: true,
  table: (ctx) => ctx.store.keypairs,
  newPk: (ctx) => ctx.store.uuid(),
  defaults: () => ({}),
  present: (ctx, o) => {
    const fp = createHash("sha256").update(String(o.pk)).digest("hex");
    return {
      pk: o.pk,
      name: o.name,
      fingerprint_sha256: fp.match(/../g)!.join(":"),
      fingerprint_sha1: fp.slice(0, 40).match(/../g)!.join(":"),
      cert_expiry: "2027-01-01T00:00:00Z",
      cert_subject: `CN=${String(o.name)}`,
      private_key_available: true,
      key_type: o.key_type,
      certificate_download_url: `${ctx.baseUrl()}/api/v3/crypto/certificatekeypairs/${String(o.pk)}/view_certificate/?download`,
      private_key_download_url: `${ctx.baseUrl()}/api/v3/crypto/certificatekeypairs/${String(o.pk)}/view_private_key/?download`,
      managed: o.managed,
    };
  },
};
