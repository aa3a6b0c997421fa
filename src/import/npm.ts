// Nginx Proxy Manager's sqlite database (read only) → Hecate resources: proxy hosts → Routes
// (custom locations → Routes with paths), redirection hosts and 404 hosts → Routes answering with
// verbatim Caddy routes, streams → Streams, access lists → an IP filter and a basic-auth Middleware,
// certificates → Certificates (metadata only: keys stay where NPM keeps them, as file: references).
// Columns are read by name with the spellings of older schemas (forward_ip before forward_host).
import Database from "better-sqlite3";
import { ResourceSet, type Finding, type ImportResult } from "./result.js";

type Row = Record<string, unknown>;

const json = <T>(v: unknown, fallback: T): T => {
  if (typeof v !== "string") return (v as T) ?? fallback;
  try {
    return JSON.parse(v) as T;
  } catch {
    return fallback;
  }
};
const on = (v: unknown) => v === 1 || v === true || v === "1";

function rows(db: Database.Database, table: string): Row[] {
  const exists = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?").get(table);
  return exists ? (db.prepare(`SELECT * FROM "${table}" ORDER BY id`).all() as Row[]) : [];
}

interface AccessList {
  name: string;
  allow: string[];
  deny: string[];
  users: string[];
  satisfyAny: boolean;
  passAuth: boolean;
}

export function importNpmDatabase(file: string): ImportResult {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return importFrom(db, file);
  } finally {
    db.close();
  }
}

/** The tables this import reads; a database with none of them is not NPM's. */
const TABLES = ["proxy_host", "redirection_host", "dead_host", "stream", "access_list", "certificate"];

function importFrom(db: Database.Database, file: string): ImportResult {
  const have = TABLES.filter((t) => db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?").get(t));
  if (!have.length) throw new Error(`it has none of NPM's tables (${TABLES.join(", ")}): give the database.sqlite from NPM's data directory (/data in its container)`);
  const set = new ResourceSet();
  const findings: Finding[] = [];
  const live = (table: string) =>
    rows(db, table).filter((r) => {
      if (on(r.is_deleted)) return false;
      if (r.enabled !== undefined && !on(r.enabled)) {
        findings.push({ outcome: "refused", where: `${file}: ${table} #${String(r.id)}`, subject: `${table} ${json<string[]>(r.domain_names, []).join(", ") || String(r.incoming_port ?? "")}`, why: "disabled in NPM: not imported" });
        return false;
      }
      return true;
    });

  // certificates: metadata and where NPM keeps the files
  const certs = new Map<number, string>();
  for (const c of live("certificate")) {
    const hosts = json<string[]>(c.domain_names, []);
    const name = set.name("Certificate", String(c.nice_name || hosts[0] || `npm-cert-${String(c.id)}`));
    const meta = json<Row>(c.meta, {});
    const where = `${file}: certificate #${String(c.id)}`;
    if (c.provider === "letsencrypt") {
      const email = typeof meta.letsencrypt_email === "string" ? meta.letsencrypt_email : undefined;
      const dns = on(meta.dns_challenge);
      set.add("Certificate", name, { hosts, issuer: "acme", ...(email || dns ? { acme: { ...(email ? { email } : {}), ...(dns ? { challenge: "dns-01" } : {}) } } : {}) });
      findings.push({ outcome: "mapped", where, subject: `certificate ${hosts.join(", ")}`, into: `Certificate/${name}`, why: `Let's Encrypt: Caddy gets its own certificate by ACME${dns ? " (dns-01: Hecate obtains it through its DNS provider)" : ""}` });
    } else {
      const dir = `/data/custom_ssl/npm-${String(c.id)}`;
      set.add("Certificate", name, { hosts, issuer: "imported", certificate: `file:${dir}/fullchain.pem`, key: `file:${dir}/privkey.pem` });
      findings.push({ outcome: "mapped", where, subject: `certificate ${hosts.join(", ")}`, into: `Certificate/${name}`, why: `custom certificate: referenced where NPM keeps it (${dir}); its key is never copied` });
    }
    certs.set(Number(c.id), name);
  }

  // access lists: clients (allow/deny) and basic-auth users
  const lists = new Map<number, AccessList>();
  const clients = rows(db, "access_list_client");
  const auths = rows(db, "access_list_auth");
  for (const l of live("access_list")) {
    const mine = clients.filter((c) => Number(c.access_list_id) === Number(l.id));
    const list: AccessList = {
      name: String(l.name),
      allow: mine.filter((c) => c.directive === "allow" && c.address !== "all").map((c) => String(c.address)),
      deny: mine.filter((c) => c.directive === "deny" && c.address !== "all").map((c) => String(c.address)),
      users: auths.filter((a) => Number(a.access_list_id) === Number(l.id)).map((a) => String(a.username)),
      satisfyAny: on(l.satisfy_any),
      passAuth: on(l.pass_auth),
    };
    if (mine.some((c) => c.directive === "allow" && c.address === "all")) list.allow = [];
    lists.set(Number(l.id), list);
  }
  const middlewareOf = new Map<number, string>();
  const accessFor = (id: number, spec: Row, where: string, into: string) => {
    const l = lists.get(id);
    if (!l) return void findings.push({ outcome: "refused", where, subject: `access list #${id}`, into, why: "the access list does not exist (deleted?): imported without it" });
    // NPM closes every access list with "deny all": an address not allowed is refused.
    if (l.allow.length || l.deny.length) spec.ipFilter = { ...(l.allow.length ? { allow: l.allow } : {}), ...(l.deny.length ? { deny: l.deny } : {}) };
    if (l.users.length) {
      let mw = middlewareOf.get(id);
      if (!mw) {
        mw = set.name("Middleware", `access-${l.name}`);
        const users = l.users.map((u) => {
          const secret = set.name("Secret", `${mw}-${u}`);
          set.add("Secret", secret, { from: "store" });
          return { username: u, passwordHash: `secret:${secret}` };
        });
        set.add("Middleware", mw, { type: "basic-auth", realm: "Authorization required", users });
        middlewareOf.set(id, mw);
        findings.push({ outcome: "mapped", where: `${file}: access_list #${id}`, subject: `access list ${l.name} users ${l.users.join(", ")}`, into: `Middleware/${mw}`, why: `basic auth; NPM keeps the passwords, Hecate never copies them: store each bcrypt hash (caddy hash-password) with \`hecate create secret ${mw}-USER --value-from file:HASH\`` });
      }
      spec.middleware = [mw];
    }
    if (l.satisfyAny && (l.allow.length || l.deny.length) && l.users.length) findings.push({ outcome: "refused", where, subject: `access list ${l.name}: satisfy any`, into, why: "Hecate checks the address and then the password (satisfy all); either-one-suffices has no Hecate field" });
    if (!l.allow.length && !l.users.length) findings.push({ outcome: "refused", where, subject: `access list ${l.name}`, into, why: "it allows no address and has no users, so NPM refuses everyone; imported without a filter: add one before you apply" });
    if (l.passAuth) findings.push({ outcome: "refused", where, subject: `access list ${l.name}: pass auth`, into, why: "passing the Authorization header upstream has no Hecate field (it is kept from the client as Caddy does)" });
  };
  const tlsOf = (r: Row, spec: Row, into: string, where: string) => {
    const cert = Number(r.certificate_id ?? 0);
    if (!cert) return void (spec.tls = { mode: "off" });
    const name = certs.get(cert);
    const tls: Row = { mode: "auto", ...(name ? { certificate: name } : {}), forceHttps: on(r.ssl_forced) };
    if (on(r.hsts_enabled)) tls.hsts = on(r.hsts_subdomains) ? { includeSubdomains: true } : true;
    spec.tls = tls;
    if (!name) findings.push({ outcome: "refused", where, subject: `certificate #${cert}`, into, why: "the certificate is missing from the database: Caddy gets its own by ACME" });
  };
  const unsupported = (r: Row, where: string, into: string) => {
    if (on(r.caching_enabled)) findings.push({ outcome: "refused", where, subject: "cache assets", into, why: "NPM's asset caching has no Hecate field" });
    if (on(r.block_exploits)) findings.push({ outcome: "refused", where, subject: "block common exploits", into, why: "NPM's exploit-blocking rules have no Hecate field" });
    if (on(r.trust_forwarded_proto)) findings.push({ outcome: "refused", where, subject: "trust forwarded proto", into, why: "forcing SSL by the X-Forwarded-Proto of a proxy in front has no Hecate field: Caddy redirects by the connection's own scheme" });
    if (typeof r.advanced_config === "string" && r.advanced_config.trim()) findings.push({ outcome: "refused", where, subject: "advanced config", into, why: `custom nginx directives (${r.advanced_config.trim().split("\n").length} line(s)) have no Hecate equivalent: port them by hand` });
  };

  for (const p of live("proxy_host")) {
    const hosts = json<string[]>(p.domain_names, []);
    const where = `${file}: proxy_host #${String(p.id)}`;
    const host = String(p.forward_host ?? p.forward_ip ?? "");
    const name = set.name("Route", hosts[0] ?? `npm-proxy-${String(p.id)}`);
    const into = `Route/${name}`;
    const spec: Row = { hosts, upstreams: [{ address: `${host}:${String(p.forward_port)}` }] };
    if (p.forward_scheme === "https") {
      // NPM's proxy_pass https:// does not verify the upstream's certificate (nginx's default).
      spec.upstreamTls = { enabled: true, insecureSkipVerify: true };
    }
    if (on(p.allow_websocket_upgrade)) spec.websockets = true;
    // NPM has no single sign-on: every host is public to authentik (an access list still applies).
    spec.public = true;
    if (Number(p.access_list_id ?? 0)) accessFor(Number(p.access_list_id), spec, where, into);
    tlsOf(p, spec, into, where);
    unsupported(p, where, into);
    set.add("Route", name, spec);
    findings.push({ outcome: "mapped", where, subject: `proxy host ${hosts.join(", ")}`, into, why: `to ${String(p.forward_scheme ?? "http")}://${host}:${String(p.forward_port)}${spec.websockets ? ", websockets" : ""}` });
    for (const loc of json<Row[]>(p.locations, [])) {
      const lname = set.name("Route", `${name}-${String(loc.path).replace(/\//g, "-")}`);
      const lspec: Row = { ...spec, paths: [String(loc.path)], upstreams: [{ address: `${String(loc.forward_host)}:${String(loc.forward_port)}` }] };
      if (loc.forward_scheme === "https") lspec.upstreamTls = { enabled: true, insecureSkipVerify: true };
      else delete lspec.upstreamTls;
      set.add("Route", lname, lspec);
      findings.push({ outcome: "mapped", where, subject: `location ${String(loc.path)}`, into: `Route/${lname}`, why: `path prefix to ${String(loc.forward_host)}:${String(loc.forward_port)}${typeof loc.advanced_config === "string" && loc.advanced_config.trim() ? " (its advanced config is not imported)" : ""}` });
    }
  }

  for (const r of live("redirection_host")) {
    const hosts = json<string[]>(r.domain_names, []);
    const where = `${file}: redirection_host #${String(r.id)}`;
    const name = set.name("Route", hosts[0] ?? `npm-redirect-${String(r.id)}`);
    const into = `Route/${name}`;
    const scheme = r.forward_scheme === "http" || r.forward_scheme === "https" ? String(r.forward_scheme) : "{http.request.scheme}";
    const code = Number(r.forward_http_code ?? 301) || 301;
    const to = `${scheme}://${String(r.forward_domain_name)}${on(r.preserve_path) ? "{http.request.uri}" : ""}`;
    const spec: Row = { hosts, public: true, caddyRoutes: [{ handle: [{ handler: "static_response", status_code: code, headers: { Location: [to] } }] }] };
    tlsOf(r, spec, into, where);
    unsupported(r, where, into);
    set.add("Route", name, spec);
    findings.push({ outcome: "verbatim", where, subject: `redirection host ${hosts.join(", ")}`, into, why: `${code} to ${to}: a redirect keeping the request's path is a verbatim Caddy route` });
  }

  for (const d of live("dead_host")) {
    const hosts = json<string[]>(d.domain_names, []);
    const where = `${file}: dead_host #${String(d.id)}`;
    const name = set.name("Route", hosts[0] ?? `npm-404-${String(d.id)}`);
    const spec: Row = { hosts, public: true, caddyRoutes: [{ handle: [{ handler: "static_response", status_code: 404 }] }] };
    tlsOf(d, spec, `Route/${name}`, where);
    set.add("Route", name, spec);
    findings.push({ outcome: "verbatim", where, subject: `404 host ${hosts.join(", ")}`, into: `Route/${name}`, why: "answers 404: a verbatim Caddy route" });
  }

  for (const s of live("stream")) {
    const where = `${file}: stream #${String(s.id)}`;
    const host = String(s.forwarding_host ?? s.forward_ip ?? "");
    const port = Number(s.incoming_port);
    if (Number(s.certificate_id ?? 0)) {
      findings.push({ outcome: "refused", where, subject: `stream ${port} with SSL`, why: `NPM ends TLS on this stream (certificate #${String(s.certificate_id)}); Hecate's streams carry TCP as it comes, so its clients would meet plain TCP: not imported, route it through Caddy or end TLS at ${host}` });
      continue;
    }
    const protocols = [...(on(s.tcp_forwarding) ? ["tcp"] : []), ...(on(s.udp_forwarding) ? ["udp"] : [])];
    if (!protocols.length) findings.push({ outcome: "refused", where, subject: `stream ${port}`, why: "neither TCP nor UDP forwarding is on" });
    for (const protocol of protocols) {
      const name = set.name("Stream", `npm-${port}${protocols.length > 1 ? `-${protocol}` : ""}`);
      set.add("Stream", name, { ...(protocol === "udp" ? { protocol } : {}), listen: port, upstreams: [{ address: `${host}:${String(s.forwarding_port)}` }] });
      findings.push({ outcome: "mapped", where, subject: `stream ${port}/${protocol}`, into: `Stream/${name}`, why: `to ${host}:${String(s.forwarding_port)}` });
    }
  }
  return { source: file, resources: set.resources, findings };
}
