// What every verb of the engine shares: the store, who acts, how providers are built, secrets,
// the timeout, and resolved states kept for reuse. The verbs (plan.ts, apply.ts, drift.ts,
// history.ts) are functions over one Core.
import { HecateError, hasErrors, type Diagnostic } from "../diag.js";
import { resolveState } from "../model/index.js";
import { obtainedByHecate, type ResolvedRoute, type ResolvedState } from "../model/resolved.js";
import { generationOf, listIssued, obtainReason, type IssuedCertificate } from "../certs/issued.js";
import { openGraces, secretVersions } from "../secrets/rotate.js";
import type { Resource } from "../model/schema.js";
import { providersFor, type ProvidersForOptions } from "../providers/index.js";
import type { Provider, ProviderContext, SecretResolver, SystemName } from "../providers/provider.js";
import { knownHash } from "../store/content.js";
import { createSecretResolver } from "../store/secrets.js";
import type { Fence, Revision, Store } from "../store/store.js";
import { newHolder } from "./lock.js";
import { EngineMemory } from "./memory.js";
import type { DocumentCache } from "../model/doc-cache.js";
import type { ResolveMemo } from "../model/resolve.js";
import { resolveRevision } from "./revision-ref.js";
import { errorText, withTimeout } from "./transaction.js";

/** Builds the providers for a desired state; the default is providersFor (the registry). */
export type ProviderFactory = (
  state: ResolvedState,
  opts: ProvidersForOptions,
) => Provider[] | { providers: Provider[]; diagnostics: Diagnostic[] };

export interface EngineOptions {
  store: Store;
  /** Who acts by default (user name, token name): recorded as author and in the audit log. */
  actor: string;
  providers?: ProviderFactory;
  /** Secret resolver; default resolves secret:/env:/file: through the store. */
  secrets?: SecretResolver | ((resources: Resource[]) => SecretResolver);
  /** Longest a single provider operation (apply, undo, read, verify) may take (default 120 s). */
  stepTimeoutMs?: number;
  /** Lock holder id; default actor@host/pid/random. */
  holder?: string;
  /** The apply lock's lease (default 30 s, renewed every 10 s): how soon a dead holder's lock lapses. */
  lease?: { ttlMs?: number; renewEveryMs?: number };
  /** What the engine keeps between calls; pass one to engines on the same store to share it (memory.ts). */
  memory?: EngineMemory;
}

/** Desired state to plan or apply: a stored revision, or resources not stored (yet). */
export interface Target {
  hash: string;
  resources: Resource[];
  /** Set when the target is stored. */
  revision?: Revision;
}

export class Core {
  readonly store: Store;
  readonly actor: string;
  readonly holder: string;
  readonly timeoutMs: number;
  readonly lease: { ttlMs?: number; renewEveryMs?: number };
  readonly factory: ProviderFactory;
  private readonly secretsOpt: EngineOptions["secrets"];
  /** What this engine keeps between calls, perhaps shared with other engines on the same store. */
  private readonly memory: EngineMemory;

  constructor(opts: EngineOptions) {
    this.store = opts.store;
    this.actor = opts.actor;
    this.holder = opts.holder ?? newHolder(opts.actor);
    this.factory = opts.providers ?? providersFor;
    this.secretsOpt = opts.secrets;
    this.timeoutMs = opts.stepTimeoutMs ?? 120_000;
    this.lease = opts.lease ?? {};
    this.memory = opts.memory ?? new EngineMemory();
  }

  /** Documents checked and routes resolved before (resolveChecked reuses them). */
  get resolveMemo(): ResolveMemo {
    return this.memory.resolveMemo;
  }

  /** YAML documents read before (a source of files sent as text reuses them). */
  get documents(): DocumentCache {
    return this.memory.documents;
  }

  revisionOrHead(ref?: string): Promise<Revision> {
    return resolveRevision(this.store, ref ?? "head");
  }

  /** The resolved state of a target; throws "invalid" with the diagnostics when it does not resolve. */
  resolve(t: { hash: string; resources: Resource[] }): ResolvedState {
    const cached = this.memory.states.get(t.hash);
    if (cached) return cached;
    const { state, diagnostics } = resolveState(t.resources, { memo: this.memory.resolveMemo });
    if (!state || hasErrors(diagnostics)) {
      throw new HecateError("invalid", `revision ${t.hash.slice(0, 12)} does not resolve`, { diagnostics });
    }
    this.remember(t.hash, state, t.resources);
    return state;
  }

  /**
   * Give `state` the resolved route objects of the state resolved before it, for every route
   * whose stored body is the same, when every other resource is the same too: a route resolves
   * from its own body and the other kinds (Settings, Upstreams, policies, middleware) only, so
   * the objects are equal, and sharing them lets compile see an unchanged route by identity
   * instead of comparing 10,000 of them field by field. Only bodies read back from the store
   * (content hash known, no file positions) take part.
   */
  private share(resources: readonly Resource[], state: ResolvedState): void {
    if (this.shareAligned(resources, state)) return;
    const others: string[] = [];
    const routes = new Map<string, string>();
    for (const r of resources) {
      const hash = knownHash(r);
      if (hash === undefined) return;
      if (r.kind === "Route") routes.set(r.metadata.name, hash);
      else others.push(hash);
    }
    const context = others.sort().join(",");
    const before = this.memory.shared?.context === context ? this.memory.shared.routes : undefined;
    const byHash = new Map<string, ResolvedRoute>();
    state.routes.forEach((r, i) => {
      const hash = routes.get(r.name);
      if (hash === undefined) return;
      const seen = before?.get(hash);
      if (seen && seen.name === r.name) this.adopt(state, i, seen);
      byHash.set(hash, state.routes[i]!);
    });
    this.memory.shared = { context, routes: byHash, resources, list: state.routes };
  }

  /**
   * share() for resources that differ from the last ones shared only in a few routes, each under
   * the name it had (a one-route change): the state's routes line up by place with the last
   * state's, so the unchanged ones are found by comparing pointers, not by a pass of hash
   * lookups over 10,000 routes. False (nothing done) when the lists differ in any other way.
   */
  private shareAligned(resources: readonly Resource[], state: ResolvedState): boolean {
    const last = this.memory.shared;
    const routes = state.routes;
    if (!last || last.resources.length !== resources.length || last.list.length !== routes.length) return false;
    const changed = new Map<string, { now: string; was: string; at?: number }>(); // body hashes by route name, and where the route is
    for (let i = 0; i < resources.length; i++) {
      const now = resources[i]!;
      const was = last.resources[i]!;
      if (now === was) continue;
      if (changed.size >= 64 || now.kind !== "Route" || was.kind !== "Route" || now.metadata.name !== was.metadata.name) return false;
      const hashes = { now: knownHash(now), was: knownHash(was) };
      if (hashes.now === undefined || hashes.was === undefined) return false;
      changed.set(now.metadata.name, hashes as { now: string; was: string });
    }
    // The other resources are the same objects: the context is the last one, and so are the
    // route names, so the routes are in the same places.
    const found: [number, ResolvedRoute][] = [];
    for (let i = 0; i < routes.length; i++) {
      const r = routes[i]!;
      const before = last.list[i]!;
      if (r === before) continue;
      if (r.name !== before.name) return false;
      const c = changed.get(r.name);
      if (!c) found.push([i, before]); // the same body as then: the route the last state holds
      else {
        c.at = i;
        const seen = last.routes.get(c.now);
        if (seen && seen.name === r.name) found.push([i, seen]);
      }
    }
    if ([...changed.values()].some((c) => c.at === undefined)) return false; // a changed body resolved to the route it had: not a change this path knows
    for (const [i, r] of found) this.adopt(state, i, r);
    for (const c of changed.values()) last.routes.delete(c.was);
    for (const c of changed.values()) last.routes.set(c.now, routes[c.at!]!);
    this.memory.shared = { context: last.context, routes: last.routes, resources, list: routes };
    return true;
  }

  /** Route i of `state` becomes `r`, an equal route another state holds; the resolve memo hands that one out from now on. */
  private adopt(state: ResolvedState, i: number, r: ResolvedRoute): void {
    this.memory.resolveMemo.adopt(i, state.routes[i]!, r);
    state.routes[i] = r;
  }

  /**
   * Keep a few resolved states (head, last applied, one more): resolving 10k routes is not free.
   * `resources`: what `state` was resolved from, as the store holds them (see share).
   */
  remember(hash: string, state: ResolvedState, resources?: readonly Resource[]): void {
    if (resources) this.share(resources, state);
    this.memory.states.delete(hash);
    this.memory.states.set(hash, state);
    while (this.memory.states.size > 4) this.memory.states.delete(this.memory.states.keys().next().value!);
  }

  /** The state live before: `live` resolved, else nothing at all; undefined if it no longer resolves. */
  previousState(live: Revision | undefined, like: ResolvedState): ResolvedState | undefined {
    if (!live) return emptyState(like);
    try {
      return this.resolve(live);
    } catch {
      return undefined; // restore then relies on the providers' own undo records
    }
  }

  /**
   * The hash of the revision last applied to `system`: `live` when it was read for exactly that
   * system (`selected`), else the store's mark for it.
   */
  async appliedHash(system: SystemName, selected: readonly SystemName[] | undefined, live: Revision | null | undefined): Promise<string | undefined> {
    if (selected?.length === 1 && selected[0] === system && live !== undefined) return live?.hash;
    return (await this.store.lastApplied(system))?.hash;
  }

  /**
   * What is live on these systems: the revision last applied to them when they all had the same
   * one since it was applied to them alone (`apply --system`), else the revision applied to every
   * system. It decides which systems are still in play and what a failed apply restores.
   */
  async liveFor(systems: readonly SystemName[] | undefined): Promise<Revision | null> {
    const all = (await this.store.lastApplied()) ?? null;
    if (!systems?.length) return all;
    const own = await Promise.all(systems.map((s) => this.store.lastApplied(s)));
    return own[0] && own.every((r) => r?.hash === own[0]!.hash) ? own[0] : all;
  }

  /** Providers for a state, selected; `previous` keeps a system in play that still holds objects. */
  providers(
    state: ResolvedState,
    sel: ProvidersForOptions,
    previous?: ResolvedState | (() => ResolvedState | undefined),
  ): { providers: Map<SystemName, Provider>; diagnostics: Diagnostic[] } {
    const opts: ProvidersForOptions = { ...sel };
    if (typeof previous === "function") {
      // Resolved on first read: providersFor needs it only for systems with no demand now.
      let memo: { s: ResolvedState | undefined } | undefined;
      Object.defineProperty(opts, "previous", { enumerable: true, configurable: true, get: () => (memo ??= { s: previous() }).s });
    } else if (previous) opts.previous = previous;
    const built = this.factory(state, opts);
    const list = Array.isArray(built) ? built : built.providers;
    const diagnostics = Array.isArray(built) ? [] : built.diagnostics;
    const providers = new Map<SystemName, Provider>();
    for (const p of list) {
      if (sel.systems && !sel.systems.includes(p.system)) continue;
      if (sel.exclude?.includes(p.system)) continue;
      providers.set(p.system, p);
    }
    return { providers, diagnostics };
  }

  /** Providers for a target against the last applied revision (or `live` when the caller read it). */
  async providersFor(t: Target, sel: ProvidersForOptions, live?: Revision | null): Promise<{ providers: Map<SystemName, Provider>; diagnostics: Diagnostic[] }> {
    const state = this.resolve(t);
    const applied = live === undefined ? ((await this.liveFor(sel.systems)) ?? undefined) : (live ?? undefined);
    const previous = (): ResolvedState | undefined => {
      try {
        return this.resolve(applied!);
      } catch {
        return undefined; // an old revision that no longer resolves must not block new ones
      }
    };
    return this.providers(state, sel, applied && applied.hash !== t.hash ? previous : undefined);
  }

  /**
   * A provider's compile of a state, handed the memo of this system's last compile so it can
   * compile only what changed since (the output is the same as without it).
   */
  compile(p: Provider, state: ResolvedState, issued?: IssuedView): { desired: unknown; diagnostics: Diagnostic[] } {
    const c = p.compile(this.withIssued(state, issued), this.memory.compileMemos.get(p.system));
    if (c.memo !== undefined) this.memory.compileMemos.set(p.system, c.memo);
    else this.memory.compileMemos.delete(p.system);
    return { desired: c.desired, diagnostics: c.diagnostics };
  }

  /**
   * Read which certificates Hecate holds now (before a plan or drift compiles `state`); no store
   * read when the state has none that Hecate obtains itself. `obtain`: the certs provider is in
   * play, so what is missing, covers other hosts or is due (at `now`) is obtained by this apply,
   * and Caddy's config names the generation it will get.
   */
  async refreshIssued(state: ResolvedState, opts: { obtain?: boolean; now?: number } = {}): Promise<IssuedView> {
    if (state.secrets.some((s) => s.from === "store")) [this.memory.graces, this.memory.versions] = await Promise.all([openGraces(this.store), secretVersions(this.store)]);
    const view: IssuedView = { held: new Map(), obtain: opts.obtain ?? false, ...(opts.now !== undefined ? { now: opts.now } : {}) };
    if (!state.certificates.some(obtainedByHecate)) return view;
    return { ...view, held: new Map((await listIssued(this.store)).map((c) => [c.name, c])) };
  }

  /** The state with the held (or about to be obtained) generation of each Hecate-held certificate filled in. */
  private withIssued(state: ResolvedState, issued: IssuedView | undefined): ResolvedState {
    state = this.withGraces(state);
    if (!issued || !state.certificates.some(obtainedByHecate)) return state;
    const certificates = state.certificates.map((c) => {
      if (!obtainedByHecate(c)) return c;
      const held = issued.held.get(c.name);
      const obtain = issued.obtain ? obtainReason(c, held, issued.now) : undefined;
      if (obtain) return { ...c, issued: { generation: generationOf(held) + 1, obtain } };
      return held ? { ...c, issued: { generation: generationOf(held) } } : c;
    });
    return { ...state, certificates };
  }

  /** The state with open grace windows of rotated store Secrets filled in (src/secrets/rotate.ts). */
  private withGraces(state: ResolvedState): ResolvedState {
    const until = new Map([...this.memory.graces].filter(([, u]) => Date.parse(u) > Date.now()));
    if (!state.secrets.some((s) => s.from === "store" && (until.has(s.name) || this.memory.versions.has(s.name)))) return state;
    return {
      ...state,
      secrets: state.secrets.map((s) => {
        if (s.from !== "store") return s;
        const v = this.memory.versions.get(s.name), u = until.get(s.name);
        return v || u ? { ...s, ...(v ? { version: v } : {}), ...(u ? { graceUntil: u } : {}) } : s;
      }),
    };
  }

  secretsFor(resources: Resource[]): SecretResolver {
    const s = this.secretsOpt;
    if (typeof s === "function") return s(resources);
    if (s) return s;
    return createSecretResolver(this.store, resources);
  }

  /** `fence` and `actor`: an apply's, for providers that write to the store (held certificates). */
  ctx(resources: Resource[], signal?: AbortSignal, fence?: Fence, actor = this.actor): ProviderContext {
    return { secrets: this.secretsFor(resources), memo: this.memory.providerMemo, store: { store: this.store, actor, ...(fence ? { fence } : {}) }, ...(signal ? { signal } : {}) };
  }

  /**
   * Read every system; when some cannot be read, one error names all of them, together with any
   * errors already known (`known`, e.g. a system not built yet), so the operator sees every
   * problem at once.
   */
  async readAll(providers: Map<SystemName, Provider>, ctx: ProviderContext, known: Diagnostic[] = []): Promise<Map<SystemName, unknown>> {
    const list = [...providers.values()];
    // Only a provider that confirms what it assumed may answer from what it left (Provider.confirm).
    const { assume, ...reading } = ctx;
    const settled = await Promise.allSettled(
      list.map((p) => withTimeout(`read of ${p.system}`, this.timeoutMs, ctx.signal, (signal) => p.read({ ...(p.confirm && assume ? ctx : reading), signal }))),
    );
    const failed = settled.flatMap((r, i) => (r.status === "rejected" ? [{ system: list[i]!.system, error: errorText(r.reason) }] : []));
    if (failed.length) {
      const messages = failed.map((f) => `cannot read the current ${f.system} state: ${f.error}`);
      const others = known.filter((d) => d.severity === "error");
      throw new HecateError("read-failed", messages.join("; "), {
        status: 502,
        ...(failed.length > 1 || others.length ? { diagnostics: [...others, ...failed.map((f, i) => ({ severity: "error" as const, code: "read-failed", message: messages[i]! }))] } : {}),
      });
    }
    return new Map(list.map((p, i) => [p.system, (settled[i] as PromiseFulfilledResult<unknown>).value] as const));
  }
}

/**
 * The certificates Hecate holds as one plan saw them (Core.refreshIssued), and whether that plan
 * obtains what is missing, covers other hosts or is due at `now`: per call, so two plans running
 * side by side (one with the certs system, one without) never see each other's.
 */
export interface IssuedView {
  held: Map<string, IssuedCertificate>;
  obtain: boolean;
  now?: number;
}

/** Nothing desired, same settings: what a system held before Hecate's first apply. */
export function emptyState(like: ResolvedState): ResolvedState {
  return { settings: like.settings, routes: [], streams: [], dnsRecords: [], authPolicies: [], certificates: [], secrets: [] };
}

export function targetOf(rev: Revision): Target {
  return { hash: rev.hash, resources: rev.resources, revision: rev };
}
