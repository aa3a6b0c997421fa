// Route flags an operator reaches for (upstream TLS, IP filters, DNS, TLS policy) become the
// resource fields they name, and bad values are refused with the field and the reason.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { parse } from "yaml";
import { sandbox, type Sandbox } from "./helpers.js";

let sb: Sandbox;
before(() => (sb = sandbox()));
after(() => sb.cleanup());

describe("route flags", () => {
  it("map to the spec, and update changes only what is given", async () => {
    const c = await sb.hecate([
      "create", "route", "wazuh", "--host", "wazuh.example.com", "--upstream", "10.0.0.9:443", "--upstream-tls", "--insecure-skip-verify",
      "--public", "--ip-allow", "10.0.0.0/8", "--ip-deny", "10.9.0.0/16", "--health-check", "/health", "--health-check-interval", "10s",
      "--min-tls", "1.3", "--hsts", "--dns-target", "203.0.113.7", "--dns-ttl", "600",
    ]);
    assert.equal(c.code, 0, c.stderr);
    const spec = parse((await sb.hecate(["read", "route", "wazuh", "-o", "yaml"])).stdout).spec;
    assert.deepEqual(spec.upstreamTls, { enabled: true, insecureSkipVerify: true });
    assert.deepEqual(spec.ipFilter, { allow: ["10.0.0.0/8"], deny: ["10.9.0.0/16"] });
    assert.deepEqual(spec.healthCheck, { active: { path: "/health", interval: "10s" } });
    assert.deepEqual(spec.tls, { minVersion: "1.3", hsts: true });
    assert.deepEqual(spec.dns, { target: "203.0.113.7", ttl: 600 });

    assert.equal((await sb.hecate(["update", "route", "wazuh", "--dns-ttl", "300"])).code, 0);
    const after = parse((await sb.hecate(["read", "route", "wazuh", "-o", "yaml"])).stdout).spec;
    assert.deepEqual(after.dns, { target: "203.0.113.7", ttl: 300 });
    assert.deepEqual(after.ipFilter, spec.ipFilter);
  });

  it("refuses bad values with the field and the reason, storing nothing", async () => {
    const before = (await sb.hecate(["history", "-o", "json"])).stdout;
    const bad = await sb.hecate(["create", "route", "w2", "--host", "w2.example.com", "--upstream", "10.0.0.9:443", "--public", "--ip-allow", "10.0.0.300/8"]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /spec\.ipFilter\.allow\[0\]: "10\.0\.0\.300\/8" is not a valid CIDR/);
    const noPath = await sb.hecate(["create", "route", "w3", "--host", "w3.example.com", "--upstream", "10.0.0.9:443", "--public", "--health-check-interval", "5s"]);
    assert.equal(noPath.code, 2);
    assert.match(noPath.stderr, /--health-check-interval needs --health-check/);
    assert.equal((await sb.hecate(["history", "-o", "json"])).stdout, before);
  });

  it("like the eos seeds: a route created by --domain is named after it and found by its host", async () => {
    const c = await sb.eos(["create", "hecate", "route", "--domain", "shop.example.com", "--upstream", "10.0.0.20:8080", "--public"]);
    assert.equal(c.code, 0, c.stderr);
    assert.match(c.stdout, /create route shop\.example\.com: revision/);
    assert.equal((await sb.eos(["update", "hecate", "route", "shop.example.com", "--upstream", "10.0.0.21:8080"])).code, 0);
    assert.equal((await sb.hecate(["create", "route", "blog", "--host", "Blog.Example.com", "--upstream", "10.0.0.22:80", "--public"])).code, 0);
    const byHost = parse((await sb.hecate(["read", "route", "blog.example.com", "-o", "yaml"])).stdout);
    assert.equal(byHost.metadata.name, "blog", "a host names the one route serving it");
    assert.equal((await sb.hecate(["create", "route", "--host", "*.bücher.example", "--upstream", "10.0.0.23:80", "--public"])).code, 0);
    assert.match((await sb.hecate(["list", "routes"])).stdout, /wildcard\.xn--bcher-kva\.example/);
    assert.equal((await sb.hecate(["create", "route", "blog2", "--host", "blog.example.com", "--path", "/api", "--upstream", "10.0.0.24:80", "--public"])).code, 0);
    const ambiguous = await sb.hecate(["read", "route", "blog.example.com"]);
    assert.equal(ambiguous.code, 1);
    assert.match(ambiguous.stderr, /2 routes serve blog\.example\.com \(blog, blog2\)/);
  });
});
