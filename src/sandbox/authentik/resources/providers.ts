// Proxy, OAuth2 and SAML providers (/providers/{proxy,oauth2,saml}/): one integer pk sequence.

import { addError, type FieldErrors } from "../errors.js";
import { checkRefs, type Ctx, type Kind } from "../kind.js";
import type { Obj, ProviderType } from "../store.js";
import { samlIssuer } from "../saml.js";
import { randomSecret } from "../tokens.js";

const META: Record<ProviderType, { component: string; verbose: string; plural: string; model: string }> = {
  proxy: { component: "ak-provider-proxy-form", verbose: "Proxy Provider", plural: "Proxy Providers", model: "authentik_providers_proxy.proxyprovider" },
  oauth2: { component: "ak-provider-oauth2-form", verbose: "OAuth2/OpenID Provider", plural: "OAuth2/OpenID Providers", model: "authentik_providers_oauth2.oauth2provider" },
  saml: { component: "ak-provider-saml-form", verbose: "SAML Provider", plural: "SAML Providers", model: "authentik_providers_saml.samlprovider" },
};

/** The fields every provider answer has (authentik's Provider serializer). */
export function providerBase(ctx: Ctx, type: ProviderType, obj: Obj): Obj {
  const app = ctx.store.applications.find((a) => a.provider === obj.pk);
  const m = META[type];
  const out: Obj = {
    pk: obj.pk,
    name: obj.name,
    authentication_flow: obj.authentication_flow ?? null,
    authorization_flow: obj.authorization_flow,
    property_mappings: obj.property_mappings ?? [],
    component: m.component,
    assigned_application_slug: app?.slug ?? null,
    assigned_application_name: app?.name ?? null,
    assigned_backchannel_application_slug: null,
    assigned_backchannel_application_name: null,
    verbose_name: m.verbose,
    verbose_name_plural: m.plural,
    meta_model_name: m.model,
  };
  if (ctx.f.invalidationFlow) out.invalidation_flow = obj.invalidation_flow;
  return out;
}

function commonChecks(ctx: Ctx, merged: Obj): FieldErrors {
  const errors: FieldErrors = {};
  const flow = (v: unknown): boolean => ctx.store.flows.get(v) !== undefined;
  checkRefs(errors, "authorization_flow", merged.authorization_flow, flow);
  checkRefs(errors, "authentication_flow", merged.authentication_flow, flow);
  if (ctx.f.invalidationFlow) checkRefs(errors, "invalidation_flow", merged.invalidation_flow, flow);
  return errors;
}

const common = (type: ProviderType) => ({
  lookup: "pk" as const,
  pkType: "int" as const,
  search: ["name"],
  ordering: "name",
  unique: [{ field: "name", message: "Provider with this name already exists." }],
  table: (ctx: Ctx) => ctx.store.providers[type],
  newPk: (ctx: Ctx) => ctx.store.nextProviderPk(),
  remove(ctx: Ctx, obj: Obj) {
    for (const app of ctx.store.applications.all()) if (app.provider === obj.pk) app.provider = null; // SET_NULL
    for (const o of ctx.store.outposts.all()) o.providers = (o.providers as number[]).filter((p) => p !== obj.pk);
  },
});

/** The host part of a URL, lower-case ("" when it does not parse). */
export function hostOf(url: unknown): string {
  try {
    return new URL(String(url)).host.toLowerCase();
  } catch {
    return "";
  }
}

export const proxyProviders: Kind = {
  ...common("proxy"),
  path: "/providers/proxy/",
  schema: "ProxyProvider",
  defaults: () => ({
    authentication_flow: null,
    property_mappings: [],
    internal_host: "",
    internal_host_ssl_validation: true,
    certificate: null,
    skip_path_regex: "",
    basic_auth_enabled: false,
    basic_auth_password_attribute: "",
    basic_auth_user_attribute: "",
    mode: "proxy",
    intercept_header_auth: true,
    cookie_domain: "",
    jwt_federation_sources: [],
    jwt_federation_providers: [],
    access_token_validity: "hours=24",
    refresh_token_validity: "days=30",
    client_id: randomSecret(30),
  }),
  check(ctx, merged, sent) {
    const errors = commonChecks(ctx, merged);
    // authentik validates the request's attrs only: a PATCH without `mode` counts as proxy mode.
    if ((sent.mode ?? "proxy") === "proxy" && (sent.internal_host ?? "") === "") {
      addError(errors, "internal_host", "Internal host cannot be empty when forward auth is disabled.");
    }
    checkRefs(errors, "jwt_federation_providers", merged.jwt_federation_providers, (v) => ctx.store.provider(v) !== undefined);
    return errors;
  },
  present(ctx, obj) {
    const external = String(obj.external_host ?? "");
    const callback = `${external.replace(/\/$/, "")}/outpost.goauthentik.io/callback?X-authentik-auth-callback=true`;
    return {
      ...providerBase(ctx, "proxy", obj),
      client_id: obj.client_id,
      internal_host: obj.internal_host,
      external_host: obj.external_host,
      internal_host_ssl_validation: obj.internal_host_ssl_validation,
      certificate: obj.certificate,
      skip_path_regex: obj.skip_path_regex,
      basic_auth_enabled: obj.basic_auth_enabled,
      basic_auth_password_attribute: obj.basic_auth_password_attribute,
      basic_auth_user_attribute: obj.basic_auth_user_attribute,
      mode: obj.mode,
      intercept_header_auth: obj.intercept_header_auth,
      redirect_uris: [{ matching_mode: "strict", url: callback }],
      cookie_domain: obj.cookie_domain,
      jwt_federation_sources: obj.jwt_federation_sources,
      jwt_federation_providers: obj.jwt_federation_providers,
      access_token_validity: obj.access_token_validity,
      refresh_token_validity: obj.refresh_token_validity,
      outpost_set: ctx.store.outposts.all().filter((o) => (o.providers as number[]).includes(obj.pk as number)).map((o) => String(o.name)),
    };
  },
};

const stored = (obj: Obj, skip: string[]): Obj => Object.fromEntries(Object.entries(obj).filter(([k]) => !skip.includes(k)));

export const oauth2Providers: Kind = {
  ...common("oauth2"),
  path: "/providers/oauth2/",
  schema: "OAuth2Provider",
  defaults: () => ({
    authentication_flow: null,
    property_mappings: [],
    client_type: "confidential",
    grant_types: ["authorization_code", "refresh_token"],
    client_id: randomSecret(30),
    client_secret: randomSecret(96),
    access_code_validity: "minutes=1",
    access_token_validity: "hours=1",
    refresh_token_validity: "days=30",
    refresh_token_threshold: "seconds=0",
    include_claims_in_id_token: true,
    signing_key: null,
    encryption_key: null,
    logout_uri: "",
    logout_method: "backchannel",
    sub_mode: "hashed_user_id",
    issuer_mode: "per_provider",
    jwt_federation_sources: [],
    jwt_federation_providers: [],
  }),
  check(ctx, merged) {
    const errors = commonChecks(ctx, merged);
    checkRefs(errors, "property_mappings", merged.property_mappings, (v) => ctx.store.scopeMappings.get(v) !== undefined);
    checkRefs(errors, "signing_key", merged.signing_key, (v) => ctx.store.keypairs.get(v) !== undefined);
    checkRefs(errors, "encryption_key", merged.encryption_key, (v) => ctx.store.keypairs.get(v) !== undefined);
    return errors;
  },
  present: (ctx, obj) => ({ ...stored(obj, ["invalidation_flow"]), ...providerBase(ctx, "oauth2", obj) }),
};

export const samlProviders: Kind = {
  ...common("saml"),
  path: "/providers/saml/",
  schema: "SAMLProvider",
  defaults: () => ({
    authentication_flow: null,
    property_mappings: [],
    sls_url: "",
    audience: "",
    issuer_override: "",
    assertion_valid_not_before: "minutes=-5",
    assertion_valid_not_on_or_after: "minutes=5",
    session_valid_not_on_or_after: "minutes=86400",
    name_id_mapping: null,
    authn_context_class_ref_mapping: null,
    digest_algorithm: "http://www.w3.org/2001/04/xmlenc#sha256",
    signature_algorithm: "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
    signing_kp: null,
    verification_kp: null,
    encryption_kp: null,
    sign_assertion: true,
    sign_response: false,
    sign_logout_request: false,
    sign_logout_response: false,
    sp_binding: "redirect",
    sls_binding: "redirect",
    logout_method: "frontchannel_iframe",
    default_relay_state: "",
    default_name_id_policy: "urn:oasis:names:tc:SAML:2.0:nameid-format:unspecified",
  }),
  check(ctx, merged) {
    const errors = commonChecks(ctx, merged);
    checkRefs(errors, "property_mappings", merged.property_mappings, (v) => ctx.store.samlMappings.get(v) !== undefined);
    for (const f of ["signing_kp", "verification_kp", "encryption_kp"]) checkRefs(errors, f, merged[f], (v) => ctx.store.keypairs.get(v) !== undefined);
    return errors;
  },
  present: (ctx, obj) => {
    const app = ctx.store.applications.find((a) => a.provider === obj.pk);
    const sso = `${ctx.baseUrl()}/application/saml/${String(app?.slug ?? "")}/sso/binding`;
    return {
      ...stored(obj, ["invalidation_flow"]),
      ...providerBase(ctx, "saml", obj),
      url_download_metadata: "",
      url_issuer: samlIssuer(ctx, obj, app),
      url_sso_post: `${sso}/post/`,
      url_sso_redirect: `${sso}/redirect/`,
      url_sso_init: `${sso}/init/`,
    };
  },
};
