// The route noun: hosts and paths to upstreams, with auth, headers, middleware, TLS, maintenance.
import { nameForHost } from "../../model/name.js";
import { HecateError, UsageError } from "../../diag.js";
import type { Resource, RouteResource } from "../../model/schema.js";
import type { Flag } from "../core/define.js";
import { spec, type NounDef } from "./noun.js";
import { edit, editTargets, isAddress, kv, list, looksLikeHost, prune, targets, type Opts, type Target } from "./parse.js";

type RouteSpec = RouteResource["spec"];

const flags: Flag[] = [
  { flags: "--host <host>", description: "host name (repeat or comma-separate for several; *.example.com for a wildcard)", repeatable: true },
  { flags: "--domain <host>", description: "same as --host", repeatable: true, hidden: true },
  { flags: "--path <prefix>", description: "path prefix to match (repeatable; default all paths)", repeatable: true },
  { flags: "--upstream <address[,weight]|name>", description: "backend host:port with optional weight (repeatable), or the name of an Upstream resource", repeatable: true },
  { flags: "--lb-policy <policy>", description: "load balancing policy", choices: ["round_robin", "weighted_round_robin", "least_conn", "random", "first", "ip_hash", "uri_hash", "cookie"] },
  { flags: "--health-check <path>", description: "actively probe this path on each upstream" },
  { flags: "--health-check-interval <duration>", description: "time between active health checks (default 30s)" },
  { flags: "--upstream-tls", description: "speak TLS to the upstreams" },
  { flags: "--insecure-skip-verify", description: "do not verify the upstream's certificate (only for upstreams with their own self-signed certificate)" },
  { flags: "--auth-policy <name>", description: "require sign-in through this AuthPolicy" },
  { flags: "--public", description: "explicitly public: no authentication" },
  { flags: "--preset <name>", description: "application preset that fills defaults (see `hecate presets`)" },
  { flags: "--header-set <name=value>", description: "set a request header sent upstream (repeatable)", repeatable: true },
  { flags: "--header-remove <name>", description: "remove a request header before it goes upstream (repeatable)", repeatable: true },
  { flags: "--response-header-set <name=value>", description: "set a response header (repeatable)", repeatable: true },
  { flags: "--response-header-remove <name>", description: "remove a response header (repeatable)", repeatable: true },
  { flags: "--middleware <name>", description: "Middleware resource to apply, in order (repeatable)", repeatable: true },
  { flags: "--websockets", description: "allow WebSocket upgrades" },
  { flags: "--maintenance [message]", description: "answer 503 with this maintenance message" },
  { flags: "--tls <mode>", description: "certificate mode", choices: ["auto", "internal", "off"] },
  { flags: "--min-tls <version>", description: "lowest TLS version clients may use", choices: ["1.2", "1.3"] },
  { flags: "--hsts", description: "send Strict-Transport-Security (one year)" },
  { flags: "--ip-allow <cidr>", description: "only these client addresses may pass, others get 403 (repeatable)", repeatable: true },
  { flags: "--ip-deny <cidr>", description: "these client addresses get 403 (repeatable)", repeatable: true },
  { flags: "--dns-target <ip|host>", description: "manage DNS records for the hosts, pointing at this address" },
  { flags: "--dns-ttl <seconds>", description: "TTL of those records (default from Settings)" },
  { flags: "--sso-bypass <prefix>", description: "path prefix served without authentication (repeatable)", repeatable: true },
];

const updateFlags: Flag[] = [
  { flags: "--add-host <host>", description: "add a host", repeatable: true },
  { flags: "--remove-host <host>", description: "remove a host", repeatable: true },
  { flags: "--add-upstream <address[,weight]>", description: "add (or re-weight) a backend", repeatable: true },
  { flags: "--remove-upstream <address>", description: "remove a backend", repeatable: true },
  { flags: "--add-middleware <name>", description: "append a middleware", repeatable: true },
  { flags: "--remove-middleware <name>", description: "remove a middleware", repeatable: true },
  { flags: "--no-websockets", description: "disallow WebSocket upgrades" },
  { flags: "--no-maintenance", description: "end maintenance mode" },
];

/**
 * --upstream names an Upstream resource when one of that name exists (or the word has no port and
 * no preset could supply one); anything else is a backend address.
 */
function apply(s: RouteSpec | Partial<RouteSpec>, o: Opts, resources: readonly Resource[]): RouteSpec {
  const next: Partial<RouteSpec> = structuredClone(s);
  const hosts = [...(list(o.host) ?? []), ...(list(o.domain) ?? [])];
  next.hosts = edit(next.hosts, hosts.length ? hosts : undefined, list(o.addHost), list(o.removeHost)) as RouteSpec["hosts"];
  if (o.path !== undefined) next.paths = list(o.path);

  if (o.upstream !== undefined) {
    const given = list(o.upstream)!;
    const preset = o.preset ?? s.preset;
    const isUpstreamName = (g: string) =>
      resources.some((r) => r.kind === "Upstream" && r.metadata.name === g) || (!isAddress(g) && !/^\d+$/.test(g) && preset === undefined);
    const names = given.filter(isUpstreamName);
    if (names.length > 1 || (names.length === 1 && given.length > 1)) {
      throw new UsageError(`--upstream takes either backend addresses (host:port) or one Upstream name, got "${given.join(",")}"`);
    }
    if (names.length === 1) {
      next.upstream = names[0];
      delete next.upstreams;
    } else {
      next.upstreams = targets(o.upstream, "--upstream");
      delete next.upstream;
    }
  }
  if (o.addUpstream !== undefined || o.removeUpstream !== undefined) {
    next.upstreams = editTargets(next.upstreams as Target[] | undefined, undefined, targets(o.addUpstream, "--add-upstream"), list(o.removeUpstream));
    if (next.upstreams) delete next.upstream;
  }
  if (o.lbPolicy !== undefined) next.loadBalancing = { ...next.loadBalancing, policy: o.lbPolicy as never };
  if (o.healthCheck !== undefined) {
    next.healthCheck = { ...next.healthCheck, active: { ...next.healthCheck?.active, path: String(o.healthCheck) } };
  }

  if (o.healthCheckInterval !== undefined) {
    if (!next.healthCheck?.active) throw new UsageError("--health-check-interval needs --health-check PATH (now or already set)");
    next.healthCheck = { ...next.healthCheck, active: { ...next.healthCheck.active, interval: String(o.healthCheckInterval) } };
  }
  if (o.upstreamTls || o.insecureSkipVerify) {
    next.upstreamTls = { ...next.upstreamTls, enabled: true, ...(o.insecureSkipVerify ? { insecureSkipVerify: true } : {}) };
  }

  if (o.authPolicy !== undefined && o.public) throw new UsageError("--auth-policy and --public exclude each other");
  if (o.authPolicy !== undefined) {
    next.authPolicy = String(o.authPolicy);
    delete next.public;
  }
  if (o.public) {
    next.public = true;
    delete next.authPolicy;
  }
  if (o.preset !== undefined) next.preset = String(o.preset);

  const reqSet = kv(o.headerSet, "--header-set"), reqRemove = list(o.headerRemove);
  const resSet = kv(o.responseHeaderSet, "--response-header-set"), resRemove = list(o.responseHeaderRemove);
  if (reqSet || reqRemove || resSet || resRemove) {
    const h = next.headers ?? {};
    const ops = (cur: { set?: Record<string, string>; remove?: string[] } | undefined, set?: Record<string, string>, remove?: string[]) =>
      set || remove ? { set: set ? { ...cur?.set, ...set } : cur?.set, remove: edit(cur?.remove, undefined, remove) } : cur;
    next.headers = { request: ops(h.request, reqSet, reqRemove), response: ops(h.response, resSet, resRemove) };
  }

  if (o.middleware !== undefined) next.middleware = list(o.middleware);
  next.middleware = edit(next.middleware, undefined, list(o.addMiddleware), list(o.removeMiddleware));
  if (o.websockets === true) next.websockets = true;
  if (o.websockets === false) delete next.websockets;
  if (o.maintenance === false) delete next.maintenance;
  else if (o.maintenance !== undefined) {
    next.maintenance = { enabled: true, ...(typeof o.maintenance === "string" ? { message: o.maintenance } : {}) };
  }
  if (o.tls !== undefined) next.tls = { ...next.tls, mode: o.tls as "auto" | "internal" | "off" };
  if (o.minTls !== undefined) next.tls = { ...next.tls, minVersion: o.minTls as "1.2" | "1.3" };
  if (o.hsts) next.tls = { ...next.tls, hsts: true };
  if (o.ipAllow !== undefined || o.ipDeny !== undefined) {
    next.ipFilter = { ...next.ipFilter, ...(o.ipAllow !== undefined ? { allow: list(o.ipAllow) } : {}), ...(o.ipDeny !== undefined ? { deny: list(o.ipDeny) } : {}) };
  }
  if (o.dnsTarget !== undefined || o.dnsTtl !== undefined) {
    const ttl = o.dnsTtl === undefined ? undefined : Number(o.dnsTtl);
    if (ttl !== undefined && !Number.isInteger(ttl)) throw new UsageError(`--dns-ttl takes whole seconds, got "${String(o.dnsTtl)}"`);
    next.dns = { ...next.dns, ...(o.dnsTarget !== undefined ? { target: String(o.dnsTarget) } : {}), ...(ttl !== undefined ? { ttl } : {}) };
  }
  if (o.ssoBypass !== undefined) next.ssoBypass = list(o.ssoBypass);
  return prune(next) as RouteSpec;
}

export const route: NounDef = {
  noun: "route",
  plural: "routes",
  kind: "Route",
  aliases: [],
  summary: "hosts and paths proxied to upstreams, with auth and middleware",
  flags,
  updateFlags,
  /** `eos update hecate route api.example.com ...`: operators name sites by host. */
  findOther(resources, word) {
    const host = word.toLowerCase();
    const serving = resources.filter((x) => x.kind === "Route" && (x.spec as RouteSpec).hosts.some((h) => h.toLowerCase() === host));
    if (serving.length > 1) {
      throw new HecateError("ambiguous", `${serving.length} routes serve ${word} (${serving.map((x) => x.metadata.name).join(", ")}): name one of them`, { status: 409 });
    }
    return serving[0];
  },
  defaultName(o) {
    const first = [...(list(o.host) ?? []), ...(list(o.domain) ?? [])][0];
    if (!first) return undefined;
    return nameForHost(first);
  },
  create(name, o, _ctx, resources) {
    // `eos create hecate route --name api.example.com ...`: a name that is a host name is the host.
    if (o.host === undefined && o.domain === undefined && looksLikeHost(name)) o = { ...o, host: [name] };
    if (o.host === undefined && o.domain === undefined) throw new UsageError(`create route ${name} needs --host (or -f FILE)`);
    if (o.upstream === undefined) throw new UsageError(`create route ${name} needs --upstream (or -f FILE)`);
    return { spec: apply({}, o, resources) };
  },
  update(current, o, _ctx, resources) {
    return { spec: apply(current.spec as RouteSpec, o, resources) };
  },
  columns: [
    { header: "NAME", get: (r) => r.metadata.name },
    { header: "HOSTS", get: (r) => spec<RouteSpec>(r).hosts.join(",") },
    { header: "PATHS", get: (r) => spec<RouteSpec>(r).paths?.join(",") ?? "/" },
    {
      header: "UPSTREAMS",
      get: (r) => {
        const s = spec<RouteSpec>(r);
        return s.upstream ?? s.upstreams?.map((t) => (t.weight ? `${t.address}*${t.weight}` : t.address)).join(",") ?? (s.preset ? `(${s.preset})` : "-");
      },
    },
    { header: "AUTH", get: (r) => spec<RouteSpec>(r).authPolicy ?? (spec<RouteSpec>(r).public ? "public" : "-") },
    { header: "MIDDLEWARE", get: (r) => spec<RouteSpec>(r).middleware?.join(",") || "-" },
  ],
  examples: {
    create: [
      "hecate create route app --host app.example.com --upstream 10.0.0.5:8080 --auth-policy staff",
      "hecate create route cloud --host cloud.example.com --upstream 10.0.0.7:80,3 --upstream 10.0.0.8:80 --preset nextcloud --public",
      "hecate create route api -f route-api.yaml --dry-run",
    ],
    update: [
      "hecate update route app --upstream 10.0.0.6:8080",
      "hecate update route app --add-middleware rate-limit --maintenance 'Back at 14:00'",
      "hecate update route app --public -m 'open the docs site'",
    ],
  },
};
