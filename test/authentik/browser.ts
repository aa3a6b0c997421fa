// A browser for sign-in tests: cookies kept per host (and Domain), every request for a site sent
// to Caddy's plain-HTTP port with that Host, the sandbox's own pages fetched directly; it follows
// redirects and fills in the sandbox's login and MFA forms.
import { request as httpRequest } from "node:http";
import type { AuthentikSandbox } from "../../src/sandbox/authentik/index.js";

/** fetch cannot set Host: node:http can, as a browser's request for that site would carry it. */
function viaCaddy(url: string, init: RequestInit, headers: Record<string, string>): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: init.method ?? "GET", headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const h = new Headers();
        for (const [k, v] of Object.entries(res.headers)) for (const x of Array.isArray(v) ? v : v === undefined ? [] : [v]) h.append(k, x);
        const status = res.statusCode ?? 0;
        resolve(new Response([204, 304].includes(status) ? null : Buffer.concat(chunks), { status, headers: h }));
      });
    });
    req.on("error", reject);
    req.end(init.body === undefined ? undefined : String(init.body));
  });
}

/** A browser whose every request for a site goes to Caddy with that Host, and to the sandbox directly for its own pages. */
export class Browser {
  private readonly jar = new Map<string, { value: string; domain?: string; host: string }>();
  constructor(private readonly caddyPort: number, private readonly ak: AuthentikSandbox) {}

  private cookieFor(host: string): string {
    return [...this.jar]
      .filter(([, c]) => (c.domain ? host === c.domain.replace(/^\./, "") || host.endsWith(`.${c.domain.replace(/^\./, "")}`) : host === c.host))
      .map(([n, c]) => `${n}=${c.value}`)
      .join("; ");
  }
  private keep(res: Response, host: string): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(";").map((s) => s.trim());
      const i = (pair ?? "").indexOf("=");
      const name = pair!.slice(0, i), value = pair!.slice(i + 1);
      const domain = attrs.find((a) => /^domain=/i.test(a))?.slice(7);
      if (value === "" || attrs.some((a) => /^max-age=0$/i.test(a))) this.jar.delete(name);
      else this.jar.set(name, { value, host, ...(domain ? { domain } : {}) });
    }
  }
  /** One request, no redirect followed; `url` may name a site (through Caddy) or the sandbox. */
  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const u = new URL(url);
    const sandbox = new URL(this.ak.url);
    const direct = u.host === sandbox.host;
    const target = direct ? url : `http://127.0.0.1:${this.caddyPort}${u.pathname}${u.search}`;
    const headers: Record<string, string> = { ...(init.headers as Record<string, string>), cookie: this.cookieFor(u.hostname) };
    // A browser sends the port it connected to: the site is Caddy's plain-HTTP listener.
    if (!direct) headers["host"] = `${u.hostname}:${this.caddyPort}`;
    const res = direct ? await fetch(target, { ...init, redirect: "manual", headers }) : await viaCaddy(target, init, headers);
    this.keep(res, u.hostname);
    return res;
  }
  /** Follow redirects (at most 10), filling the login form on the way with these credentials. */
  async visit(url: string, login?: { username: string; password: string; code?: string }): Promise<Response> {
    let res = await this.request(url);
    for (let hops = 0; hops < 10; hops++) {
      if (res.status >= 300 && res.status < 400) {
        res = await this.request(new URL(res.headers.get("location")!, url).toString());
        continue;
      }
      if (res.status === 200 && login && (res.headers.get("content-type") ?? "").includes("text/html")) {
        const page = await res.clone().text();
        const form = /<form[^>]*action="([^"]*)"/.exec(page);
        if (form && /name="code"/.test(page) && login.code) {
          const state = /name="state" value="([^"]*)"/.exec(page)?.[1] ?? "";
          const action = new URL(form[1]!.replace(/&amp;/g, "&"), res.url || this.ak.url).toString();
          res = await this.request(action, {
            method: "POST",
            headers: { "content-type": "application/x-www-form-urlencoded" },
            body: new URLSearchParams({ code: login.code, step: "code", state }).toString(),
          });
          login = undefined;
          continue;
        }
        if (form && /name="username"/.test(page)) {
          const state = /name="state" value="([^"]*)"/.exec(page)?.[1] ?? "";
          const action = new URL(form[1]!.replace(/&amp;/g, "&"), res.url || this.ak.url).toString();
          res = await this.request(action, {
            method: "POST",
            headers: { "content-type": "application/x-www-form-urlencoded" },
            body: new URLSearchParams({ username: login.username, password: login.password, step: "password", state }).toString(),
          });
          login = login.code ? { ...login, username: "", password: "" } : undefined;
          continue;
        }
      }
      return res;
    }
    throw new Error(`too many redirects from ${url}`);
  }
}
