// `hecate import traefik --file | --tags` and `hecate export traefik-tags`: Traefik's dynamic
// config and a Consul/Nomad catalog export with traefik.* and urlprefix- tags become routes that
// real Caddy serves as Traefik's documentation says the originals route (no Traefik binary here:
// the expected answers are the documented behaviour of each router and middleware); the exported
// tags import back to the same routes.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startUpstream, type Upstream } from "../helpers/servers.js";
import { freePorts, tempDir, waitForPort } from "../helpers/proc.js";
import { startCaddy, type Caddy } from "../caddy-provider/caddy.js";
import { echo, send } from "../caddy-traffic/harness.js";
import { caddySettingsYaml, sandbox, type Sandbox } from "../cli/helpers.js";
import { startOutpost } from "./outpost.js";
import { parseRule } from "../../src/import/traefik.js";

describe("import traefik", () => {
  let a: Upstream, b: Upstream, sb: Sandbox, caddy: Caddy;
  let outpost: Awaited<ReturnType<typeof startOutpost>>;
  const t = tempDir("hecate-import-traefik-");
  before(async () => {
    [a, b, outpost, caddy] = await Promise.all([startUpstream("a"), startUpstream("b"), startOutpost(), startCaddy()]);
    sb = sandbox();
  });
  after(async () => {
    await caddy?.stop();
    await Promise.all([a?.close(), b?.close(), outpost?.close()]);
    sb?.cleanup();
    t.cleanup();
  });

  async function apply(dir: string): Promise<number> {
    const [http, https] = (await freePorts(2)) as [number, number];
    writeFileSync(join(dir, "settings.yaml"), caddySettingsYaml(caddy.admin, { httpPort: http, httpsPort: https }));
    const r = await sb.hecate(["apply", dir, "--yes", "--system", "caddy", "--max-deletes", "100"]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    await waitForPort(http);
    return http;
  }

  it("reads Host and PathPrefix rules, and refuses what it cannot say", () => {
    assert.deepEqual(parseRule("Host(`a.test`) || Host(`b.test`)"), { hosts: ["a.test", "b.test"], paths: [] });
    assert.deepEqual(parseRule("(Host(`a.test`) || Host(`b.test`)) && PathPrefix(`/api`)"), { hosts: ["a.test", "b.test"], paths: ["/api"] });
    assert.match(String(parseRule("Host(`a.test`) || PathPrefix(`/x`)")), /two routers/);
    assert.match(String(parseRule("Headers(`X`, `y`)")), /Host and PathPrefix only/);
  });

  it("--file: routers, services, headers, strip prefix, forward auth; the rest refused", async () => {
    const file = join(t.path, "dynamic.yml");
    writeFileSync(
      file,
      `http:
  routers:
    app:
      rule: "Host(\`app.test\`)"
      service: app
      middlewares: [env-headers]
    api:
      rule: "Host(\`app.test\`) && PathPrefix(\`/api\`)"
      service: api
      middlewares: [strip-api, limit]
    secure:
      rule: "Host(\`secure.test\`)"
      service: app
      middlewares: [authentik]
  services:
    app:
      loadBalancer:
        servers: [{url: "http://${a.address}"}]
        healthCheck: {path: /health, interval: 10s, timeout: 3s}
    api:
      loadBalancer:
        servers: [{url: "http://${b.address}/"}]
  middlewares:
    env-headers:
      headers:
        customRequestHeaders: {X-Env: prod}
        customResponseHeaders: {X-Served-By: traefik, Server: ""}
    strip-api:
      stripPrefix: {prefixes: ["/api"]}
    limit:
      rateLimit: {average: 100}
    authentik:
      forwardAuth:
        address: "http://${outpost.address}/outpost.goauthentik.io/auth/traefik"
        trustForwardHeader: true
tcp:
  routers:
    db: {rule: "HostSNI(\`*\`)", service: db}
`,
    );
    const out = join(t.path, "from-file");
    const r = await sb.hecate(["import", "traefik", "--file", file, "--out", out]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    // Findings point at the line in the file: the middleware's own, and the tcp section's.
    assert.match(r.stdout, /refused +\S+dynamic\.yml:30 +middleware limit/);
    assert.match(r.stdout, /refused +\S+dynamic\.yml:36 +tcp routers/);
    assert.match(r.stdout, /verbatim +\S+dynamic\.yml:7 +router api/);
    const http = await apply(out);

    const app = await send(http, "app.test", "/x");
    assert.equal(echo(app).name, "a");
    assert.equal(echo(app).headers["x-env"], "prod");
    assert.equal(app.headers["x-served-by"], "traefik");
    const api = echo(await send(http, "app.test", "/api/users?id=1"));
    assert.deepEqual([api.name, api.url], ["b", "/users?id=1"], "stripPrefix: the upstream sees the path without /api");
    const anon = await send(http, "secure.test", "/page");
    assert.equal(anon.status, 302);
    assert.match(String(anon.headers.location), /^http:\/\/auth\.test\/login\?rd=/);
    const alice = echo(await send(http, "secure.test", "/page", { headers: { cookie: "session=alice" } }));
    assert.equal(alice.headers["x-authentik-username"], "alice");
  });

  it("--tags: traefik labels and urlprefix- tags of a catalog export; export traefik-tags imports back", async () => {
    const [ah, ap] = a.address.split(":") as [string, string];
    const [bh, bp] = b.address.split(":") as [string, string];
    const catalog = [
      { ServiceName: "webapp", ServiceAddress: ah, ServicePort: 1, ServiceTags: ["urlprefix-webapp.test/", "traefik.enable=true", "traefik.http.routers.webapp.rule=Host(`webapp.test`)", `traefik.http.services.webapp.loadbalancer.server.port=${ap}`] },
      { ServiceName: "api", ServiceAddress: bh, ServicePort: Number(bp), ServiceTags: ["urlprefix-/api/v1/ strip=/api/v1", "urlprefix-:8080/"] },
    ];
    const file = join(t.path, "services.json");
    writeFileSync(file, JSON.stringify(catalog));
    const out = join(t.path, "from-tags");
    const r = await sb.hecate(["import", "traefik", "--tags", file, "--host", "tags.test", "--out", out]);
    assert.equal(r.code, 1, "urlprefix-:8080/ is a listener port: refused\n" + r.stdout + r.stderr);
    assert.match(r.stdout, /refused +\S+services\.json:1 service api +tag urlprefix-:8080\//);
    assert.match(r.stdout, /the same host and path as this service's traefik router, imported once/);
    const http = await apply(out);
    assert.equal(echo(await send(http, "webapp.test", "/")).name, "a", "the router's port label wins over the catalog's port");
    const api = echo(await send(http, "tags.test", "/api/v1/items"));
    assert.deepEqual([api.name, api.url], ["b", "/items"]);

    // Export the routes' tags, put them on a catalog, import again: the same routes.
    const exported = await sb.hecate(["export", "traefik-tags", out, "-o", "json"]);
    assert.equal(exported.code, 0, exported.stderr);
    const tags = JSON.parse(exported.stdout) as { route: string; service: string; tags: string[] }[];
    const webapp = tags.find((x) => x.route === "webapp")!;
    assert.ok(webapp.tags.includes("traefik.http.routers.webapp.rule=Host(`webapp.test`)"), JSON.stringify(webapp));
    assert.ok(webapp.tags.includes("urlprefix-webapp.test/"));
    const again = join(t.path, "again.json");
    writeFileSync(again, JSON.stringify(tags.map((x) => ({ ServiceName: x.service, ServiceAddress: x.route === "webapp" ? ah : bh, ServicePort: x.route === "webapp" ? Number(ap) : Number(bp), ServiceTags: x.tags.filter((tag) => !tag.startsWith("urlprefix-")) }))));
    const back = await sb.hecate(["import", "traefik", "--tags", again, "--out", join(t.path, "again")]);
    assert.equal(back.code, 0, back.stdout + back.stderr);
    const hostsOf = (y: string) => [...y.matchAll(/hosts:\n((?: +- .+\n)+)/g)].map((m) => m[1]!.trim()).sort();
    assert.deepEqual(hostsOf(readFileSync(join(t.path, "again", "routes.yaml"), "utf8")), hostsOf(readFileSync(join(out, "routes.yaml"), "utf8")));
  });
});
