// Shared helpers of the authentik sandbox tests: API setup through the official client, and a
// browser-like login through the outpost (cookies carried by hand, hosts via X-Forwarded-Host).

import assert from "node:assert/strict";
import { Configuration, CoreApi, FlowsApi, OutpostsApi, ProvidersApi, ProxyMode } from "@goauthentik/api";
import type { AuthentikSandbox } from "../../src/sandbox/authentik/index.js";

export const TOKEN = "test-admin-token-0123456789";

export function clients(sb: AuthentikSandbox) {
  const config = new Configuration({ basePath: sb.apiUrl, accessToken: TOKEN });
  return { core: new CoreApi(config), providers: new ProvidersApi(config), outposts: new OutpostsApi(config), flows: new FlowsApi(config) };
}

/** Creates a proxy provider + application and attaches it to the embedded outpost (read, merge, write). */
export async function protect(sb: AuthentikSandbox, slug: string, p: { mode: ProxyMode; externalHost: string; cookieDomain?: string; skipPathRegex?: string; authorizationFlow?: string }) {
  const api = clients(sb);
  const authz = await api.flows.flowsInstancesRetrieve({ slug: "default-provider-authorization-implicit-consent" });
  const inval = await api.flows.flowsInstancesRetrieve({ slug: "default-provider-invalidation-flow" });
  const provider = await api.providers.providersProxyCreate({
    proxyProviderRequest: {
      name: `${slug}-provider`,
      authorizationFlow: p.authorizationFlow ?? authz.pk,
      invalidationFlow: inval.pk,
      externalHost: p.externalHost,
      mode: p.mode,
      cookieDomain: p.cookieDomain ?? "",
      skipPathRegex: p.skipPathRegex ?? "",
    },
  });
  const app = await api.core.coreApplicationsCreate({ applicationRequest: { name: slug, slug, provider: provider.pk } });
  const embedded = (await api.outposts.outpostsInstancesList({ managedIexact: "goauthentik.io/outposts/embedded" })).results[0];
  assert.ok(embedded);
  await api.outposts.outpostsInstancesPartialUpdate({ uuid: embedded.pk, patchedOutpostRequest: { providers: [...embedded.providers, provider.pk] } });
  return { provider, app };
}

export class Browser {
  readonly jar = new Map<string, { value: string; domain?: string; host: string }>();
  constructor(readonly sb: AuthentikSandbox) {}

  /** Cookies the browser would send to `host`. */
  cookieFor(host: string): string {
    const out: string[] = [];
    for (const [name, c] of this.jar) {
      const d = c.domain?.replace(/^\./, "");
      if (d ? host === d || host.endsWith(`.${d}`) : host === c.host) out.push(`${name}=${c.value}`);
    }
    return out.join("; ");
  }
  store(res: Response, host: string): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(";").map((s) => s.trim());
      const [name, value] = (pair ?? "").split("=") as [string, string];
      const domain = attrs.find((a) => a.toLowerCase().startsWith("domain="))?.slice(7);
      if (value === "" || attrs.some((a) => /^max-age=0$/i.test(a))) this.jar.delete(name);
      else this.jar.set(name, { value, host, ...(domain ? { domain } : {}) });
    }
  }
  /** A request the browser sends to `host` (which Caddy would route to the outpost). */
  async viaHost(host: string, pathAndQuery: string, init: RequestInit = {}): Promise<Response> {
    const res = await fetch(this.sb.url + pathAndQuery, { ...init, redirect: "manual", headers: { ...(init.headers as Record<string, string>), "x-forwarded-host": host, "x-forwarded-proto": "https", cookie: this.cookieFor(host) } });
    this.store(res, host);
    return res;
  }
  /** Caddy's forward_auth subrequest for https://host + uri. */
  forwardAuth(host: string, uri: string): Promise<Response> {
    return fetch(`${this.sb.url}/outpost.goauthentik.io/auth/caddy`, {
      redirect: "manual",
      headers: { "x-forwarded-proto": "https", "x-forwarded-host": host, "x-forwarded-uri": uri, cookie: this.cookieFor(host) },
    });
  }
  /** Follows the redirect chain from a forward-auth 302 through the login form back to rd. */
  async login(redirect: string, username: string, password: string, code?: string): Promise<{ final: string; page?: string; status: number }> {
    const start = new URL(redirect);
    const toFlow = await this.viaHost(start.host, start.pathname + start.search);
    assert.equal(toFlow.status, 302);
    const flowUrl = new URL(toFlow.headers.get("location") ?? "");
    const sbHost = new URL(this.sb.url).host;
    const form = await fetch(flowUrl, { headers: { cookie: this.cookieFor(sbHost) } });
    const html = await form.text();
    let res = await fetch(flowUrl.origin + flowUrl.pathname, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", cookie: this.cookieFor(sbHost) },
      body: new URLSearchParams({ username, password, step: "password", state: flowUrl.searchParams.get("state") ?? "" }),
    });
    assert.match(html, /<form/);
    this.store(res, sbHost);
    if (res.status === 200 && code !== undefined) {
      const page = await res.text();
      assert.match(page, /name="code"/);
      res = await fetch(flowUrl.origin + flowUrl.pathname, {
        method: "POST",
        redirect: "manual",
        headers: { "content-type": "application/x-www-form-urlencoded", cookie: this.cookieFor(sbHost) },
        body: new URLSearchParams({ code, step: "code", state: flowUrl.searchParams.get("state") ?? "" }),
      });
    }
    if (res.status !== 302) return { final: "", page: await res.text(), status: res.status };
    const callback = new URL(res.headers.get("location") ?? "");
    const back = await this.viaHost(callback.host, callback.pathname + callback.search);
    assert.equal(back.status, 302);
    return { final: back.headers.get("location") ?? "", status: back.status };
  }
}
