// `hecate debug auth ROUTE`: walks a protected route's forward-auth chain as it is live (Caddy's
// route, the outpost path route, the forward-auth handler; authentik's provider, its mode, external
// host and cookie domain, the outpost attachment, the application and who its bindings let in; a
// live probe of the outpost) and names the first broken link with its fix.
import { HecateError } from "../diag.js";
import { isPublicSuffix, isUnder } from "../model/net.js";
import type { ResolvedRoute, ResolvedState } from "../model/resolved.js";
import { OUTPOST_AUTH_URI, OUTPOST_PATH, outpostDial } from "../compile/caddy/auth.js";
import { adminOptions, CaddyClient } from "../providers/caddy/client.js";
import { authentikApis, call, listAll } from "../providers/authentik/api.js";
import { compileAuthentik, signInProviderName, slugOf } from "../providers/authentik/desired.js";
import type { ProviderContext } from "../providers/provider.js";

export interface AuthLink {
  /** What is checked, e.g. "caddy: outpost path route". */
  link: string;
  ok: boolean;
  detail: string;
  /** When broken: what to do. */
  fix?: string;
}

export interface AuthReport {
  route: string;
  host: string;
  links: AuthLink[];
  /** The first broken link, if any. */
  broken?: AuthLink;
}

type Json = Record<string, unknown>;

/** Every route object in Caddy's live config (nested subroutes included). */
function routesOf(config: unknown): Json[] {
  const out: Json[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (!v || typeof v !== "object") return;
    const o = v as Json;
    // Route objects, and map entries of a shape route (which carry the route's own @id).
    if (Array.isArray(o["handle"]) || Array.isArray(o["match"]) || (typeof o["@id"] === "string" && "input" in o)) out.push(o);
    for (const x of Object.values(o)) walk(x);
  };
  walk(config);
  return out;
}

const hostMatches = (pattern: string, host: string) => pattern === host || (pattern.startsWith("*.") && host.endsWith(pattern.slice(1)) && !host.slice(0, -pattern.length + 1).includes("."));
const matchesHost = (r: Json, host: string) => ((r["match"] as Json[] | undefined) ?? []).some((m) => ((m["host"] as string[] | undefined) ?? []).some((h) => hostMatches(h, host)));
const matchesPath = (r: Json, path: string) => ((r["match"] as Json[] | undefined) ?? []).some((m) => ((m["path"] as string[] | undefined) ?? []).includes(path));
const text = (v: unknown) => JSON.stringify(v);

/** The route by name, or the route serving a host. */
export function findRoute(state: ResolvedState, word: string): ResolvedRoute {
  const r = state.routes.find((x) => x.name === word) ?? state.routes.find((x) => x.hosts.includes(word.toLowerCase()));
  if (!r) throw new HecateError("not-found", `no route named or serving ${word}`, { status: 404 });
  if (!r.auth) throw new HecateError("public-route", `Route/${r.name} is public (no authPolicy): there is no auth chain to debug`);
  if (r.signIn) throw new HecateError("sign-in-route", signInGuide(state, r));
  return r;
}

/** What an app that signs users in itself must be configured with: there is no forward-auth chain to walk. */
function signInGuide(state: ResolvedState, r: ResolvedRoute): string {
  const si = r.signIn!;
  const slug = slugOf(r.name);
  const base = (state.settings.authentik?.url ?? "https://AUTHENTIK").replace(/\/+$/, "");
  const head = `Route/${r.name} signs users in by ${si.protocol.toUpperCase()} itself (authentik application ${slug}, provider ${signInProviderName(r.name, si.protocol)}); Caddy does not ask authentik, so there is no forward-auth chain to debug. Configure the app with:`;
  if (si.protocol === "oidc") {
    return [head, `  issuer (discovery at /.well-known/openid-configuration): ${base}/application/o/${slug}/`, `  client id: ${si.clientId ?? slug}`, `  client secret: the value of ${si.clientSecret}`, `  scopes: openid email profile`].join("\n");
  }
  return [head, `  IdP metadata: ${base}/api/v3/providers/saml/<pk>/metadata/?download (or the provider's page in authentik)`, `  SP entity id: ${si.audience}`, `  ACS path: ${si.acsPath}`, `  roles: the SAML attribute http://schemas.xmlsoap.org/claims/Group`].join("\n");
}

export async function debugAuth(state: ResolvedState, ctx: ProviderContext, word: string, opts: { user?: string; host?: string; timeoutMs?: number } = {}): Promise<AuthReport> {
  const route = findRoute(state, word);
  const policy = route.auth!;
  const host = opts.host ?? route.hosts[0]!;
  const links: AuthLink[] = [];
  const add = (l: AuthLink) => links.push(l);
  const stopAtFirst = () => links.some((l) => !l.ok);

  // --- Caddy -----------------------------------------------------------------------------------
  const caddy = new CaddyClient(state.settings.caddy.admin[0]!, adminOptions(state.settings.caddy, { timeoutMs: opts.timeoutMs ?? 10_000 }));
  let live: unknown;
  try {
    live = (await caddy.getConfig()).config;
  } catch (e) {
    add({ link: "caddy: admin API", ok: false, detail: (e as Error).message, fix: "start Caddy, or fix Settings spec.caddy.admin" });
  }
  if (!stopAtFirst()) {
    const routes = routesOf(live);
    const own = routes.find((r) => r["@id"] === `hecate-route-${route.name}`) ?? routes.find((r) => typeof r["@id"] === "string" && (r["@id"] as string).startsWith(`hecate-route-${route.name}`));
    add(own
      ? { link: "caddy: route", ok: true, detail: `hecate-route-${route.name} is loaded` }
      : { link: "caddy: route", ok: false, detail: `Caddy holds no route hecate-route-${route.name}`, fix: "run `hecate apply` (or `hecate drift` to see what changed in Caddy)" });
    const outpostRoute = routes.find((r) => matchesHost(r, host) && matchesPath(r, OUTPOST_PATH));
    add(outpostRoute
      ? { link: "caddy: outpost path route", ok: true, detail: `${OUTPOST_PATH} on ${host} goes to the outpost (${text((outpostRoute["handle"] as Json[])[0]?.["upstreams"] ?? "")})` }
      : { link: "caddy: outpost path route", ok: false, detail: `no route sends ${OUTPOST_PATH} on ${host} to the outpost: the login callback never reaches authentik, the classic redirect loop`, fix: "run `hecate reconcile` to put Hecate's Caddy config back" });
    const fa = routes.find((r) => matchesHost(r, host) && text(r["handle"]).includes(OUTPOST_AUTH_URI));
    add(fa
      ? { link: "caddy: forward-auth handler", ok: true, detail: `requests to ${host} are checked at ${OUTPOST_AUTH_URI}` }
      : { link: "caddy: forward-auth handler", ok: false, detail: `no forward-auth handler covers ${host}: Caddy serves it without asking authentik`, fix: "run `hecate reconcile`" });
  }

  // --- authentik -------------------------------------------------------------------------------
  const want = compileAuthentik(state).desired;
  const wanted = Object.values(want.applications).find((a) =>
    policy.mode === "forward_domain" ? a.resource === `AuthPolicy/${policy.name}` : a.resource === `Route/${route.name}` && new URL(a.launchUrl).hostname === host.replace(/^\*\./, ""),
  );
  if (!stopAtFirst()) {
    const name = wanted?.provider;
    if (!name) add({ link: "authentik: desired", ok: false, detail: `${host} is not one of Route/${route.name}'s hosts`, fix: `name one of ${route.hosts.join(", ")} with --host` });
    const apis = await authentikApis(state.settings, ctx).catch((e: Error) => {
      add({ link: "authentik: API", ok: false, detail: e.message, fix: "set Settings spec.authentik" });
      return undefined;
    });
    if (apis && name) {
      const providers = await call("list proxy providers", () => listAll((page) => apis.providers.providersProxyList({ page, pageSize: 100 }))).catch((e: Error) => (add({ link: "authentik: API", ok: false, detail: e.message, fix: "check Settings spec.authentik.url and token" }), []));
      const p = providers.find((x) => x.name === name);
      if (!stopAtFirst()) {
        add(p ? { link: "authentik: proxy provider", ok: true, detail: `${name} (pk ${p.pk})` } : { link: "authentik: proxy provider", ok: false, detail: `authentik has no proxy provider ${name}`, fix: "run `hecate apply`" });
      }
      if (p && !stopAtFirst()) {
        const mode = String(p.mode);
        add(mode === policy.mode ? { link: "authentik: provider mode", ok: true, detail: mode } : { link: "authentik: provider mode", ok: false, detail: `the provider is in ${mode} mode, the policy wants ${policy.mode}`, fix: "run `hecate reconcile`" });
        const ext = (() => {
          try {
            return new URL(p.externalHost).hostname;
          } catch {
            return "";
          }
        })();
        if (p.mode === "forward_domain") {
          const cd = (p.cookieDomain ?? "").replace(/^\./, "");
          const bad = !cd ? "is empty" : isPublicSuffix(cd) ? `is ${cd}, a public suffix: browsers refuse the cookie` : !isUnder(host, cd) ? `is ${cd}, which does not cover ${host}` : !isUnder(ext, cd) ? `is ${cd}, which does not cover the external host ${ext}` : undefined;
          add(bad ? { link: "authentik: cookie domain", ok: false, detail: `the cookie domain ${bad}`, fix: `set the AuthPolicy's cookieDomain to the registrable domain the hosts share (e.g. ${host.split(".").slice(-2).join(".")}), then apply` } : { link: "authentik: cookie domain", ok: true, detail: `${cd} covers ${host} and ${ext}` });
        } else {
          add(ext === host.replace(/^\*\./, "auth.") ? { link: "authentik: external host", ok: true, detail: p.externalHost } : { link: "authentik: external host", ok: false, detail: `the provider's external host is ${p.externalHost}, not one for ${host}: the outpost does not know this host`, fix: "run `hecate reconcile`" });
        }
      }
      if (p && !stopAtFirst()) {
        const embedded = (await call("find the embedded outpost", () => apis.outposts.outpostsInstancesList({ managedIexact: "goauthentik.io/outposts/embedded" }))).results[0];
        add(embedded?.providers.includes(p.pk)
          ? { link: "authentik: outpost attachment", ok: true, detail: `${name} is on the embedded outpost` }
          : { link: "authentik: outpost attachment", ok: false, detail: `${name} is not attached to the embedded outpost: the outpost answers for it with an error, users see a loop or a 404`, fix: "run `hecate reconcile` (it adds the provider and keeps the others)" });
      }
      if (p && !stopAtFirst()) {
        const app = (await call("list applications", () => listAll((page) => apis.core.coreApplicationsList({ page, pageSize: 100 })))).find((a) => a.provider === p.pk);
        add(app ? { link: "authentik: application", ok: true, detail: `${app.slug} uses ${name}` } : { link: "authentik: application", ok: false, detail: `no application uses ${name}`, fix: "run `hecate reconcile`" });
        if (app && opts.user && !stopAtFirst()) {
          const user = (await call(`look up user ${opts.user}`, () => apis.core.coreUsersList({ username: opts.user!, pageSize: 1 }))).results[0];
          if (!user) add({ link: "authentik: user", ok: false, detail: `authentik has no user ${opts.user}`, fix: "create the user in authentik" });
          else {
            const groups = (user.groupsObj ?? []).map((g) => g.name);
            const bindings = (await call("list policy bindings", () => listAll((page) => apis.policies.policiesBindingsList({ page, pageSize: 100, target: app.pk })))).filter((b) => b.enabled !== false);
            const groupNames = new Map((await call("list groups", () => listAll((page) => apis.core.coreGroupsList({ page, pageSize: 100, includeUsers: false })))).map((g) => [g.pk, g.name]));
            const allowedGroups = bindings.flatMap((b) => (b.group ? [groupNames.get(b.group) ?? b.group] : []));
            const allowedUser = bindings.some((b) => b.user === user.pk);
            const policies = bindings.filter((b) => b.policy).length;
            const ok = bindings.length === 0 || allowedUser || allowedGroups.some((g) => groups.includes(g)) || policies > 0;
            add(ok
              ? { link: "authentik: bindings", ok: true, detail: `${opts.user} may pass${policies ? " (an expression policy decides; not evaluated here)" : ""}` }
              : { link: "authentik: bindings", ok: false, detail: `the bindings deny ${opts.user}: they allow groups ${allowedGroups.join(", ") || "none"}; ${opts.user} is in ${groups.join(", ") || "no group"}`, fix: `add ${opts.user} to one of those groups in authentik, or add a group of theirs to AuthPolicy/${policy.name}` });
          }
        }
      }
    }
  }

  // --- live probe of the outpost ---------------------------------------------------------------
  if (!stopAtFirst()) {
    const o = outpostDial(policy.outpost);
    const url = `${o.tls ? "https" : "http"}://${o.dial}${OUTPOST_AUTH_URI}`;
    try {
      // As Caddy asks: the Host users send (with its port when not the default).
      const site = wanted ? new URL(wanted.launchUrl) : new URL(`https://${host}/`);
      site.hostname = host.replace(/^\*\./, "probe.");
      const res = await fetch(url, { redirect: "manual", headers: { "x-forwarded-proto": site.protocol.replace(":", ""), "x-forwarded-host": site.host, "x-forwarded-uri": "/", ...(o.host ? { host: o.host } : {}) }, signal: AbortSignal.timeout(opts.timeoutMs ?? 5000) });
      const okStatus = res.status === 302 || res.status === 200;
      add(okStatus
        ? { link: "outpost: live probe", ok: true, detail: `${url} answered ${res.status}${res.status === 302 ? " (sign-in redirect for an anonymous request)" : ""}` }
        : { link: "outpost: live probe", ok: false, detail: `${url} answered ${res.status}: ${(await res.text()).slice(0, 120)}`, fix: "check that the outpost serves this host (provider on the outpost, external host)" });
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
      add({ link: "outpost: live probe", ok: false, detail: `cannot reach the outpost at ${o.dial} (${cause}): Caddy's forward_auth fails and users get an error`, fix: `start authentik's outpost there, or set the AuthPolicy's outpost (or Settings spec.authentik.outpost) to where it listens` });
    }
  }
  const broken = links.find((l) => !l.ok);
  return { route: route.name, host, links, ...(broken ? { broken } : {}) };
}
