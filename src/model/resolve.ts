// From checked documents to the ResolvedState compilers consume: presets applied, references
// followed, defaults filled in, cross-resource conflicts and compliance rules reported.
//
// Defaults applied here (documented once, used everywhere):
//   upstream weight 1; policy weighted_round_robin when weights differ, else round_robin;
//   active health check interval 30s, timeout 5s; passive (when given) failDuration 30s, maxFails 1;
//   tls.mode auto, minVersion 1.2, forceHttps true unless mode off; hsts off unless set, `true` =
//   maxAge 31536000 (1 year), includeSubdomains false, preload false;
//   streams: tcp connect 5s idle 10m; udp idle 30s; mail ports at least 10m; maxFails 1, failTimeout 10s;
//   auth policy mode forward_single, flow default-provider-authorization-implicit-consent, session 24h;
//   Settings: see DEFAULT_SETTINGS below.
import type { Diagnostic, SourcePos } from "../diag.js";
import { hasErrors, sortDiagnostics } from "../diag.js";
import { addressOf, checkDocument, type Where } from "./check.js";
import { Reporter, type Entry } from "./ctx.js";
import { deepFreeze } from "../store/rules.js";
import type { Located, PathSeg } from "./load.js";
import type { ResolvedRoute, ResolvedState } from "./resolved.js";
import type { Resource, SecretResource } from "./schema.js";
import { checkStrings } from "./validate.js";
import { resolveAuthPolicies } from "./resolve/auth.js";
import { resolveCertificates } from "./resolve/certificates.js";
import { checkCookieDomains, checkHostCollisions, HostIndex } from "./resolve/collisions.js";
import { checkCompliance } from "./resolve/compliance.js";
import { Catalog, keepClean, type CatalogMemo, type ResolveCtx } from "./resolve/context.js";
import { resolveDns } from "./resolve/dns.js";
import { resolveMiddleware } from "./resolve/middleware.js";
import { byName } from "./resolve/order.js";
import { resolveUpstreams } from "./resolve/pools.js";
import { resolveRoute, routeUnits, type RouteUnit } from "./resolve/routes.js";
import { checkSecretRefs } from "./resolve/secrets.js";
import { resolveSettings } from "./resolve/settings.js";
import { checkStreamPorts, resolveStreams } from "./resolve/streams.js";

export { DEFAULT_SECURITY_HEADERS, DEFAULT_SETTINGS, DEFAULT_TRUSTED_PROXIES } from "./resolve/settings.js";
export { RATE_LIMIT_MODULE } from "./resolve/middleware.js";

export interface ResolveOptions {
  /** Clock for compliance exemptions (default: now). */
  now?: Date;
  /** What an earlier call left: documents checked and routes resolved then are not again. */
  memo?: ResolveMemo;
}

/**
 * What a resolver keeps between calls (a server's EngineMemory): work done for a document that
 * reported nothing, keyed by the deep-frozen object it was read as (a YAML document read before,
 * a body read back from the store), so a state that differs in one route costs one route's
 * checks, not 10,000. Only clean work is kept, so no diagnostic is ever skipped, and a route's
 * resolution only while every other resource is the very same object (its context: a route
 * resolves from its own body and the non-route resources alone, see resolveEntries).
 */
export class ResolveMemo {
  /** The checked (schema-parsed, deep-frozen) resource of a frozen document. */
  readonly checked = new ListMemo<Resource>();
  /** Checked resources whose strings passed checkStrings. */
  readonly strings = new ListMemo<true>();
  /** A route's unit parts (preset merged, hosts normalized): they depend on the route alone. */
  readonly units = new ListMemo<Omit<RouteUnit, "entry">>();
  /** Where each kind and name was in the last catalog. */
  readonly catalog: CatalogMemo = {};
  /** Every host+path of the last clean pass over the routes, by the route serving it. */
  readonly hosts = new HostIndex();
  /** Routes resolved in `context` (the non-route resources, in order), by checked resource. */
  routes?: { context: readonly Resource[]; resolved: ListMemo<ResolvedRoute> };

  /**
   * Hand out `to` instead of `from`, the route resolved at place i of the last pass: an equal
   * route another state holds (Core.share), so the next state holds it too.
   */
  adopt(i: number, from: ResolvedRoute, to: ResolvedRoute): void {
    this.routes?.resolved.replace(i, from, to);
  }

  /** The resolved routes of this context, forgetting those of another. */
  routesIn(context: readonly Resource[]): ListMemo<ResolvedRoute> {
    const same = this.routes && this.routes.context.length === context.length && this.routes.context.every((r, i) => r === context[i]);
    if (!same) this.routes = { context, resolved: new ListMemo() };
    return this.routes!.resolved;
  }
}

/**
 * Work kept per object (a frozen document, a checked resource) between calls, for one list read
 * in order: an object at the same place as in the last call's list is found by comparing
 * pointers, any other through a WeakMap. At 10,000 routes a pass of WeakMap lookups costs
 * ≈ 8 ms on a server's large heap, the comparisons a small fraction of that.
 */
export class ListMemo<V> {
  private readonly byObject = new WeakMap<object, V>();
  private last: { keys: readonly object[]; values: readonly (V | undefined)[] } = { keys: [], values: [] };
  private keys: object[] = [];
  private values: (V | undefined)[] = [];

  /** What is kept for `key`, the i-th object of the list being read (undefined: nothing); found, it is kept for the next pass too. */
  get(i: number, key: object): V | undefined {
    const value = this.last.keys[i] === key ? this.last.values[i] : this.byObject.get(key);
    if (value !== undefined) this.note(i, key, value);
    return value;
  }

  /** Keep `value` for `key`, the i-th object of this pass (work that reported nothing). */
  keep(i: number, key: object, value: V): void {
    this.byObject.set(key, value);
    this.note(i, key, value);
  }

  /** What the last pass kept at place i becomes `to`, if it is `from`. */
  replace(i: number, from: V, to: V): void {
    if (this.last.values[i] !== from) return;
    (this.last.values as (V | undefined)[])[i] = to;
    this.byObject.set(this.last.keys[i]!, to);
  }

  /** Note the i-th object of this pass and what is kept for it, for the next pass's get(). */
  private note(i: number, key: object, value: V): void {
    this.keys[i] = key;
    this.values[i] = value;
  }

  /** The pass is over: its list is the one the next pass compares with. */
  settle(length: number): void {
    this.keys.length = this.values.length = length;
    this.last = { keys: this.keys, values: this.values };
    this.keys = [];
    this.values = [];
  }
}

export interface ResolveResult {
  state?: ResolvedState;
  diagnostics: Diagnostic[];
}

/** Where a located document is: one object per document (no closures), as there are 10,000. */
class DocWhere implements Where {
  constructor(
    readonly address: string,
    private readonly item: Located,
  ) {}

  pos(p: PathSeg[]): SourcePos {
    return this.item.pos(p);
  }

  keyPos(p: PathSeg[]): SourcePos {
    return this.item.keyPos ? this.item.keyPos(p) : this.item.pos(p);
  }
}

const isLocated = (x: unknown): x is Located => !!x && typeof x === "object" && "pos" in x && "file" in x && "resource" in x;

/** Checks every document (schema, then semantics) and builds the resolved state when there is no error. */
export function resolveState(input: readonly Located[] | readonly Resource[], opts: ResolveOptions = {}): ResolveResult {
  const rep = new Reporter();
  const entries: Entry[] = [];
  const list = input as readonly unknown[];
  for (let i = 0; i < list.length; i++) {
    const item = list[i];
    const located = isLocated(item);
    const raw = located ? item.resource : item;
    const address = addressOf(raw) ?? (located ? `${item.file}#${item.docIndex}` : "document");
    const w: Where = located ? new DocWhere(address, item) : { address };
    // A document checked clean before (the usual case on a server): no result object per document.
    const seen = opts.memo && raw && typeof raw === "object" ? opts.memo.checked.get(i, raw) : undefined;
    if (seen) {
      entries.push({ resource: seen, where: w, address });
      continue;
    }
    const r = check(raw, w, opts.memo, i);
    if (r.diagnostics.length) rep.diagnostics.push(...r.diagnostics);
    if (r.resource) entries.push({ resource: r.resource, where: w, address });
  }
  opts.memo?.checked.settle(list.length);
  const state = resolveEntries(rep, entries, opts.now ?? new Date(), opts.memo);
  const diagnostics = sortDiagnostics(dedupe(rep.diagnostics));
  return hasErrors(diagnostics) ? { diagnostics } : { state, diagnostics };
}

/** A document not found checked before; `i`: its place in the list (ListMemo). */
function check(raw: unknown, w: Where, memo: ResolveMemo | undefined, i: number): ReturnType<typeof checkDocument> {
  if (!memo || !raw || typeof raw !== "object") return checkDocument(raw, w);
  const r = checkDocument(raw, w);
  if (Object.isFrozen(raw) && r.resource && !r.diagnostics.length) memo.checked.keep(i, raw, deepFreeze(r.resource));
  return r;
}

function dedupe(diags: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diags.filter((d) => {
    const k = `${d.severity}|${d.message}|${d.pos?.file}:${d.pos?.line}:${d.pos?.col}|${d.address}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** The steps in dependency order: Settings first (others default from it), routes after what they refer to. */
function resolveEntries(rep: Reporter, entries: Entry[], now: Date, memo?: ResolveMemo): ResolvedState {
  const catalog = new Catalog(rep, entries, memo?.catalog);
  const ctx: ResolveCtx = { rep, catalog, settings: resolveSettings(rep, catalog) };
  const strings = memo?.strings;
  entries.forEach((e, i) => {
    if (strings?.get(i, e.resource)) return;
    const kind = e.resource.kind;
    keepClean(rep, e.resource, strings && ((r) => strings.keep(i, r, true)), () => checkStrings(rep, e, kind === "Route" || kind === "Upstream" || kind === "Middleware" || kind === "Settings"));
  });
  strings?.settle(entries.length);
  checkSecretRefs(ctx, entries);
  const refs = {
    middleware: resolveMiddleware(ctx),
    authPolicies: resolveAuthPolicies(ctx),
    upstreams: resolveUpstreams(ctx),
    certificates: resolveCertificates(ctx),
  };
  const units = routeUnits(ctx, memo?.units);
  // A route resolves from its own body and the resources that are not routes (settings,
  // upstreams, middleware, auth policies, certificates): with those the same objects, a route
  // resolved clean before resolves to what it did then.
  const resolved = memo?.routesIn(entries.filter((e) => e.resource.kind !== "Route").map((e) => e.resource));
  const routes = units
    .map((u, i) => resolved?.get(i, u.entry.resource) ?? keepClean<ResolvedRoute | undefined>(rep, u.entry.resource, resolved && ((r, v) => v && resolved.keep(i, r, v)), () => resolveRoute(ctx, u, refs)))
    .filter((r): r is ResolvedRoute => !!r);
  resolved?.settle(units.length);
  checkHostCollisions(ctx, units, memo?.hosts);
  checkCookieDomains(ctx, units, refs.authPolicies);
  const streams = resolveStreams(ctx);
  checkStreamPorts(ctx, streams);
  const dnsRecords = resolveDns(ctx, routes);
  checkCompliance(ctx, routes, now);
  return {
    settings: ctx.settings,
    // In name order already: units are the catalog's routes by name (one per name), and a resolved
    // route carries its resource's name. Sorting 10,000 again touched every route object.
    routes,
    streams: streams.map((s) => s.resolved).sort(byName),
    dnsRecords,
    authPolicies: [...refs.authPolicies.values()].sort(byName),
    certificates: [...refs.certificates.values()].sort(byName),
    secrets: catalog
      .list<SecretResource>("Secret")
      .map((e) => ({
        name: e.resource.metadata.name,
        from: e.resource.spec.from,
        ...(e.resource.spec.rotateEvery ? { rotateEvery: e.resource.spec.rotateEvery } : {}),
        ...(e.resource.spec.grace ? { grace: e.resource.spec.grace } : {}),
      }))
      .sort(byName),
  };
}
