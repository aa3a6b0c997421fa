import { test } from "node:test";
import assert from "node:assert/strict";
import { isPublicSuffix, isUnder, normalizeHost, parseCidrOrIp, parseDuration, parseHostPort } from "./net.js";

test("host names normalize to lower-case punycode", () => {
  assert.deepEqual(normalizeHost("App.Example.COM."), { ok: true, value: "app.example.com" });
  assert.deepEqual(normalizeHost("Bücher.example.com"), { ok: true, value: "xn--bcher-kva.example.com" });
  assert.deepEqual(normalizeHost("*.Example.com"), { ok: true, value: "*.example.com" });
  assert.deepEqual(normalizeHost("10.0.0.1"), { ok: true, value: "10.0.0.1" });
});

test("invalid host names say why", () => {
  const reason = (h: string) => {
    const r = normalizeHost(h);
    return r.ok ? "ok" : r.reason;
  };
  assert.match(reason("-a.example.com"), /hyphen/);
  assert.match(reason("a-.example.com"), /hyphen/);
  assert.match(reason("a.*.example.com"), /leftmost label/);
  assert.match(reason("*a.example.com"), /leftmost label/);
  assert.match(reason("a..example.com"), /empty label/);
  assert.match(reason(`${"a".repeat(64)}.example.com`), /at most 63/);
  assert.match(reason(`${"abcdefghi.".repeat(26)}com`), /at most 253/);
  assert.match(reason("a_b.example.com"), /characters other than/);
  assert.match(reason("xn--zz.example.com"), /internationalized/);
  assert.match(reason("a b.com"), /whitespace/);
  assert.match(reason("1.2.3.999"), /IP address/);
  assert.equal(normalizeHost("*.example.com", { wildcard: false }).ok, false);
});

test("host:port addresses", () => {
  assert.deepEqual(parseHostPort("10.0.0.1:8080"), { ok: true, value: { host: "10.0.0.1", port: 8080 } });
  assert.deepEqual(parseHostPort("[fd00::1]:9000"), { ok: true, value: { host: "fd00::1", port: 9000 } });
  assert.deepEqual(parseHostPort("App.Internal", 8513), { ok: true, value: { host: "app.internal", port: 8513 } });
  for (const [bad, why] of [
    ["a:0", /out of range/],
    ["a:65536", /out of range/],
    ["a", /missing a port/],
    ["fd00::1:80", /brackets/],
    ["https://a:443", /scheme/],
    ["{http.request.host}:80", /placeholder/],
    ["[zz::]:80", /IPv6/],
  ] as const) {
    const r = parseHostPort(bad);
    assert.equal(r.ok, false, bad);
    if (!r.ok) assert.match(r.reason, why, bad);
  }
});

test("CIDRs and IPs", () => {
  assert.deepEqual(parseCidrOrIp("10.0.0.0/8"), { ok: true, value: "10.0.0.0/8" });
  assert.deepEqual(parseCidrOrIp("2001:DB8::/32"), { ok: true, value: "2001:db8::/32" });
  assert.deepEqual(parseCidrOrIp("192.168.1.1"), { ok: true, value: "192.168.1.1" });
  assert.equal(parseCidrOrIp("10.0.0.0/33").ok, false);
  assert.equal(parseCidrOrIp("10.0/8").ok, false);
  assert.equal(parseCidrOrIp("office").ok, false);
});

test("durations, public suffixes, cookie domain parents", () => {
  assert.equal(parseDuration("1h30m"), 5_400_000);
  assert.equal(parseDuration("500ms"), 500);
  assert.ok(isPublicSuffix("net.au") && isPublicSuffix("co.uk") && isPublicSuffix("com"));
  assert.equal(isPublicSuffix("example.net.au"), false);
  assert.ok(isUnder("app.example.com", "example.com") && isUnder("example.com", ".example.com") && isUnder("*.x.example.com", "example.com"));
  assert.equal(isUnder("badexample.com", "example.com"), false);
});
