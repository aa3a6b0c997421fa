// Compile: what authentik must hold for the auth policies and the routes that use them: proxy
// providers, applications, groups, policy bindings, expression policies and the outpost's
// provider list, all keyed by name (never by authentik's ids) so a plan is plain data. Pure.
import { createHash } from "node:crypto";
import type { Diagnostic } from "../../diag.js";
import { parseDuration } from "../../model/net.js";
import type { ResolvedAuthPolicy, ResolvedRoute, ResolvedState } from "../../model/resolved.js";
import { secretMarker, type SecretMarker } from "../../secret.js";

/** Every object Hecate creates in authentik is named with this prefix (applications: slug; groups: an attribute). */
export const PREFIX = "hecate-";
export const PUBLISHER = "Hecate";
export const GROUP_MARK = "hecate.io/managed-by";
export const INVALIDATION_FLOW = "default-provider-invalidation-flow";

export interface AkProvider {
  name: string;
  mode: "forward_single" | "forward_domain";
  externalHost: string;
  cookieDomain: string;
  skipPathRegex: string;
  accessTokenValidity: string;
  /** Flow slugs; apply turns them into the flows' uuids. */
  authorizationFlow: string;
  invalidationFlow: string;
  interceptHeaderAuth: boolean;
}

/** Scope mappings an OIDC provider gets, by authentik's managed name: the claims apps expect. */
export const OIDC_SCOPES = ["goauthentik.io/providers/oauth2/scope-email", "goauthentik.io/providers/oauth2/scope-openid", "goauthentik.io/providers/oauth2/scope-profile"];
/** SAML attribute mappings, by managed name: who the user is and their groups (apps map groups to roles). */
export const SAML_MAPPINGS = [
  "goauthentik.io/providers/saml/email",
  "goauthentik.io/providers/saml/groups",
  "goauthentik.io/providers/saml/name",
  "goauthentik.io/providers/saml/uid",
  "goauthentik.io/providers/saml/username",
];

/** An OAuth2/OpenID provider for an app that signs users in by OIDC. */
export interface AkOidcProvider {
  name: string;
  clientId: string;
  /** A secret marker: the value is resolved at apply time and never leaves the provider. */
  clientSecret: SecretMarker;
  /** Exact callback URLs (authentik's strict matching). */
  redirectUris: string[];
  authorizationFlow: string;
  invalidationFlow: string;
  /** Managed names of the scope mappings. */
  scopes: string[];
  /** Name of the certificate key pair that signs the tokens. */
  signingCertificate: string;
}

/** A SAML provider for an app that signs users in by SAML. */
export interface AkSamlProvider {
  name: string;
  acsUrl: string;
  audience: string;
  binding: "post" | "redirect";
  authorizationFlow: string;
  invalidationFlow: string;
  /** Managed names of the attribute mappings. */
  mappings: string[];
  /** Name of the certificate key pair that signs the assertions. */
  signingCertificate: string;
}

export interface AkApplication {
  slug: string;
  name: string;
  /** Name of the provider. */
  provider: string;
  launchUrl: string;
  policyEngineMode: "any" | "all";
  /**
   * OIDC apps: "OIDC client secret: <reference>", so that authentik's admins see where the value
   * lives and Hecate can restore a deleted provider's secret from the reference.
   */
  description?: string;
  /** Which Hecate resources ask for it, e.g. "Route/app". */
  resource: string;
}

export interface AkBinding {
  /** Application slug. */
  application: string;
  group?: string;
  user?: string;
  policy?: string;
  order: number;
}

export interface AkPolicy {
  name: string;
  expression: string;
}

/** An authorization flow of Hecate's: the provider's, when the policy requires MFA. */
export interface AkFlow {
  slug: string;
  name: string;
  title: string;
}

/** An authenticator validation stage: the MFA step of that flow. */
export interface AkStage {
  name: string;
  deviceClasses: string[];
  notConfiguredAction: "deny";
}

export interface AkFlowBinding {
  /** Flow slug and stage name. */
  flow: string;
  stage: string;
  order: number;
}

export interface AkDesired {
  providers: Record<string, AkProvider>;
  /** Providers of apps that sign users in themselves, by OIDC or SAML (never on the outpost). */
  oidcProviders: Record<string, AkOidcProvider>;
  samlProviders: Record<string, AkSamlProvider>;
  applications: Record<string, AkApplication>;
  /** Groups the policies name: created when missing (and then Hecate's), never deleted unless Hecate's. */
  groups: string[];
  /** Users the policies name: they must exist; Hecate never creates users. */
  users: string[];
  policies: Record<string, AkPolicy>;
  /** "slug/group:NAME", "slug/user:NAME", "slug/policy:NAME" → binding. */
  bindings: Record<string, AkBinding>;
  /** Names of Hecate's providers on the embedded outpost (others there are kept as they are). */
  outpost: string[];
  /** MFA: Hecate's authorization flows, their validation stages and the bindings between them. */
  flows: Record<string, AkFlow>;
  stages: Record<string, AkStage>;
  flowBindings: Record<string, AkFlowBinding>;
}

export const bindingKey = (b: AkBinding): string =>
  `${b.application}/${b.group !== undefined ? `group:${b.group}` : b.user !== undefined ? `user:${b.user}` : `policy:${b.policy}`}`;

const hash6 = (s: string) => createHash("sha256").update(s).digest("hex").slice(0, 6);

/** An application slug (and provider name) of at most 50 characters, [-a-z0-9]. */
export function slugOf(base: string): string {
  const s = `${PREFIX}${base}`.toLowerCase().replace(/[^-a-z0-9_]/g, "-");
  return s.length <= 50 ? s : `${s.slice(0, 43)}-${hash6(s)}`;
}

/** "8h" → "hours=8": authentik's timedelta string. */
export function tokenValidity(duration: string): string {
  const ms = parseDuration(duration);
  const units: [string, number][] = [["days", 86_400_000], ["hours", 3_600_000], ["minutes", 60_000], ["seconds", 1000]];
  for (const [u, n] of units) if (ms >= n && ms % n === 0) return `${u}=${ms / n}`;
  return `seconds=${Math.max(1, Math.round(ms / 1000))}`;
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * One regex per line for the routes' SSO bypass prefixes. authentik matches them against the path
 * in forward_single mode and against the whole URL in forward_domain mode (one provider serves
 * many hosts there, so each line names its host).
 */
function skipRegex(routes: readonly ResolvedRoute[], mode: ResolvedAuthPolicy["mode"]): string {
  const lines = routes.flatMap((r) =>
    r.ssoBypass.flatMap((p) => (mode === "forward_single" ? [`^${esc(p)}`] : r.hosts.map((h) => `^https?://${esc(h.replace(/^\*\./, "")).replace(/^/, h.startsWith("*.") ? "[^/]+\\." : "")}(:\\d+)?${esc(p)}`))),
  );
  return [...new Set(lines)].sort().join("\n");
}

/** Where users reach a host through Caddy: the scheme by the route's TLS, the port when not the default. */
function origin(state: ResolvedState, host: string, route: ResolvedRoute | undefined): string {
  const plain = route?.tls.mode === "off";
  const port = plain ? state.settings.caddy.httpPort : state.settings.caddy.httpsPort;
  return `${plain ? "http" : "https"}://${host}${port === (plain ? 80 : 443) ? "" : `:${port}`}`;
}

/** Bindings for who may pass: each group and user (any of them), or one expression policy when metadata is required. */
function access(app: string, p: ResolvedAuthPolicy, out: AkDesired): "any" | "all" {
  const meta = p.metadata.required.length > 0 || Object.keys(p.metadata.equals).length > 0;
  if (!meta) {
    [...p.groups.map((group) => ({ group })), ...p.users.map((user) => ({ user }))].forEach((who, order) => {
      const b: AkBinding = { application: app, ...who, order };
      out.bindings[bindingKey(b)] = b;
    });
    return "any";
  }
  const name = slugOf(`policy-${p.name}`);
  const q = (s: string) => JSON.stringify(s);
  const who = [...p.groups.map((g) => `ak_is_group_member(request.user, name=${q(g)})`), ...p.users.map((u) => `request.user.username == ${q(u)}`)];
  const attrs = "request.user.attributes";
  const need = [
    ...(who.length ? [`(${who.join(" or ")})`] : []),
    ...p.metadata.required.map((k) => `${q(k)} in ${attrs}`),
    ...Object.entries(p.metadata.equals).map(([k, v]) => `str(${attrs}.get(${q(k)}, "")) == ${q(v)}`),
  ];
  out.policies[name] = { name, expression: `# Hecate: AuthPolicy/${p.name}\nreturn ${need.join(" and ")}` };
  const b: AkBinding = { application: app, policy: name, order: 0 };
  out.bindings[bindingKey(b)] = b;
  return "all";
}

export function emptyDesired(): AkDesired {
  return { providers: {}, oidcProviders: {}, samlProviders: {}, applications: {}, groups: [], users: [], policies: {}, bindings: {}, outpost: [], flows: {}, stages: {}, flowBindings: {} };
}

export const SECRET_NOTE = "OIDC client secret: ";

/** The OIDC or SAML provider's name for a route: "_" never appears in a route name, so it is no forward-auth provider's. */
export const signInProviderName = (route: string, protocol: "oidc" | "saml"): string => slugOf(`${route}_${protocol}`);

/**
 * The provider and application of a route whose app signs users in by OIDC or SAML: one per
 * route, every host's callback allowed. The provider's name differs from a forward-auth
 * provider's for the same route (provider names are unique across types in authentik), so
 * switching a route between the two creates the new one before the old one goes.
 */
function signInApp(state: ResolvedState, r: ResolvedRoute, p: ResolvedAuthPolicy, authorizationFlow: string, out: AkDesired): void {
  const si = r.signIn!;
  const slug = slugOf(r.name);
  const provider = signInProviderName(r.name, si.protocol);
  const hosts = r.hosts.filter((h) => !h.startsWith("*."));
  const first = hosts[0] ?? r.hosts[0]!.replace(/^\*\./, "");
  if (si.protocol === "oidc") {
    out.oidcProviders[provider] = {
      name: provider,
      clientId: si.clientId ?? slug,
      clientSecret: secretMarker(si.clientSecret),
      redirectUris: hosts.flatMap((h) => si.redirectPaths.map((path) => `${origin(state, h, r)}${path}`)).sort(),
      authorizationFlow,
      invalidationFlow: INVALIDATION_FLOW,
      scopes: [...OIDC_SCOPES],
      signingCertificate: si.signingCertificate,
    };
  } else {
    out.samlProviders[provider] = {
      name: provider,
      acsUrl: `${origin(state, first, r)}${si.acsPath}`,
      audience: si.audience,
      binding: si.binding,
      authorizationFlow,
      invalidationFlow: INVALIDATION_FLOW,
      mappings: [...SAML_MAPPINGS],
      signingCertificate: si.signingCertificate,
    };
  }
  out.applications[slug] = {
    slug,
    name: `Route/${r.name} (Hecate)`,
    provider,
    launchUrl: `${origin(state, first, r)}/`,
    policyEngineMode: access(slug, p, out),
    ...(si.protocol === "oidc" ? { description: `${SECRET_NOTE}${si.clientSecret}` } : {}),
    resource: `Route/${r.name}`,
  };
}

export function compileAuthentik(state: ResolvedState): { desired: AkDesired; diagnostics: Diagnostic[] } {
  const out = emptyDesired();
  const diagnostics: Diagnostic[] = [];
  const protectedRoutes = state.routes.filter((r) => r.auth);
  for (const p of state.authPolicies) {
    const all = protectedRoutes.filter((r) => r.auth!.name === p.name);
    // Apps that sign users in themselves get an OIDC or SAML provider; the rest forward auth.
    const routes = all.filter((r) => !r.signIn);
    let authorizationFlow = p.flow;
    if (p.requireMfa && all.length) {
      // MFA: the provider's authorization flow asks for a second factor; no device, no entry.
      const slug = slugOf(`mfa-${p.name}`);
      const classes = p.allowedMethods.filter((m) => m !== "password");
      out.flows[slug] = { slug, name: `Hecate: MFA for AuthPolicy/${p.name}`, title: "Verify it's you" };
      out.stages[slug] = { name: slug, deviceClasses: (classes.length ? classes : ["totp", "webauthn", "static"]).sort(), notConfiguredAction: "deny" };
      out.flowBindings[`${slug}/${slug}`] = { flow: slug, stage: slug, order: 10 };
      authorizationFlow = slug;
    }
    const provider = (name: string, host: string, rs: readonly ResolvedRoute[]): AkProvider => ({
      name,
      mode: p.mode,
      externalHost: origin(state, host.replace(/^\*\./, "auth."), rs[0]),
      cookieDomain: p.mode === "forward_domain" ? (p.cookieDomain ?? "") : "",
      skipPathRegex: skipRegex(rs, p.mode),
      accessTokenValidity: tokenValidity(p.sessionDuration),
      authorizationFlow,
      invalidationFlow: INVALIDATION_FLOW,
      interceptHeaderAuth: true,
    });
    const units: { slug: string; host: string; routes: ResolvedRoute[]; resource: string }[] = [];
    if (p.mode === "forward_domain") {
      // One provider and application for the whole cookie domain: one login serves every host under it.
      const hosts = routes.flatMap((r) => r.hosts).sort();
      if (hosts.length) units.push({ slug: slugOf(`policy-${p.name}`), host: hosts[0]!, routes, resource: `AuthPolicy/${p.name}` });
    } else {
      // forward_single: the outpost matches a provider by its external host, so one per host.
      for (const r of routes) {
        r.hosts.forEach((host) => units.push({ slug: slugOf(r.hosts.length === 1 ? r.name : `${r.name}-${hash6(host)}`), host, routes: [r], resource: `Route/${r.name}` }));
      }
    }
    for (const u of units) {
      out.providers[u.slug] = provider(u.slug, u.host, u.routes);
      const mode = access(u.slug, p, out);
      out.applications[u.slug] = {
        slug: u.slug,
        name: `${u.resource} (Hecate)`,
        provider: u.slug,
        launchUrl: `${origin(state, u.host.replace(/^\*\./, ""), u.routes[0])}/`,
        policyEngineMode: mode,
        resource: u.resource,
      };
      out.outpost.push(u.slug);
    }
    for (const r of all) if (r.signIn) signInApp(state, r, p, authorizationFlow, out);
    out.groups.push(...p.groups);
    out.users.push(...p.users);
  }
  out.groups = [...new Set(out.groups)].sort();
  out.users = [...new Set(out.users)].sort();
  out.outpost.sort();
  return { desired: out, diagnostics };
}
