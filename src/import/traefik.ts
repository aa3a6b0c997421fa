// Traefik's dynamic configuration (file provider) and service tags (Consul/Nomad catalog: fabio's
// urlprefix- tags and traefik.* labels) → Routes. Labels are first folded into the same shape as
// the file (Traefik reads them case-insensitively, so every key is compared in lower case), so one
// mapper serves both: routers → Routes (Host/PathPrefix rules), services → upstreams, health
// checks and sticky cookies, middlewares → headers, IP allow lists, compression, basic auth,
// authentik forward auth, strip prefix (a verbatim Caddy rewrite).
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from "yaml";
import { ResourceSet, type Finding, type ImportResult } from "./result.js";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === "object" && !Array.isArray(v);

/** Keys in lower case at every level (Traefik's labels and its file keys are case-insensitive). */
function lower(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(lower);
  if (!isObj(v)) return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k.toLowerCase(), lower(x)]));
}

const get = (o: unknown, ...path: string[]): unknown => path.reduce<unknown>((x, k) => (isObj(x) ? x[k] : undefined), o);

/** Host(`a`, `b`) || Host(`c`) && PathPrefix(`/x`) → hosts and path prefixes, or why not. */
export function parseRule(rule: string): { hosts: string[]; paths: string[] } | string {
  const hosts: string[] = [];
  const paths: string[] = [];
  const parts = rule.trim().split(/\s*(\|\||&&)\s*/);
  const ops = parts.filter((_, i) => i % 2 === 1);
  const terms = parts.filter((_, i) => i % 2 === 0);
  for (const term of terms) {
    const m = /^\(?\s*(Host|PathPrefix)\(\s*((?:`[^`]*`\s*,?\s*)+)\)\s*\)?$/i.exec(term);
    if (!m) return `rule term ${JSON.stringify(term)} (Hecate routes by Host and PathPrefix only)`;
    const args = [...m[2]!.matchAll(/`([^`]*)`/g)].map((x) => x[1]!);
    (m[1]!.toLowerCase() === "host" ? hosts : paths).push(...args);
  }
  // Host terms joined by || and paths by &&: "any of these hosts, under any of these prefixes".
  const kinds = terms.map((t) => (/^\(?\s*host/i.test(t) ? "h" : "p"));
  for (let i = 0; i < ops.length; i++) {
    const same = kinds[i] === kinds[i + 1];
    if (same && ops[i] !== "||") return `rule ${JSON.stringify(rule)}: two ${kinds[i] === "h" ? "Host" : "PathPrefix"} terms joined by && match nothing Hecate can say`;
    if (!same && ops[i] !== "&&") return `rule ${JSON.stringify(rule)}: a Host or a PathPrefix (||) is two routes; write them as two routers`;
  }
  return { hosts, paths };
}

export interface TraefikOptions {
  /** Host for rules that name no Host (PathPrefix only, urlprefix-/path). */
  host?: string;
  /** The source text the document was parsed from, so that findings name file:line. */
  text?: string;
}

/** Lines in the source text: of a key path (compared in lower case, as Traefik reads keys), and of the map that has a key with a value. */
function lineFinder(text: string | undefined) {
  const lc = new LineCounter();
  const doc = text === undefined ? undefined : parseDocument(text, { lineCounter: lc });
  const lineOf = (n: { range?: [number, number, number] | null } | null | undefined) => (n?.range ? lc.linePos(n.range[0]).line : undefined);
  const keyOf = (k: unknown) => String(isScalar(k) ? k.value : k).toLowerCase();
  return {
    path(path: string[]): number | undefined {
      let node = doc?.contents as Node | null | undefined;
      let line: number | undefined;
      for (const key of path) {
        const pair = isMap(node) ? node.items.find((p) => keyOf(p.key) === key.toLowerCase()) : undefined;
        if (!pair) return line;
        line = lineOf(pair.key as Node);
        node = pair.value as Node;
      }
      return line;
    },
    /** The first map anywhere whose `keys` has `value`: a catalog instance by its service name. */
    entry(keys: string[], value: string): number | undefined {
      const walk = (n: unknown): number | undefined => {
        if (isMap(n)) {
          if (n.items.some((p) => keys.includes(String(isScalar(p.key) ? p.key.value : p.key)) && isScalar(p.value) && String(p.value.value) === value)) return lineOf(n);
          for (const p of n.items) {
            const l = walk(p.value);
            if (l !== undefined) return l;
          }
        } else if (isSeq(n)) for (const x of n.items) {
          const l = walk(x);
          if (l !== undefined) return l;
        }
        return undefined;
      };
      return walk(doc?.contents);
    },
  };
}

/** file:line when the line is known (with `tail`, when given), the path in the document otherwise. */
const at = (label: string, line: number | undefined, path: string, tail = "") => (line !== undefined ? `${label}:${line}${tail ? ` ${tail}` : ""}` : `${label}: ${path}`);

interface Ctx {
  set: ResourceSet;
  findings: Finding[];
  label: string;
  opts: TraefikOptions;
  policies: Map<string, string>;
  shared: Map<string, string>; // middleware name → Hecate Middleware name
}

/** One Traefik middleware applied to a route spec; returns a note, or pushes a finding why not. */
function applyMiddleware(c: Ctx, name: string, mw: unknown, spec: Obj, where: string, into: string): string | undefined {
  const refuse = (why: string) => void c.findings.push({ outcome: "refused", where, subject: `middleware ${name}`, into, why });
  if (!isObj(mw)) return refuse("not defined here (a middleware of another provider, e.g. @file, is not imported)");
  const [kind, cfg] = Object.entries(mw)[0] ?? [];
  if (Object.keys(mw).length !== 1 || !kind) return refuse("a middleware names exactly one kind");
  switch (kind) {
    case "forwardauth": {
      const address = String(get(cfg, "address") ?? "");
      const m = /^(https?):\/\/([^/]+)(\/outpost\.goauthentik\.io\/auth\/\w+)/i.exec(address);
      if (!m) return refuse(`forwardAuth to ${address}: only authentik's outpost maps to an AuthPolicy`);
      const outpost = m[1]!.toLowerCase() === "https" ? `https://${m[2]}` : m[2]!;
      let policy = c.policies.get(outpost);
      if (!policy) {
        policy = c.set.name("AuthPolicy", c.policies.size ? `authentik-${c.policies.size + 1}` : "authentik");
        c.policies.set(outpost, policy);
        c.set.add("AuthPolicy", policy, { provider: "authentik", outpost });
      }
      spec.authPolicy = policy;
      delete spec.public;
      return `forward auth (AuthPolicy ${policy})`;
    }
    case "headers": {
      const h = isObj(cfg) ? cfg : {};
      const other = Object.keys(h).filter((k) => k !== "customrequestheaders" && k !== "customresponseheaders");
      if (other.length) refuse(`headers options ${other.join(", ")} have no Hecate field (custom request/response headers are imported)`);
      const headers = (isObj(spec.headers) ? spec.headers : {}) as Obj;
      for (const [k, side] of [["customrequestheaders", "request"], ["customresponseheaders", "response"]] as const) {
        const set: Record<string, string> = {};
        const remove: string[] = [];
        // Traefik: an empty value removes the header.
        for (const [n, v] of Object.entries(isObj(h[k]) ? h[k] : {})) (v === "" ? remove.push(n) : (set[n] = String(v)));
        if (Object.keys(set).length || remove.length) headers[side] = { ...(Object.keys(set).length ? { set } : {}), ...(remove.length ? { remove } : {}) };
      }
      if (Object.keys(headers).length) spec.headers = headers;
      return "headers";
    }
    case "ipwhitelist":
    case "ipallowlist": {
      const ranges = get(cfg, "sourcerange");
      const allow = Array.isArray(ranges) ? ranges.map(String) : typeof ranges === "string" ? ranges.split(",") : [];
      spec.ipFilter = { allow };
      return "IP allow list";
    }
    case "compress": {
      let mwName = c.shared.get(name);
      if (!mwName) {
        mwName = c.set.name("Middleware", name);
        c.set.add("Middleware", mwName, { type: "compression", encodings: ["gzip"] });
        c.shared.set(name, mwName);
      }
      spec.middleware = [...((spec.middleware as string[] | undefined) ?? []), mwName];
      return "compression";
    }
    case "basicauth": {
      const users = get(cfg, "users");
      const list = Array.isArray(users) ? users.map(String) : typeof users === "string" ? users.split(",") : [];
      if (!list.length) return refuse("basicAuth without inline users (usersFile is read by Traefik, not imported)");
      let mwName = c.shared.get(name);
      if (!mwName) {
        mwName = c.set.name("Middleware", name);
        const accounts = list.map((u) => {
          const user = u.split(":")[0]!;
          const secret = c.set.name("Secret", `${mwName}-${user}`);
          c.set.add("Secret", secret, { from: "store" });
          return { username: user, passwordHash: `secret:${secret}` };
        });
        c.set.add("Middleware", mwName, { type: "basic-auth", users: accounts });
        c.shared.set(name, mwName);
        c.findings.push({ outcome: "mapped", where, subject: `middleware ${name} users`, into: `Middleware/${mwName}`, why: "the hashes are secrets, never copied into YAML: store each bcrypt hash with `hecate create secret NAME --value-from file:HASH` (Traefik's apr1/SHA hashes must be re-made with caddy hash-password)" });
      }
      spec.middleware = [...((spec.middleware as string[] | undefined) ?? []), mwName];
      return "basic auth";
    }
    case "stripprefix": {
      const prefixes = get(cfg, "prefixes");
      const list = Array.isArray(prefixes) ? prefixes.map(String) : typeof prefixes === "string" ? prefixes.split(",") : [];
      if (list.length !== 1) return refuse("stripPrefix with several prefixes");
      spec.caddyRoutes = [...((spec.caddyRoutes as Obj[] | undefined) ?? []), { handle: [{ handler: "rewrite", strip_path_prefix: list[0]!.replace(/\/$/, "") }] }];
      c.findings.push({ outcome: "verbatim", where, subject: `middleware ${name} (stripPrefix ${list[0]})`, into, why: "Hecate has no prefix-strip field: a verbatim Caddy rewrite before the upstreams" });
      return undefined;
    }
    case "redirectscheme":
      if (String(get(cfg, "scheme") ?? "") === "https") return "https redirect (Hecate's forceHttps)";
      return refuse("redirectScheme to http");
    default:
      return refuse(`Traefik middleware ${kind} has no Hecate field`);
  }
}

function mapRouters(c: Ctx, conf: Obj, whereOf: (kind: string, name: string) => string, whereTop: (key: string) => string = (k) => `${c.label}: ${k}`): void {
  const routers = get(conf, "http", "routers");
  const services = get(conf, "http", "services");
  const middlewares = get(conf, "http", "middlewares");
  for (const [rname, r] of Object.entries(isObj(routers) ? routers : {})) {
    const where = whereOf("router", rname);
    if (!isObj(r)) continue;
    const rule = parseRule(String(r.rule ?? ""));
    if (typeof rule === "string") {
      c.findings.push({ outcome: "refused", where, subject: `router ${rname}`, why: rule });
      continue;
    }
    if (!rule.hosts.length) {
      if (!c.opts.host) {
        c.findings.push({ outcome: "refused", where, subject: `router ${rname}`, why: "the rule names no Host: give the host these paths live on with --host" });
        continue;
      }
      rule.hosts.push(c.opts.host);
    }
    const sname = String(r.service ?? rname).replace(/@.*$/, "");
    const svc = get(services, sname.toLowerCase()) ?? get(services, sname);
    const lb = get(svc, "loadbalancer");
    const servers = get(lb, "servers");
    if (!Array.isArray(servers) || !servers.length) {
      c.findings.push({ outcome: "refused", where, subject: `router ${rname}`, why: `service ${sname} has no loadBalancer servers here (weighted and mirroring services are not imported)` });
      continue;
    }
    const name = c.set.name("Route", rname);
    const into = `Route/${name}`;
    const spec: Obj = { hosts: rule.hosts, ...(rule.paths.length ? { paths: rule.paths } : {}), public: true };
    const upstreams: Obj[] = [];
    let https = false;
    for (const s of servers) {
      const url = String(get(s, "url") ?? "");
      const m = /^(https?):\/\/([^/]+)\/?$/i.exec(url);
      if (!m) {
        c.findings.push({ outcome: "refused", where, subject: `server ${url}`, into, why: "not a scheme://host:port URL" });
        continue;
      }
      https ||= m[1]!.toLowerCase() === "https";
      const weight = get(s, "weight");
      upstreams.push({ address: /:\d+$/.test(m[2]!) ? m[2]! : `${m[2]}:${https ? 443 : 80}`, ...(typeof weight === "number" && weight > 0 ? { weight: Math.min(100, weight) } : {}) });
    }
    if (!upstreams.length) continue;
    spec.upstreams = upstreams;
    if (https) spec.upstreamTls = { enabled: true };
    const notes = [`${upstreams.length} upstream(s)`];
    const hc = get(lb, "healthcheck");
    if (isObj(hc) && typeof hc.path === "string") {
      spec.healthCheck = { active: { path: hc.path, ...(typeof hc.interval === "string" ? { interval: hc.interval } : {}), ...(typeof hc.timeout === "string" ? { timeout: hc.timeout } : {}) } };
      notes.push("health check");
    }
    if (get(lb, "sticky") !== undefined) (spec.loadBalancing = { policy: "cookie" }), notes.push("sticky cookie");
    spec.tls = r.tls !== undefined ? { mode: "auto" } : { mode: "off" };
    const mws = Array.isArray(r.middlewares) ? r.middlewares.map(String) : typeof r.middlewares === "string" ? r.middlewares.split(",") : [];
    for (const m of mws) {
      const key = m.replace(/@.*$/, "");
      const mw = get(middlewares, key.toLowerCase());
      const note = applyMiddleware(c, m, mw, spec, mw === undefined ? where : whereOf("middleware", key), into);
      if (note) notes.push(note);
    }
    if (spec.caddyRoutes && !spec.upstreams) delete spec.caddyRoutes;
    c.set.add("Route", name, spec);
    c.findings.push({ outcome: spec.caddyRoutes ? "verbatim" : "mapped", where, subject: `router ${rname}`, into, why: `${rule.hosts.join(", ")}${rule.paths.length ? ` ${rule.paths.join(", ")}` : ""}: ${notes.join(", ")}` });
  }
  for (const proto of ["tcp", "udp"]) {
    if (get(conf, proto) !== undefined) c.findings.push({ outcome: "refused", where: whereTop(proto), subject: `${proto} routers`, why: "Traefik's TCP/UDP routers listen on entry points this file does not define: write Streams by hand (hecate create stream)" });
  }
}

/** A Traefik dynamic configuration document (YAML or JSON, parsed) → resources. */
export function importTraefikFile(doc: unknown, label: string, opts: TraefikOptions = {}): ImportResult {
  const c: Ctx = { set: new ResourceSet(), findings: [], label, opts, policies: new Map(), shared: new Map() };
  const lines = lineFinder(opts.text);
  mapRouters(
    c,
    lower(doc) as Obj,
    (kind, name) => at(label, lines.path(["http", `${kind}s`, name]), `http.${kind}s.${name}`),
    (key) => at(label, lines.path([key]), key),
  );
  return { source: label, resources: c.set.resources, findings: c.findings };
}

/** One instance of a service in a catalog export (Consul's /v1/catalog/service/NAME, Nomad's service list). */
interface Instance {
  service: string;
  address: string;
  port: number;
  tags: string[];
}

function instances(doc: unknown): Instance[] {
  const list: unknown[] = Array.isArray(doc) ? doc : isObj(doc) ? Object.values(doc).flatMap((v) => (Array.isArray(v) ? v : [v])) : [];
  return list.flatMap((x) => {
    if (!isObj(x)) return [];
    const service = String(x.ServiceName ?? x.Service ?? x.Name ?? x.ServiceID ?? "");
    const address = String(x.ServiceAddress || x.Address || "");
    const port = Number(x.ServicePort ?? x.Port ?? 0);
    const tags = (x.ServiceTags ?? x.Tags ?? []) as unknown[];
    return service ? [{ service, address, port, tags: tags.map(String) }] : [];
  });
}

/** Sets a dotted, lower-cased label path in a nested object (traefik.http.routers.x.rule=…). */
function setPath(o: Obj, path: string[], value: string): void {
  let cur = o;
  path.slice(0, -1).forEach((k) => (cur = (isObj(cur[k]) ? cur[k] : (cur[k] = {})) as Obj));
  cur[path[path.length - 1]!] = value;
}

/** A Consul/Nomad catalog export whose tags are urlprefix-… or traefik.… → resources. */
export function importServiceTags(doc: unknown, label: string, opts: TraefikOptions = {}): ImportResult {
  const c: Ctx = { set: new ResourceSet(), findings: [], label, opts, policies: new Map(), shared: new Map() };
  const byService = new Map<string, Instance[]>();
  for (const i of instances(doc)) byService.set(i.service, [...(byService.get(i.service) ?? []), i]);
  const lines = lineFinder(opts.text);
  for (const [service, list] of byService) {
    const line = lines.entry(["ServiceName", "Service", "Name", "ServiceID"], service);
    const where = at(label, line, `service ${service}`, `service ${service}`);
    const tags = [...new Set(list.flatMap((i) => i.tags))];
    const addresses = (port?: number) => list.filter((i) => i.address).map((i) => `${i.address}:${port ?? i.port}`);
    // traefik.* labels: folded into the file's shape, servers from the catalog's instances.
    const labels: Obj = {};
    let enabled = false;
    for (const t of tags) {
      const m = /^traefik\.([^=]+)=(.*)$/i.exec(t);
      if (!m) continue;
      if (m[1]!.toLowerCase() === "enable") enabled = m[2] === "true";
      else setPath(labels, m[1]!.toLowerCase().split("."), m[2]!);
    }
    if (enabled) {
      const routers = get(labels, "http", "routers");
      if (!isObj(routers)) c.findings.push({ outcome: "refused", where, subject: `service ${service} traefik tags`, why: "traefik.enable=true but no router rule" });
      const services = ((labels.http as Obj | undefined) ??= {}) as Obj;
      const svcs = (services.services ??= {}) as Obj;
      for (const [rname, r] of Object.entries(isObj(routers) ? routers : {})) {
        const sname = String(get(r, "service") ?? (Object.keys(svcs)[0] ?? rname)).toLowerCase();
        if (isObj(r)) r.service = sname;
        const lb = ((((svcs[sname] ??= {}) as Obj).loadbalancer ??= {}) as Obj);
        const port = Number(get(lb, "server", "port")) || undefined;
        const scheme = String(get(lb, "server", "scheme") ?? "http");
        const weight = Number(get(lb, "server", "weight")) || undefined;
        lb.servers = addresses(port).map((a) => ({ url: `${scheme}://${a}`, ...(weight ? { weight } : {}) }));
        if (isObj(lb.healthcheck)) lb.healthcheck = { ...lb.healthcheck };
      }
      mapRouters(c, labels, (kind, name) => at(label, line, `service ${service} traefik.http.${kind}s.${name}`, `service ${service} traefik.http.${kind}s.${name}`));
    }
    // Both tag styles side by side (seed 004's migration): one route per host and path.
    const routed = new Set(c.set.resources.filter((r) => r.kind === "Route").flatMap((r) => {
      const s = r.spec as { hosts: string[]; paths?: string[] };
      return s.hosts.flatMap((h) => (s.paths?.length ? s.paths : ["/"]).map((p) => `${h}${p}`));
    }));
    // fabio's urlprefix-host/path [options]
    for (const t of tags.filter((x) => x.startsWith("urlprefix-"))) {
      const [route, ...options] = t.slice("urlprefix-".length).split(/\s+/);
      const m = /^([^/:]*)(:\d+)?(\/.*)?$/.exec(route ?? "");
      const subject = `tag ${t}`;
      if (!m || m[2]) {
        c.findings.push({ outcome: "refused", where, subject, why: "a listener port (urlprefix-:PORT) is a stream or an entry point, not an HTTP route: write a Stream by hand" });
        continue;
      }
      const host = m[1] || opts.host;
      if (!host) {
        c.findings.push({ outcome: "refused", where, subject, why: "no host: give the host these paths live on with --host" });
        continue;
      }
      const path = m[3] && m[3] !== "/" ? m[3] : undefined;
      if (routed.has(`${host}${path ?? "/"}`)) {
        c.findings.push({ outcome: "mapped", where, subject, why: "the same host and path as this service's traefik router, imported once" });
        continue;
      }
      const name = c.set.name("Route", `${service}${path ? path.replace(/\//g, "-") : ""}`);
      const into = `Route/${name}`;
      const spec: Obj = { hosts: [host], ...(path ? { paths: [path] } : {}), upstreams: addresses().map((address) => ({ address })), public: true, tls: { mode: "off" } };
      for (const o of options) {
        const [k, v] = o.split("=", 2);
        if (k === "proto" && v === "https") spec.upstreamTls = { enabled: true };
        else if (k === "proto" && v === "http") continue;
        else if (k === "strip" && v) {
          spec.caddyRoutes = [{ handle: [{ handler: "rewrite", strip_path_prefix: v.replace(/\/$/, "") }] }];
          c.findings.push({ outcome: "verbatim", where, subject: `${subject} strip=${v}`, into, why: "Hecate has no prefix-strip field: a verbatim Caddy rewrite" });
        } else if (k === "sticky") spec.loadBalancing = { policy: "cookie" };
        else if (k === "lb" && v === "round_robin") spec.loadBalancing = { policy: "round_robin" };
        else if (k === "lb" && v === "rnd") spec.loadBalancing = { policy: "random" };
        else c.findings.push({ outcome: "refused", where, subject: `${subject} ${o}`, into, why: `fabio option ${k} has no Hecate field` });
      }
      if (!(spec.upstreams as unknown[]).length) {
        c.findings.push({ outcome: "refused", where, subject, why: "the service has no instance with an address in the export" });
        continue;
      }
      c.set.add("Route", name, spec);
      c.findings.push({ outcome: "mapped", where, subject, into, why: `${host}${path ?? "/"} to ${(spec.upstreams as Obj[]).length} instance(s)` });
    }
  }
  return { source: label, resources: c.set.resources, findings: c.findings };
}

/** What `hecate export traefik-tags` prints for a route: the tags a Consul/Nomad service carries. */
export interface RouteTags {
  route: string;
  /** The router and service name in the tags (a route name without dots: labels split on them). */
  service: string;
  port?: number;
  tags: string[];
}

/** Routes (resolved) → Traefik labels and fabio urlprefix- tags, the reverse of importServiceTags. */
export function routeTags(routes: readonly import("../model/resolved.js").ResolvedRoute[]): RouteTags[] {
  return routes.map((r) => {
    const n = r.name.replace(/\./g, "-");
    const hosts = r.hosts.map((h) => `Host(\`${h}\`)`);
    const paths = r.paths.map((p) => `PathPrefix(\`${p}\`)`);
    const group = (xs: string[]) => (xs.length > 1 ? `(${xs.join(" || ")})` : xs[0]!);
    const rule = paths.length ? `${group(hosts)} && ${group(paths)}` : hosts.length > 1 ? hosts.join(" || ") : hosts[0]!;
    const ports = [...new Set((r.pool?.targets ?? []).map((t) => Number(/:(\d+)$/.exec(t.address)?.[1])))];
    const port = ports.length === 1 ? ports[0] : undefined;
    const lb = `traefik.http.services.${n}.loadbalancer`;
    const tags = [`traefik.enable=true`, `traefik.http.routers.${n}.rule=${rule}`, `traefik.http.routers.${n}.service=${n}`];
    if (r.tls.mode !== "off") tags.push(`traefik.http.routers.${n}.tls=true`);
    if (port) tags.push(`${lb}.server.port=${port}`);
    if (r.pool?.tls) tags.push(`${lb}.server.scheme=https`);
    if (r.pool?.active) tags.push(`${lb}.healthcheck.path=${r.pool.active.path}`, `${lb}.healthcheck.interval=${r.pool.active.interval}`, `${lb}.healthcheck.timeout=${r.pool.active.timeout}`);
    if (r.pool?.policy === "cookie") tags.push(`${lb}.sticky.cookie=true`);
    for (const h of r.hosts.filter((x) => !x.startsWith("*."))) for (const p of r.paths.length ? r.paths : ["/"]) tags.push(`urlprefix-${h}${p}${r.pool?.tls ? " proto=https" : ""}`);
    return { route: r.name, service: n, ...(port ? { port } : {}), tags };
  });
}
