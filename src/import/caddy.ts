// Caddy JSON (from Caddy's own Caddyfile adapter, a live Caddy, or a file) → Hecate resources.
// Each site (a server route matching host names) becomes a Route: its forward_auth to authentik
// becomes an AuthPolicy, its header directives the route's headers, its last reverse_proxy the
// route's upstreams; everything else is kept verbatim as spec.caddyRoutes in its original order,
// so the route serves what the site served. Each decision is a finding with the Caddyfile line.
import { durationText, ResourceSet, type Finding, type ImportResult } from "./result.js";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === "object" && !Array.isArray(v);
const PLACEHOLDER = /\{[^}]*\}/;
const OUTPOST_AUTH = /^\/outpost\.goauthentik\.io\/auth\//;
const OUTPOST_PATH = "/outpost.goauthentik.io/*";

/** Where the Caddy JSON came from, so findings can point at Caddyfile lines when there are some. */
export interface CaddySource {
  /** Shown in findings: the Caddyfile's path, or "admin http://…", or the JSON file. */
  label: string;
  /** Caddyfile text (for line numbers), when the input was one. */
  caddyfile?: string;
  /** The files it imports (`import sites/*.caddy`), read, so that their sites' findings name their own lines. */
  imported?: { path: string; text: string }[];
}

// ---- Caddyfile lines ----------------------------------------------------------------------------

interface Block {
  line: number; // 1-based line of the site address
  end: number;
  hosts: string[];
}

/** The arguments of `import` lines that name files (a glob or a path), not snippets defined in the text as `(name)`. */
export function fileImports(text: string): string[] {
  const snippets = new Set([...text.matchAll(/^\s*\(([^)\s]+)\)\s*\{/gm)].map((m) => m[1]!));
  return [...text.matchAll(/^\s*import\s+(\S+)/gm)].map((m) => m[1]!).filter((a) => !snippets.has(a));
}

/** Top-level site blocks of a Caddyfile: their address line, last line and host names. */
export function siteBlocks(text: string): Block[] {
  const lines = text.split("\n");
  const out: Block[] = [];
  let depth = 0;
  let open: Block | undefined;
  lines.forEach((raw, i) => {
    const l = raw.replace(/(^|\s)#.*$/, "").trim();
    if (depth === 0 && l.endsWith("{") && !l.startsWith("(") && l !== "{") {
      const hosts = l
        .slice(0, -1)
        .split(/[\s,]+/)
        .filter(Boolean)
        .map((a) => a.replace(/^[a-z]+:\/\//i, "").replace(/\/.*$/, "").replace(/:\d+$/, "").toLowerCase());
      open = { line: i + 1, end: i + 1, hosts };
    }
    for (const c of l) depth += c === "{" ? 1 : c === "}" ? -1 : 0;
    if (open && depth === 0) {
      open.end = i + 1;
      out.push(open);
      open = undefined;
    }
  });
  return out;
}

/** The directives that adapt to each handler, to find the line a handler came from. */
const DIRECTIVES: Record<string, string[]> = {
  static_response: ["respond", "redir", "error"],
  reverse_proxy: ["reverse_proxy", "forward_auth", "php_fastcgi"],
  headers: ["header", "request_header"],
  rewrite: ["rewrite", "uri", "handle_path", "try_files"],
  file_server: ["file_server"],
  vars: ["root", "vars"],
  encode: ["encode"],
  authentication: ["basicauth", "basic_auth"],
  templates: ["templates"],
  request_body: ["request_body"],
  subroute: ["handle", "handle_path", "route"],
};

/** A site block in one of the Caddyfiles read (the main one or one it imports). */
type FileBlock = Block & { file: string; lines: string[] };

class Lines {
  private readonly blocks: FileBlock[];
  constructor(private readonly src: CaddySource) {
    const files = src.caddyfile !== undefined ? [{ path: src.label, text: src.caddyfile }, ...(src.imported ?? [])] : [];
    this.blocks = files.flatMap((f) => {
      const lines = f.text.split("\n");
      return siteBlocks(f.text).map((b) => ({ ...b, file: f.path, lines }));
    });
  }
  block(hosts: string[]): FileBlock | undefined {
    return this.blocks.find((b) => hosts.some((h) => b.hosts.includes(h)));
  }
  /** A site block without host names (":8080 {"), found by the ports of the server it is on. */
  hostless(ports: number[]): FileBlock | undefined {
    return this.blocks.find((b) => b.hosts.every((h) => h === "") && [...(b.lines[b.line - 1] ?? "").matchAll(/:(\d+)/g)].some((m) => ports.includes(Number(m[1]))));
  }
  /** file:line of the first of `words` in the site's block (or the site line), else the JSON path. */
  at(block: FileBlock | undefined, jsonPath: string, words: string[] = [], after = 0): string {
    if (!block) return this.src.caddyfile ? `${this.src.label} (${jsonPath})` : `${this.src.label}: ${jsonPath}`;
    for (let n = Math.max(block.line + 1, after); n <= block.end; n++) {
      const t = (block.lines[n - 1] ?? "").trim();
      if (words.some((w) => new RegExp(`^${w}(\\s|\\{|$)`).test(t))) return `${block.file}:${n}`;
    }
    return `${block.file}:${block.line}`;
  }
}

// ---- the mapping of one site --------------------------------------------------------------------

/** A piece of a site's handler chain after flattening: one handler, or a route that has a matcher/group. */
type Item = { handler: Obj; path: string } | { route: Obj; path: string };

/** Unmatched, ungrouped inner routes are just handlers in sequence; a lone subroute is opened up. */
function flatten(routes: unknown[], path: string): Item[] {
  const out: Item[] = [];
  routes.forEach((r, i) => {
    const p = `${path}[${i}]`;
    if (!isObj(r)) return;
    const plain = r.match === undefined && r.group === undefined && r.terminal !== true;
    if (!plain) return void out.push({ route: r, path: p });
    const handle = Array.isArray(r.handle) ? r.handle : [];
    handle.forEach((h, j) => {
      if (isObj(h) && h.handler === "subroute" && h.errors === undefined && Array.isArray(h.routes)) out.push(...flatten(h.routes, `${p}.handle[${j}].routes`));
      else if (isObj(h)) out.push({ handler: h, path: `${p}.handle[${j}]` });
    });
  });
  return out;
}

const keysOnly = (o: Obj, allowed: string[]) => Object.keys(o).filter((k) => !allowed.includes(k));

/** A headers handler as Hecate header operations, or why not. */
function headerOps(h: Obj): { request?: { set: Record<string, string>; remove: string[] }; response?: { set: Record<string, string>; remove: string[] } } | string {
  const extra = keysOnly(h, ["handler", "request", "response"]);
  if (extra.length) return `headers handler with ${extra.join(", ")}`;
  const out: ReturnType<typeof headerOps> & object = {};
  for (const side of ["request", "response"] as const) {
    const ops = h[side];
    if (ops === undefined) continue;
    if (!isObj(ops)) return `headers.${side} is not an object`;
    const x = keysOnly(ops, side === "response" ? ["set", "delete", "deferred"] : ["set", "delete"]);
    if (x.length) return `header ${x.join("/")} operations (Hecate sets and removes only)`;
    const set: Record<string, string> = {};
    for (const [k, v] of Object.entries(isObj(ops.set) ? ops.set : {})) {
      if (!Array.isArray(v) || v.length !== 1 || typeof v[0] !== "string") return `header ${k} has several values`;
      if (PLACEHOLDER.test(v[0]) || PLACEHOLDER.test(k)) return `header ${k} uses a placeholder (${v[0]}), which Hecate does not expand`;
      set[k] = v[0];
    }
    const remove = Array.isArray(ops.delete) ? (ops.delete as unknown[]).map(String) : [];
    if (remove.some((n) => /[*{]/.test(n))) return `header delete by pattern (${remove.join(", ")})`;
    out[side] = { set, remove };
  }
  return out;
}

/** The forward-auth outpost of a reverse_proxy that is Caddy's forward_auth to authentik, if it is one. */
function forwardAuthOutpost(h: Obj): string | undefined {
  if (h.handler !== "reverse_proxy" || !isObj(h.rewrite) || typeof h.rewrite.uri !== "string" || !OUTPOST_AUTH.test(h.rewrite.uri)) return undefined;
  const ups = Array.isArray(h.upstreams) ? h.upstreams : [];
  const dial = isObj(ups[0]) && typeof ups[0].dial === "string" ? ups[0].dial : undefined;
  if (!dial || ups.length !== 1 || PLACEHOLDER.test(dial)) return undefined;
  const tls = isObj(h.transport) && h.transport.tls !== undefined;
  return tls ? `https://${dial}` : dial;
}

/** A route proxying the outpost's own paths to `outpost` (Hecate writes the same route itself). */
function isOutpostRoute(r: Obj, outpost: string): boolean {
  const m = Array.isArray(r.match) ? r.match : [];
  const h = Array.isArray(r.handle) ? r.handle : [];
  const path = m.length === 1 && isObj(m[0]) && Object.keys(m[0]).length === 1 && Array.isArray(m[0].path) ? (m[0].path as unknown[]) : [];
  if (path.length !== 1 || path[0] !== OUTPOST_PATH || h.length !== 1 || !isObj(h[0]) || h[0].handler !== "reverse_proxy") return false;
  const ups = Array.isArray(h[0].upstreams) ? h[0].upstreams : [];
  return ups.length === 1 && isObj(ups[0]) && outpost.replace(/^https?:\/\//, "") === ups[0].dial;
}

const POLICIES = ["round_robin", "weighted_round_robin", "least_conn", "random", "first", "ip_hash", "uri_hash", "cookie"];

/** A plain reverse_proxy as Hecate pool fields, or the reason it stays verbatim. */
function poolOf(h: Obj): { fields: Obj; summary: string } | string {
  const extra = keysOnly(h, ["handler", "upstreams", "load_balancing", "health_checks", "transport", "flush_interval"]);
  if (extra.length) return `reverse_proxy with ${extra.join(", ")} (no Hecate field)`;
  const ups = Array.isArray(h.upstreams) ? h.upstreams : [];
  if (!ups.length) return "reverse_proxy without static upstreams (dynamic upstreams have no Hecate field)";
  const upstreams: Obj[] = [];
  for (const u of ups) {
    if (!isObj(u) || typeof u.dial !== "string" || keysOnly(u, ["dial"]).length) return `upstream ${JSON.stringify(u)} has more than a dial address`;
    if (PLACEHOLDER.test(u.dial) || u.dial.includes("/")) return `upstream ${u.dial} is a placeholder or a socket`;
    upstreams.push({ address: u.dial });
  }
  const fields: Obj = { upstreams };
  const notes: string[] = [`${upstreams.length} upstream${upstreams.length === 1 ? "" : "s"}`];
  // Caddy picks at random when no policy is given; Hecate's default is round robin, so say it.
  let policy = upstreams.length > 1 ? "random" : undefined;
  const lbSpec: Obj = {};
  if (h.load_balancing !== undefined) {
    const lb = h.load_balancing;
    if (!isObj(lb) || keysOnly(lb, ["selection_policy", "try_duration", "try_interval"]).length) return "load_balancing with fields Hecate has no field for";
    if (lb.selection_policy !== undefined) {
      const sp = lb.selection_policy;
      if (!isObj(sp) || typeof sp.policy !== "string" || !POLICIES.includes(sp.policy) || keysOnly(sp, ["policy"]).length) return `lb_policy ${JSON.stringify(sp)} (Hecate has ${POLICIES.join(", ")} without options)`;
      policy = sp.policy;
    }
    for (const [k, f] of [["try_duration", "tryDuration"], ["try_interval", "tryInterval"]] as const) {
      if (lb[k] === undefined) continue;
      const d = durationText(lb[k]);
      if (!d) return `lb ${k} ${JSON.stringify(lb[k])}`;
      lbSpec[f] = d;
    }
  }
  if (policy) lbSpec.policy = policy;
  if (Object.keys(lbSpec).length) (fields.loadBalancing = lbSpec), notes.push(`lb ${policy ?? "default"}`);
  if (h.health_checks !== undefined) {
    const hc = h.health_checks;
    if (!isObj(hc) || keysOnly(hc, ["active", "passive"]).length) return "health_checks with fields Hecate has no field for";
    const out: Obj = {};
    if (hc.active !== undefined) {
      const a = hc.active;
      if (!isObj(a) || keysOnly(a, ["uri", "path", "interval", "timeout", "expect_status", "port"]).length) return "active health check with headers, body or other fields Hecate has no field for";
      const path = a.uri ?? a.path;
      if (typeof path !== "string" || !path.startsWith("/")) return "active health check without a path";
      const active: Obj = { path };
      for (const k of ["interval", "timeout"] as const) {
        if (a[k] === undefined) continue;
        const d = durationText(a[k]);
        if (!d) return `health ${k} ${JSON.stringify(a[k])}`;
        active[k] = d;
      }
      if (a.expect_status !== undefined) {
        if (typeof a.expect_status !== "number" || a.expect_status < 100) return `health expect_status ${JSON.stringify(a.expect_status)} (Hecate takes one exact status)`;
        active.expectStatus = a.expect_status;
      }
      if (a.port !== undefined) active.port = a.port;
      out.active = active;
    }
    if (hc.passive !== undefined) {
      const p = hc.passive;
      if (!isObj(p) || keysOnly(p, ["fail_duration", "max_fails", "unhealthy_status", "unhealthy_latency"]).length) return "passive health check with fields Hecate has no field for";
      const passive: Obj = {};
      if (p.fail_duration !== undefined) passive.failDuration = durationText(p.fail_duration);
      if (p.max_fails !== undefined) passive.maxFails = p.max_fails;
      if (Array.isArray(p.unhealthy_status)) {
        if (p.unhealthy_status.some((s) => typeof s !== "number" || s < 100)) return "passive unhealthy_status with status classes (Hecate takes exact codes)";
        passive.unhealthyStatus = p.unhealthy_status;
      }
      if (p.unhealthy_latency !== undefined) passive.unhealthyLatency = durationText(p.unhealthy_latency);
      if (Object.values(passive).some((v) => v === undefined)) return "passive health check durations Hecate cannot spell";
      out.passive = passive;
    }
    fields.healthCheck = out;
    notes.push("health checks");
  }
  if (h.transport !== undefined) {
    const t = h.transport;
    if (!isObj(t) || t.protocol !== "http" || keysOnly(t, ["protocol", "dial_timeout", "read_timeout", "write_timeout", "response_header_timeout", "tls"]).length) return "transport options Hecate has no field for";
    const timeouts: Obj = {};
    for (const [k, f] of [["dial_timeout", "dial"], ["read_timeout", "read"], ["write_timeout", "write"], ["response_header_timeout", "responseHeader"]] as const) {
      if (t[k] === undefined) continue;
      const d = durationText(t[k]);
      if (!d) return `transport ${k} ${JSON.stringify(t[k])}`;
      timeouts[f] = d;
    }
    if (Object.keys(timeouts).length) fields.timeouts = timeouts;
    if (t.tls !== undefined) {
      const tls = t.tls;
      if (!isObj(tls) || keysOnly(tls, ["server_name", "insecure_skip_verify"]).length) return "upstream TLS with client certificates or CA pools (set spec.upstreamTls.ca by hand)";
      fields.upstreamTls = { enabled: true, ...(tls.server_name ? { serverName: tls.server_name } : {}), ...(tls.insecure_skip_verify ? { insecureSkipVerify: true } : {}) };
      notes.push("upstream TLS");
    }
  }
  if (h.flush_interval !== undefined) {
    if (h.flush_interval !== -1) return `flush_interval ${JSON.stringify(h.flush_interval)} (Hecate flushes at once for websockets only)`;
    fields.websockets = true;
  }
  return { fields, summary: notes.join(", ") };
}

interface SiteCtx {
  set: ResourceSet;
  findings: Finding[];
  lines: Lines;
  policies: Map<string, string>; // outpost → AuthPolicy name
  internalHosts: Set<string>;
}

/** One top-level server route (a site) → one Route, or a refusal. */
function mapSite(route: Obj, path: string, server: { tls: (hosts: string[]) => boolean; ports: number[] }, c: SiteCtx): boolean {
  const match = Array.isArray(route.match) ? route.match : [];
  const m0 = isObj(match[0]) ? match[0] : undefined;
  const hosts = m0 && Array.isArray(m0.host) ? (m0.host as unknown[]).map(String) : [];
  const block = hosts.length ? c.lines.block(hosts) : c.lines.hostless(server.ports);
  const site = `site ${hosts.join(", ") || "(no host)"}`;
  const whereSite = c.lines.at(block, path);
  if (match.length !== 1 || !m0 || !hosts.length || keysOnly(m0, ["host", "path"]).length || hosts.some((h) => PLACEHOLDER.test(h))) {
    c.findings.push({ outcome: "refused", where: whereSite, subject: site, why: `a Hecate route is chosen by host names (and path prefixes); this one matches ${JSON.stringify(route.match ?? "every request")}: add it by hand` });
    return false;
  }
  let paths: string[] | undefined;
  if (m0.path !== undefined) {
    const ps = Array.isArray(m0.path) ? (m0.path as unknown[]).map(String) : [];
    if (!ps.every((p) => p.startsWith("/") && p.endsWith("*") && !p.slice(0, -1).includes("*"))) {
      c.findings.push({ outcome: "refused", where: whereSite, subject: site, why: `site path ${ps.join(" ")} is not a prefix ("/x*"): add it by hand` });
      return false;
    }
    paths = ps.map((p) => p.slice(0, -1) || "/");
  }
  const name = c.set.name("Route", hosts[0]!.replace(/^\*\./, "wildcard.") + (paths ? `-${paths[0]!.replace(/\//g, "-")}` : ""));
  const into = `Route/${name}`;
  const items = flatten(Array.isArray(route.handle) ? [{ handle: route.handle }] : [], `${path}`);
  const spec: Obj = { hosts, ...(paths ? { paths } : {}) };
  const mapped: string[] = [];
  const verbatim: Obj[] = [];
  let pending: Obj[] = []; // consecutive handlers kept verbatim, as one route
  const flush = () => {
    if (pending.length) verbatim.push({ handle: pending });
    pending = [];
  };

  // forward_auth first: Hecate runs it before everything else on the route.
  const authIdx = items.findIndex((it) => "handler" in it && forwardAuthOutpost(it.handler) !== undefined);
  const outpost = authIdx >= 0 ? forwardAuthOutpost((items[authIdx] as { handler: Obj }).handler)! : undefined;
  const request: { set: Record<string, string>; remove: string[] } = { set: {}, remove: [] };
  const response: { set: Record<string, string>; remove: string[] } = { set: {}, remove: [] };
  let searchFrom = 0;
  const at = (words: string[]) => {
    const w = c.lines.at(block, path, words, searchFrom);
    const n = Number(/:(\d+)$/.exec(w)?.[1]);
    if (n) searchFrom = n + 1;
    return w;
  };

  items.forEach((it, i) => {
    if ("route" in it) {
      if (outpost && isOutpostRoute(it.route, outpost)) {
        mapped.push("outpost path route");
        c.findings.push({ outcome: "mapped", where: at(["reverse_proxy", "route"]), subject: `reverse_proxy ${OUTPOST_PATH}`, into, why: "Hecate writes the outpost's path route itself for protected routes" });
        return;
      }
      flush();
      verbatim.push(it.route);
      const handlers = (Array.isArray(it.route.handle) ? it.route.handle : []).map((h) => (isObj(h) ? String(h.handler) : "?"));
      const what = it.route.match ? `matcher ${JSON.stringify(it.route.match)}` : it.route.group ? `group ${String(it.route.group)}` : "terminal route";
      c.findings.push({ outcome: "verbatim", where: at([...handlers.flatMap((h) => DIRECTIVES[h] ?? [h]), "handle", "handle_path", "route"]), subject: handlers.join(", "), into, why: `a ${what}: Hecate routes have no per-path handlers; kept as spec.caddyRoutes in its place` });
      return;
    }
    const h = it.handler;
    const kind = String(h.handler);
    if (i === authIdx) {
      const policy = c.policies.get(outpost!) ?? c.set.name("AuthPolicy", c.policies.size ? `authentik-${c.policies.size + 1}` : "authentik");
      if (!c.policies.has(outpost!)) {
        c.policies.set(outpost!, policy);
        c.set.add("AuthPolicy", policy, { provider: "authentik", outpost: outpost! });
      }
      spec.authPolicy = policy;
      mapped.push("forward_auth");
      const before = verbatim.length + pending.length;
      c.findings.push({
        outcome: "mapped",
        where: at(["forward_auth"]),
        subject: `forward_auth ${outpost}`,
        into: `${into}, AuthPolicy/${policy}`,
        why: `authentik forward auth (Hecate also copies every X-Authentik-* identity header and strips forged ones)${before ? `; note: ${before} verbatim handler(s) ran before it in the Caddyfile and now run after it` : ""}`,
      });
      return;
    }
    const rest = items.slice(i + 1);
    if (kind === "headers" && !verbatim.length && !pending.length) {
      const ops = headerOps(h);
      if (typeof ops !== "string") {
        for (const [side, acc] of [["request", request], ["response", response]] as const) {
          const o = ops[side];
          if (!o) continue;
          Object.assign(acc.set, o.set);
          acc.remove.push(...o.remove);
        }
        mapped.push("headers");
        c.findings.push({ outcome: "mapped", where: at(["header", "request_header"]), subject: "header", into, why: "spec.headers (response headers are set when the response is written, replacing an upstream's own value)" });
        return;
      }
      pending.push(h);
      c.findings.push({ outcome: "verbatim", where: at(["header", "request_header"]), subject: "header", into, why: ops });
      return;
    }
    if (kind === "reverse_proxy" && rest.length === 0) {
      const pool = poolOf(h);
      if (typeof pool !== "string") {
        Object.assign(spec, pool.fields);
        mapped.push("reverse_proxy");
        c.findings.push({ outcome: "mapped", where: at(["reverse_proxy"]), subject: "reverse_proxy", into, why: pool.summary });
        return;
      }
      pending.push(h);
      c.findings.push({ outcome: "verbatim", where: at(["reverse_proxy"]), subject: "reverse_proxy", into, why: pool });
      return;
    }
    pending.push(h);
    const why =
      kind === "static_response" ? (isObj(h.headers) && "Location" in h.headers ? "a redirect: Hecate's redirect middleware cannot carry the request's placeholders; kept verbatim" : "a static response: Hecate has maintenance pages only; kept verbatim")
      : kind === "reverse_proxy" ? "a reverse_proxy that is not the site's last handler"
      : `Hecate has no field for the ${kind} handler`;
    c.findings.push({ outcome: "verbatim", where: at(DIRECTIVES[kind] ?? [kind]), subject: kind, into, why });
  });
  flush();

  const headers: Obj = {};
  for (const [side, acc] of [["request", request], ["response", response]] as const) {
    const o: Obj = {};
    if (Object.keys(acc.set).length) o.set = acc.set;
    if (acc.remove.length) o.remove = [...new Set(acc.remove)];
    if (Object.keys(o).length) headers[side] = o;
  }
  if (Object.keys(headers).length) spec.headers = headers;
  if (!spec.authPolicy) spec.public = true;
  const internal = hosts.every((h) => c.internalHosts.has(h));
  spec.tls = !server.tls(hosts) ? { mode: "off" } : internal ? { mode: "internal" } : { mode: "auto" };
  if (verbatim.length) spec.caddyRoutes = verbatim;
  else if (!spec.upstreams) spec.caddyRoutes = [{ handle: [] }]; // a site with no handlers: Caddy's empty 200
  c.set.add("Route", name, spec);
  c.findings.push({ outcome: verbatim.length ? "verbatim" : "mapped", where: whereSite, subject: site, into, why: `${mapped.length ? `mapped ${[...new Set(mapped)].join(", ")}` : "nothing mapped"}${verbatim.length ? `; ${verbatim.length} verbatim Caddy route(s) in spec.caddyRoutes` : ""}; tls ${(spec.tls as Obj).mode as string}` });
  return true;
}

/** A server of the source and whether every one of its sites became a Route (what --adopt may take over). */
export interface ImportedServer {
  name: string;
  listen: string[];
  tls: boolean;
  complete: boolean;
}

/** Caddy JSON → resources and findings. */
export function importCaddyJson(config: unknown, src: CaddySource): ImportResult & { servers: ImportedServer[] } {
  const set = new ResourceSet();
  const findings: Finding[] = [];
  const lines = new Lines(src);
  const root = isObj(config) ? config : {};
  const apps = isObj(root.apps) ? root.apps : {};
  const internalHosts = new Set<string>();
  const tlsApp = isObj(apps.tls) ? apps.tls : {};
  const policies = isObj(tlsApp.automation) && Array.isArray(tlsApp.automation.policies) ? tlsApp.automation.policies : [];
  for (const p of policies) {
    if (!isObj(p) || !Array.isArray(p.issuers) || !p.issuers.some((i) => isObj(i) && i.module === "internal")) continue;
    for (const s of Array.isArray(p.subjects) ? p.subjects : []) internalHosts.add(String(s));
  }
  // The tls app beyond `tls internal` on sites: account and issuer settings are Hecate's Settings.
  policies.forEach((p, i) => {
    const issuers = isObj(p) && Array.isArray(p.issuers) ? p.issuers.filter(isObj) : [];
    if (issuers.length && issuers.every((x) => x.module === "internal")) return;
    const emails = [...new Set(issuers.map((x) => x.email).filter((e): e is string => typeof e === "string"))];
    const cas = issuers.map((x) => x.ca).filter((e): e is string => typeof e === "string");
    findings.push({ outcome: "refused", where: `${src.label}: apps.tls.automation.policies[${i}]`, subject: `tls automation (${issuers.map((x) => String(x.module)).join(", ") || "default issuers"}${emails.length ? `, email ${emails.join(", ")}` : ""})`, why: `ACME settings are Hecate's Settings, not routes: set ${[emails.length ? "spec.acme.email" : "", cas.length ? "spec.acme.ca" : ""].filter(Boolean).join(" and ") || "spec.acme"} in your settings.yaml` });
  });
  for (const k of keysOnly(tlsApp, ["automation"])) findings.push({ outcome: "refused", where: `${src.label}: apps.tls.${k}`, subject: `tls ${k}`, why: "not imported: Hecate writes Caddy's tls app from Certificates and Settings (hecate cert import for PEM files)" });
  const c: SiteCtx = { set, findings, lines, policies: new Map(), internalHosts };
  const imported: ImportedServer[] = [];
  for (const [app, v] of Object.entries(apps)) {
    if (app === "http" || app === "tls") continue;
    findings.push({ outcome: "refused", where: `${src.label}: apps.${app}`, subject: `app ${app}`, why: "Hecate drives Caddy's http app only; the other apps stay as they are in your Caddy" });
    void v;
  }
  const http = isObj(apps.http) ? apps.http : {};
  const servers = isObj(http.servers) ? http.servers : {};
  const httpPort = typeof http.http_port === "number" ? http.http_port : 80;
  for (const [sname, sv] of Object.entries(servers).sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!isObj(sv)) continue;
    const listen = Array.isArray(sv.listen) ? sv.listen.map(String) : [];
    // Caddy's automatic HTTPS: a server serves TLS when it has connection policies, or when it
    // listens on a port other than the HTTP port and a site's hosts are not skipped.
    const ah = isObj(sv.automatic_https) ? sv.automatic_https : {};
    const skip = new Set(Array.isArray(ah.skip) ? ah.skip.map(String) : []);
    const otherPort = listen.some((l) => Number(/:(\d+)$/.exec(l)?.[1] ?? 443) !== httpPort);
    const siteTls = (hosts: string[]) => sv.tls_connection_policies !== undefined || (ah.disable !== true && otherPort && !hosts.every((h) => skip.has(h)));
    const siteHosts = (Array.isArray(sv.routes) ? sv.routes : []).map((r) => {
      const m = isObj(r) && Array.isArray(r.match) && isObj(r.match[0]) ? r.match[0].host : undefined;
      return Array.isArray(m) ? m.map(String) : [];
    });
    const tls = siteHosts.some((h) => h.length > 0 && siteTls(h));
    const extras = keysOnly(sv, ["listen", "routes", "tls_connection_policies", "automatic_https"]);
    findings.push({
      outcome: extras.length ? "refused" : "mapped",
      where: `${src.label}: apps.http.servers.${sname}`,
      subject: `server ${sname} (${listen.join(" ")})`,
      why: `Hecate serves on Settings spec.caddy.${tls ? "listen/httpsPort" : "httpPort"}: set it to ${listen.join(", ")} to keep the same ports${extras.length ? `; server options ${extras.join(", ")} are not imported (server-wide settings are Hecate's)` : ""}`,
    });
    let complete = !extras.length;
    (Array.isArray(sv.routes) ? sv.routes : []).forEach((r, i) => {
      if (isObj(r)) complete = mapSite(r, `apps.http.servers.${sname}.routes[${i}]`, { tls: siteTls, ports: listen.map((l) => Number(/:(\d+)$/.exec(l)?.[1])) }, c) && complete;
      else complete = false;
    });
    imported.push({ name: sname, listen, tls, complete });
  }
  for (const [k] of Object.entries(root)) {
    if (k === "apps" || k === "admin") continue;
    findings.push({ outcome: "refused", where: `${src.label}: ${k}`, subject: k, why: "global Caddy options are not Hecate resources; they stay in your Caddy's own config" });
  }
  sharedHeaders(set, findings);
  return { source: src.label, resources: set.resources, findings, servers: imported };
}

/**
 * The same header operations on several sites (a snippet imported into each, once Caddy's adapter
 * has expanded it) become one headers Middleware the routes name, so a change is made once.
 */
function sharedHeaders(set: ResourceSet, findings: Finding[]): void {
  const groups = new Map<string, Obj[]>();
  for (const r of set.resources) {
    const h = r.kind === "Route" ? (r.spec as Obj).headers : undefined;
    if (h) groups.set(JSON.stringify(h), [...(groups.get(JSON.stringify(h)) ?? []), r.spec as Obj]);
  }
  for (const [key, specs] of groups) {
    if (specs.length < 2) continue;
    const h = JSON.parse(key) as Obj;
    const names = Object.values((h.response ?? h.request ?? {}) as Obj).flatMap((x) => (Array.isArray(x) ? x : Object.keys(x as Obj)));
    const name = set.name("Middleware", `headers-${names.join("-").toLowerCase()}`.slice(0, 50));
    set.add("Middleware", name, { type: "headers", ...h });
    for (const spec of specs) {
      delete spec.headers;
      spec.middleware = [name];
    }
    findings.push({ outcome: "mapped", where: "(several sites)", subject: "header", into: `Middleware/${name}`, why: `${specs.length} sites set the same headers (a snippet): one headers Middleware they all name` });
  }
}
