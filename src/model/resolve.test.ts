import { test } from "node:test";
import assert from "node:assert/strict";
import { resolveState } from "./resolve.js";
import { parseYamlText } from "./load.js";
import type { Resource } from "./schema.js";
import { formatDiagnostic } from "../diag.js";

const route = (name: string, spec: Record<string, unknown>, labels?: Record<string, string>) =>
  ({ apiVersion: "hecate.io/v1", kind: "Route", metadata: { name, ...(labels ? { labels } : {}) }, spec }) as unknown as Resource;
const res = (kind: string, name: string, spec: Record<string, unknown>) => ({ apiVersion: "hecate.io/v1", kind, metadata: { name }, spec }) as unknown as Resource;
const ok = (input: Resource[]) => {
  const r = resolveState(input);
  assert.ok(r.state, r.diagnostics.map(formatDiagnostic).join("\n"));
  return r;
};
const errors = (input: Resource[], now?: Date) =>
  resolveState(input, now ? { now } : {})
    .diagnostics.filter((d) => d.severity === "error")
    .map((d) => `${d.address}: ${d.message}`);

test("route defaults: weights, policy, health checks, TLS, headers", () => {
  const { state } = ok([
    route("a", { hosts: ["B.example.com", "a.example.com"], upstreams: [{ address: "x:1" }, { address: "y:1" }], public: true, healthCheck: { active: { path: "/h" }, passive: {} } }),
    route("b", { hosts: ["c.example.com"], upstreams: [{ address: "x:1", weight: 2 }, { address: "y:1" }], public: true, tls: { mode: "off" } }),
    route("c", { hosts: ["d.example.com"], upstreams: [{ address: "x:1" }], public: true, tls: { hsts: true } }),
  ]);
  const [a, b, c] = state!.routes;
  assert.deepEqual(a!.hosts, ["a.example.com", "b.example.com"]);
  assert.deepEqual(a!.pool!.targets, [{ address: "x:1", weight: 1 }, { address: "y:1", weight: 1 }]);
  assert.equal(a!.pool!.policy, "round_robin");
  assert.deepEqual(a!.pool!.active, { path: "/h", interval: "30s", timeout: "5s" });
  assert.deepEqual(a!.pool!.passive, { failDuration: "30s", maxFails: 1 });
  assert.deepEqual(a!.tls, { mode: "auto", minVersion: "1.2", forceHttps: true });
  assert.deepEqual(a!.headers, { request: { set: {}, remove: [] }, response: { set: {}, remove: [] } });
  assert.equal(b!.pool!.policy, "weighted_round_robin");
  assert.equal(b!.tls.forceHttps, false);
  assert.deepEqual(c!.tls.hsts, { maxAge: 31536000, includeSubdomains: false, preload: false });
});

test("settings defaults when no Settings document exists", () => {
  const { state } = ok([]);
  assert.deepEqual(state!.settings.caddy, { admin: ["http://127.0.0.1:2019"], modules: [], server: "hecate", listen: [":443"], httpPort: 80, httpsPort: 443 });
  assert.equal(state!.settings.nginx.binary, "nginx");
  assert.equal(state!.settings.dns.defaultTtl, 300);
  assert.deepEqual(state!.settings.trustedProxies, ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.1/8", "fd00::/8", "::1/128"]);
  assert.equal(state!.settings.securityHeaders["X-Content-Type-Options"], "nosniff");
});

test("route presets fill defaults that the route overrides field by field", () => {
  const { state } = ok([
    res("AuthPolicy", "staff", { groups: ["staff"], outpost: "127.0.0.1:9000" }),
    route("chat", { preset: "bionicgpt", hosts: ["chat.example.com"], upstreams: [{ address: "bionic.internal" }], authPolicy: "staff", healthCheck: { active: { interval: "10s", path: "/health" } } }),
    route("cloud", { preset: "nextcloud", hosts: ["cloud.example.com"], upstreams: [{ address: "nc:8080" }], authPolicy: "staff", ssoBypass: ["/status.php"], signIn: { protocol: "forward-auth" } }),
    route("siem", { preset: "wazuh", hosts: ["wazuh.example.com"], upstreams: [{ address: "wazuh.internal" }], authPolicy: "staff" }),
  ]);
  const [chat, cloud, siem] = state!.routes;
  assert.deepEqual(chat!.pool!.targets, [{ address: "bionic.internal:8513", weight: 1 }]);
  assert.equal(chat!.websockets, true);
  assert.deepEqual(chat!.pool!.active, { path: "/health", interval: "10s", timeout: "5s" });
  assert.deepEqual(cloud!.ssoBypass, ["/status.php"], "arrays replace, not merge");
  assert.equal(cloud!.pool!.targets[0]!.address, "nc:8080", "an explicit port wins over the preset's");
  assert.deepEqual(siem!.pool!.tls, { insecureSkipVerify: true });
  assert.equal(siem!.pool!.targets[0]!.address, "wazuh.internal:443");
});

test("presets that speak OIDC or SAML sign users in that way: no forward auth, a secret reference required for OIDC", () => {
  const staff = res("AuthPolicy", "staff", { groups: ["staff"], outpost: "127.0.0.1:9000" });
  const { state, diagnostics } = resolveState([
    staff,
    res("Secret", "grafana-oidc", { from: "store" }),
    route("grafana", { preset: "grafana", hosts: ["grafana.example.com"], upstreams: [{ address: "g" }], authPolicy: "staff", signIn: { clientSecret: "secret:grafana-oidc" } }),
    route("siem", { preset: "wazuh", hosts: ["wazuh.example.com"], upstreams: [{ address: "w" }], authPolicy: "staff" }),
    route("cloud", { preset: "nextcloud", hosts: ["cloud.example.com"], upstreams: [{ address: "n" }], authPolicy: "staff", signIn: { protocol: "forward-auth" } }),
    route("plain", { preset: "grafana", hosts: ["open.example.com"], upstreams: [{ address: "g" }], public: true }),
  ]);
  assert.deepEqual(diagnostics.map((d) => d.message), []);
  const [cloud, grafana, plain, siem] = state!.routes;
  assert.deepEqual(grafana!.signIn, { protocol: "oidc", clientSecret: "secret:grafana-oidc", redirectPaths: ["/login/generic_oauth"], signingCertificate: "authentik Self-signed Certificate" });
  assert.deepEqual(grafana!.ssoBypass, []);
  assert.equal(grafana!.auth?.name, "staff", "still protected: the policy decides who may sign in");
  assert.deepEqual(siem!.signIn, { protocol: "saml", acsPath: "/_opendistro/_security/saml/acs", audience: "wazuh-saml", binding: "post", signingCertificate: "authentik Self-signed Certificate" });
  assert.equal(cloud!.signIn, undefined, "forward auth asked for: the preset's bypass paths apply");
  assert.deepEqual(cloud!.ssoBypass, ["/ocs/", "/public.php", "/remote.php/dav", "/status.php"]);
  assert.equal(plain!.signIn, undefined, "a public route has no sign-in");

  const missing = errors([staff, route("grafana", { preset: "grafana", hosts: ["g.example.com"], upstreams: [{ address: "g" }], authPolicy: "staff" })]);
  assert.equal(missing.length, 1);
  assert.match(missing[0]!, /signs in by OIDC \(preset grafana.*set spec\.signIn\.clientSecret.*hecate create secret grafana-oidc --value-from-stdin/);
  const dangling = errors([staff, route("g", { preset: "grafana", hosts: ["g.example.com"], upstreams: [{ address: "g" }], authPolicy: "staff", signIn: { clientSecret: "secret:nope" } })]);
  assert.match(dangling.join("\n"), /spec\.signIn\.clientSecret: Secret "nope" does not exist/);
  const saml = resolveState([staff, route("s", { hosts: ["s.example.com"], upstreams: [{ address: "s:1" }], authPolicy: "staff", signIn: { protocol: "saml", clientSecret: "env:X" } })]).diagnostics.map((d) => d.message);
  assert.ok(saml.some((m) => /a SAML app needs acsPath/.test(m)), saml.join("\n"));
  assert.ok(saml.some((m) => /spec\.signIn\.clientSecret is not used with protocol saml/.test(m)), saml.join("\n"));
});

test("stream presets expand into one stream per port with mail-safe timeouts", () => {
  const { state } = ok([res("Stream", "mail", { preset: "mailcow", upstreams: [{ address: "mail.internal" }] })]);
  const names = state!.streams.map((s) => `${s.name}:${s.listen.port}:${s.timeouts.idle}`);
  assert.deepEqual(names, ["mail-imap:143:31m", "mail-imaps:993:31m", "mail-pop3:110:10m", "mail-pop3s:995:10m", "mail-smtp:25:10m", "mail-smtps:465:10m", "mail-submission:587:10m"]);
  const smtp = state!.streams.find((s) => s.name === "mail-smtp")!;
  assert.deepEqual(smtp.upstreams, [{ address: "mail.internal:25", weight: 1, maxFails: 1, failTimeout: "10s", backup: false }]);
  assert.equal(smtp.timeouts.connect, "5s");
});

test("stream defaults per protocol; coturn splits by protocol", () => {
  const { state } = ok([
    res("Stream", "t", { listen: 7000, upstreams: [{ address: "a:7000" }] }),
    res("Stream", "u", { listen: "127.0.0.1:7001", protocol: "udp", upstreams: [{ address: "a:7001" }] }),
    res("Stream", "turn", { preset: "coturn", protocol: "udp", upstreams: [{ address: "turn.internal" }] }),
  ]);
  const by = Object.fromEntries(state!.streams.map((s) => [s.name, s]));
  assert.deepEqual(by.t!.timeouts, { connect: "5s", idle: "10m" });
  assert.deepEqual(by.u!.timeouts.idle, "30s");
  assert.deepEqual(by.u!.listen, { port: 7001, address: "127.0.0.1" });
  assert.deepEqual(Object.keys(by).filter((n) => n.startsWith("turn")), ["turn-turn-udp", "turn-turns-udp"]);
});

test("route dns implies records named route:<name>", () => {
  const { state } = ok([
    res("Settings", "s", { dns: { target: "proxy.example.net" } }),
    route("a", { hosts: ["a.example.com", "*.a.example.com"], upstreams: [{ address: "x:1" }], public: true, dns: {} }),
    route("b", { hosts: ["b.example.com"], upstreams: [{ address: "x:1" }], public: true, dns: { target: "2001:db8::1", ttl: 60 } }),
    route("c", { hosts: ["c.example.com"], upstreams: [{ address: "x:1" }], public: true, dns: { target: "203.0.113.1" } }),
  ]);
  assert.deepEqual(
    state!.dnsRecords.map((d) => `${d.name} ${d.fqdn} ${d.type} ${d.values.join()} ${d.ttl}`),
    ["route:a *.a.example.com CNAME proxy.example.net 300", "route:a a.example.com CNAME proxy.example.net 300", "route:b b.example.com AAAA 2001:db8::1 60", "route:c c.example.com A 203.0.113.1 300"],
  );
});

test("plain Resource[] input is schema-checked and reported by address", () => {
  const r = resolveState([res("Route", "a", { hosts: ["a.example.com"], upstreams: [{ address: "x:1", weight: "heavy" }] })]);
  assert.equal(r.state, undefined);
  assert.equal(r.diagnostics[0]!.address, "Route/a");
  assert.match(formatDiagnostic(r.diagnostics[0]!), /^Route\/a: error: spec\.upstreams\[0\]\.weight: expected an integer from 1 to 100/);
});

test("semantic errors", () => {
  const e = errors([
    route("a", { hosts: ["a.example.com"], upstreams: [{ address: "x:1" }], public: true, maintenance: { enabled: true, message: "back at {time}" } }),
    route("b", { hosts: ["b.example.com"], upstreams: [{ address: "x:1" }], public: true, tls: { mode: "off", hsts: true } }),
    res("Certificate", "w", { hosts: ["*.example.com"], issuer: "acme" }),
    res("Stream", "s", { listen: 80, upstreams: [{ address: "x:1" }] }),
    res("Stream", "h3", { listen: 443, protocol: "udp", upstreams: [{ address: "x:1" }] }),
  ]);
  assert.ok(e.some((m) => m.startsWith("Route/a:") && m.includes("Caddy would expand as a placeholder")), e.join("\n"));
  assert.ok(e.some((m) => m.startsWith("Route/b:") && m.includes("HSTS needs HTTPS")));
  assert.ok(e.some((m) => m.startsWith("Certificate/w:") && m.includes("dns-01")));
  assert.ok(e.some((m) => m.startsWith("Stream/s:") && m.includes("which Caddy uses")));
  assert.ok(e.some((m) => m.startsWith("Stream/h3:") && m.includes("HTTP/3")));
});

test("Caddy admin settings: timeouts as milliseconds, TLS files, and the plaintext opt-in silencing its warning", () => {
  const admin = ["http://10.0.0.5:2019", "https://caddy2.internal:2021"];
  const tls = { ca: "/etc/hecate/ca.pem", cert: "/etc/hecate/c.pem", key: "/etc/hecate/c.key" };
  const warned = resolveState([res("Settings", "s", { caddy: { admin, timeout: "2m30s", settleTimeout: "500ms", tls } })]);
  assert.deepEqual(
    { timeoutMs: warned.state?.settings.caddy.timeoutMs, settleMs: warned.state?.settings.caddy.settleMs, tls: warned.state?.settings.caddy.tls },
    { timeoutMs: 150_000, settleMs: 500, tls },
  );
  assert.deepEqual(warned.diagnostics.map((d) => `${d.severity} ${d.code}`), ["warning caddy-plaintext"]);
  const optedIn = ok([res("Settings", "s", { caddy: { admin, allowPlaintextAdmin: true } })]);
  assert.equal(optedIn.state?.settings.caddy.allowPlaintextAdmin, true);
  assert.deepEqual(optedIn.diagnostics, []);
  assert.deepEqual(errors([res("Settings", "s", { caddy: { admin: ["ftp://x:1"] } })]), ['Settings/s: spec.caddy.admin[0]: "ftp://x:1" only http://, https:// and unix: are supported']);
});

test("rate limiting is accepted once Settings lists the module", () => {
  const docs = [
    res("Middleware", "rl", { type: "rate-limit", requests: 10, window: "1m" }),
    route("a", { hosts: ["a.example.com"], upstreams: [{ address: "x:1" }], public: true, middleware: ["rl"] }),
  ];
  assert.ok(errors(docs).some((m) => m.includes("http.handlers.rate_limit")));
  const { state } = ok([...docs, res("Settings", "s", { caddy: { modules: ["http.handlers.rate_limit"] } })]);
  assert.deepEqual(state!.routes[0]!.middleware, [{ name: "rl", type: "rate-limit", requests: 10, window: "1m", key: "ip" }]);
});

test("compliance rules, selectors, exemptions and their expiry", () => {
  const policy = (expires: string) =>
    res("CompliancePolicy", "p", { rules: ["require-auth", "require-hsts"], selector: { env: "prod" }, exemptions: [{ route: "a", rules: ["require-auth"], reason: "status page", expires }] });
  const routes = [
    route("a", { hosts: ["a.example.com"], upstreams: [{ address: "x:1" }], public: true, tls: { hsts: true } }, { env: "prod" }),
    route("b", { hosts: ["b.example.com"], upstreams: [{ address: "x:1" }], public: true }, { env: "dev" }),
  ];
  const now = new Date("2026-03-01T12:00:00Z");
  assert.deepEqual(errors([policy("2026-03-01"), ...routes], now), [], "valid through its expiry date; b is not selected");
  const e = errors([policy("2026-02-28"), ...routes], now);
  assert.ok(e.some((m) => m.includes("expired on 2026-02-28")), e.join("\n"));
  assert.ok(e.some((m) => m.startsWith("Route/a:") && m.includes("require-auth")));
  const warn = resolveState([res("CompliancePolicy", "w", { rules: ["require-mfa"], severity: "warning" }), ...routes]);
  assert.ok(warn.state);
  assert.equal(warn.diagnostics.filter((d) => d.code === "compliance" && d.severity === "warning").length, 2);
});

test("output is deterministic whatever the input order", () => {
  const docs = [
    route("b", { hosts: ["z.example.com", "b.example.com"], upstreams: [{ address: "x:1" }], public: true, ssoBypass: ["/z", "/a"] }),
    route("a", { hosts: ["a.example.com"], upstreams: [{ address: "x:1" }], public: true }),
    res("Stream", "s", { preset: "wazuh", upstreams: [{ address: "w" }] }),
  ];
  const one = JSON.stringify(resolveState(docs).state);
  const two = JSON.stringify(resolveState([...docs].reverse()).state);
  assert.equal(one, two);
});

test("positions survive presets and cross-file checks", () => {
  const { docs } = parseYamlText(
    "apiVersion: hecate.io/v1\nkind: Route\nmetadata:\n  name: a\nspec:\n  preset: grafana\n  hosts: [a.example.com]\n  upstreams: [{address: g}]\n  authPolicy: nobody\n",
    "g.yaml",
  );
  const d = resolveState(docs).diagnostics.find((x) => x.code === "dangling-ref")!;
  assert.deepEqual(d.pos, { file: "g.yaml", line: 9, col: 15 });
});

test("wildcards: exact hosts win; a partial exact route next to a wildcard warns", () => {
  const r = resolveState([
    route("wild", { hosts: ["*.example.com"], upstreams: [{ address: "x:1" }], public: true }),
    route("exact", { hosts: ["a.example.com"], upstreams: [{ address: "y:1" }], public: true }),
    route("api", { hosts: ["b.example.com"], paths: ["/api"], upstreams: [{ address: "z:1" }], public: true }),
  ]);
  assert.ok(r.state);
  const w = r.diagnostics.filter((d) => d.code === "wildcard-precedence");
  assert.equal(w.length, 1);
  assert.match(w[0]!.message, /b\.example\.com is served by route "api" only on \/api; its other paths fall through to wildcard route "wild"/);
});

test("a stream whose only upstreams are backups, or a backup under hash balancing, is refused at the field", () => {
  const { docs } = parseYamlText(
    "apiVersion: hecate.io/v1\nkind: Stream\nmetadata:\n  name: db\nspec:\n  listen: 5432\n  upstreams:\n    - address: 10.0.0.1:5432\n      backup: true\n" +
      "---\napiVersion: hecate.io/v1\nkind: Stream\nmetadata:\n  name: h\nspec:\n  listen: 5433\n  balancing: hash\n  upstreams:\n    - address: 10.0.0.1:5433\n    - address: 10.0.0.2:5433\n      backup: true\n",
    "s.yaml",
  );
  const found = resolveState(docs).diagnostics.filter((d) => d.code === "stream-backup").map(formatDiagnostic);
  assert.deepEqual(found, [
    "s.yaml:8:5: error: spec.upstreams: every upstream is a backup; at least one must be a primary (remove \"backup: true\" from one)",
    "s.yaml:21:15: error: spec.upstreams[1].backup: nginx does not allow backup servers with hash balancing; use another spec.balancing or drop the backup",
  ]);
});
