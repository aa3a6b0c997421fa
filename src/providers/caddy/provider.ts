// The Caddy provider: reads Hecate's part of every node's live config, diffs it per route, and
// applies it as one If-Match-guarded whole-config swap per node, never touching what it does not own;
// a plan that only updates a route or two is applied as @id-addressed guarded PATCHes instead.
import { createHash } from "node:crypto";
import type { Diagnostic } from "../../diag.js";
import { HecateError } from "../../diag.js";
import type { ResolvedSettings, ResolvedState } from "../../model/resolved.js";
import { compileCaddyFrom, type CaddyCompileMemo, type ReplacedObjects } from "../../compile/caddy/compile.js";
import { resolveSecrets, secretRefs } from "../../compile/caddy/secrets.js";
import type { CaddyOwned, CaddyTarget } from "../../compile/caddy/types.js";
import { diffKeyed, normalize, sameNormalized, sameValue } from "../differ.js";
import { REDACTED_MARKER } from "../../secret.js";
import { canonicalJson } from "../../model/canonical-json.js";
import type { ApplyContext, Change, ChangeRecord, NodeReport, Provider, ProviderContext } from "../provider.js";
import { adminOptions, CaddyClient, CHANGED_MESSAGE, type LiveConfig } from "./client.js";
import { diffOwned, objectItems, ownedItems, type OwnedItem } from "./diff.js";
import { errorMessage, isDown, majority, quorumError, validateEverywhere, type DownNode } from "./fleet.js";
import { DEFAULT_SERVER, ID_PREFIX, type OwnedConfig, caddyText, canonical, extractOwned, isObject, isOwnedServerName, markNormalized, mergeOwned, normalizeOwnedObject, ownedId } from "./owned.js";

/**
 * What read() returns: plain data (no secrets, no foreign config), safe to print and journal.
 * The whole live configs it was read from travel with it in a private field, which never
 * serializes, so apply works on exactly what the plan saw without reading again.
 */
export class CaddyActual {
  readonly #live: LiveNode[];
  readonly #proven: WeakMap<object, object>;
  readonly #memo: ActualMemo;
  readonly #down: DownNode[];
  readonly #left: Left | undefined;
  #confirmed: { id: string; now: { value: unknown; text: string; etag: string }; targets: PatchTarget[] } | undefined;
  constructor(
    /** Hecate's part of the first node's config, normalized, secrets redacted. */
    readonly owned: OwnedConfig,
    /** Every node read, in settings order, with the Etag its config had (for If-Match). */
    readonly nodes: { endpoint: string; etag: string }[],
    /** Problems found while reading, e.g. nodes of a fleet that disagree. */
    readonly diagnostics: Diagnostic[],
    live: LiveNode[],
    memo?: ActualMemo,
    /** Nodes of the fleet that did not answer (fewer than half of them: else read fails). */
    down: DownNode[] = [],
    /** Set when this reading is what this Engine's last verified write left, not a read (see assumedActual). */
    left?: Left,
  ) {
    this.#left = left;
    this.#down = down;
    this.#live = live;
    this.#memo = memo ?? { proven: new WeakMap() };
    this.#proven = this.#memo.proven;
  }
  /** ownedItems(config), computed once per config and config text read (configs are not modified once built). */
  itemsOf(config: OwnedConfig): OwnedItem[] {
    const items = (this.#memo.items ??= new WeakMap());
    let out = items.get(config);
    if (!out) items.set(config, (out = ownedItems(config)));
    return out;
  }
  /**
   * sha256 of this reading's canonical JSON (what fingerprint() of the engine computes for any
   * value, byte for byte), with the canonical text of `owned` kept for every reading of the
   * same config text: 3 MB are serialized once, not at every plan.
   */
  fingerprint(): string {
    // What this Engine's last write left is not a reading of Caddy: it matches no read (restore
    // then compares with the earlier revision instead), and hashing 1.6 MB for that would be waste.
    if (this.#left) return `assumed: left by the verified apply of ${this.#left.revision}`;
    const owned = ownedJsonOf(this.#memo, this.owned);
    const text = `{"diagnostics":${canonicalJson(this.diagnostics)},"nodes":${canonicalJson(this.nodes)},"owned":${owned}}`;
    const last = this.#memo.fingerprint;
    if (last && last.text === text) return last.hash;
    const hash = createHash("sha256").update(text).digest("hex");
    this.#memo.fingerprint = { text, hash };
    return hash;
  }
  /**
   * Objects of `owned` already found equal (sameNormalized) to a desired object, by identity:
   * a diff against a desired config that shares objects with an earlier one (incremental
   * compile) compares only what is new. Shared by every Actual read from the same text.
   */
  provenSame(): (a: unknown, b: unknown) => boolean {
    const proven = this.#proven;
    return (a, b) => {
      if (typeof a !== "object" || a === null || typeof b !== "object" || b === null) return sameNormalized(a, b);
      if (proven.get(a) === b) return true;
      if (!sameNormalized(a, b)) return false;
      proven.set(a, b);
      return true;
    };
  }
  /** The live configs behind this reading (foreign config and resolved secrets included). */
  live(): LiveNode[] {
    return this.#live;
  }
  /** Nodes of the fleet that did not answer this read. */
  down(): DownNode[] {
    return this.#down;
  }
  /** What this Engine's last verified write left, when this reading is that instead of a read. */
  assumed(): Left | undefined {
    return this.#left;
  }
  /** The one object the plan changes, as confirm read it back (its own Etag guards the PATCH). */
  confirmed(): { id: string; now: { value: unknown; text: string; etag: string }; targets: PatchTarget[] } | undefined {
    return this.#confirmed;
  }
  confirm(id: string, now: { value: unknown; text: string; etag: string }, targets: PatchTarget[]): void {
    this.#confirmed = { id, now, targets };
  }
}

/** What apply reports per node, so undo can put that node back, even from another process. */
export interface CaddyUndo {
  endpoint: string;
  /** The node's whole config before apply (it may hold resolved secrets: the record is sealed). */
  previous: unknown;
  /**
   * sha256 of the exact text Hecate loaded, in Caddy's own encoding: undo refuses to overwrite a
   * node whose config no longer is that (someone changed it since).
   */
  appliedHash: string;
}

/**
 * What apply reports per node and object it PATCHed by @id (change kind "route", id the @id,
 * ids.endpoint the node), so undo can put that one object back, even from another process.
 */
export interface CaddyObjectUndo {
  endpoint: string;
  /** The object's @id. */
  id: string;
  /** The object before the PATCH, as Caddy held it (it may hold resolved secrets: sealed). */
  previous: unknown;
  /** sha256 of the exact text PATCHed: undo refuses to overwrite an object that no longer is it. */
  sentHash: string;
  /**
   * "config": the PATCH was guarded by the whole config's Etag from the plan's read, so Caddy
   * held exactly that config when it took the PATCH, and verify need only read the object back.
   * "object": guarded by the object's own Etag, the plan resting on what this Engine's last
   * write left (assumedActual): verify reads the object back.
   */
  guard?: "config" | "object";
}

/**
 * At most this many route objects per node go through PATCH /id/; more go as one whole-config
 * swap. Every Caddy mutation reloads the whole config, so n PATCHes cost n reloads: at 10,000
 * routes one guarded PATCH measured 0.85x a guarded POST /config/ of the whole config
 * (docs/benchmarks.md, Engine apply), so two already cost more than one swap.
 */
export const PATCH_MAX_OBJECTS = 1;

export interface CaddyProviderOptions {
  /** Version/modules compile aims at (default: from settings). */
  target?: CaddyTarget;
  /** Admin API request timeout (default 120 s: big configs load slowly). */
  timeoutMs?: number;
}

interface LiveNode extends LiveConfig {
  endpoint: string;
  client: CaddyClient;
  /** Hecate's part of config (extractOwned); absent on nodes read for a saved plan's apply. */
  owned?: OwnedConfig;
  memo?: ActualMemo;
  /** Hecate's part differs from the first node's (set by read): the fleet disagrees. */
  differs?: boolean;
}

/**
 * The last config text read from a node, parsed and with Hecate's part extracted: a read that
 * gets exactly the same bytes again (a plan, then its apply) reuses them instead of parsing
 * 3 MB again. Pure derivations of the text: a hit is exactly what parsing would give (and
 * nothing here is modified once built).
 */
interface ReadMemo {
  server: string;
  /** The text read (after PATCHes: built on first use, see afterPatch; undefined if it cannot be). */
  readonly text: string | undefined;
  /** What gives text; keeps nothing of this memo alive. */
  textOf: () => string | undefined;
  /** sha256 of the object text sent by the PATCH that left this text (when one did). */
  sent?: string;
  /** The text parsed (after PATCHes: built on first use, see afterPatch). */
  readonly config: unknown;
  /** What builds config without the text (undefined: it cannot); keeps nothing of this memo alive. */
  parse: () => unknown;
  /** PATCHes since config was last built. */
  depth?: number;
  owned: OwnedConfig;
  actual: ActualMemo;
}

/**
 * ProviderContext.memo `caddy.left <endpoint>`: what this Engine's own last verified write left on
 * a single node, the desired config it made live there, and of which revision. An apply of the
 * next revision may plan from it instead of reading 1.6 MB again (ProviderContext.assume), as a
 * controller works from its cache: the objects the plan touches are read back and guarded by
 * their own Etags (confirm), and a change made by hand elsewhere in the config is for the
 * reconcile loop's drift check, which always reads. Any read whose text differs, any undo, a
 * whole-config swap and a failed verify drop it.
 */
interface Left {
  revision: string;
  desired: CaddyOwned;
  read: ReadMemo;
}

const leftKey = (endpoint: string) => `caddy.left ${endpoint}`;
const REDACTED_TEXT = JSON.stringify(REDACTED_MARKER);

/** What every CaddyActual read from one config text shares (derived from its `owned` only). */
interface ActualMemo {
  /** CaddyActual.provenSame's pairs for objects of `owned`. */
  proven: WeakMap<object, object>;
  /** canonicalJson(owned). */
  ownedJson?: string;
  /** Until ownedJson is built: an earlier one and the [before, after] texts of the objects PATCHed since (afterPatch). */
  jsonEdits?: { base: string; edits: [string, string][] };
  /** The last fingerprint computed, with the canonical text it hashed. */
  fingerprint?: { text: string; hash: string };
  /**
   * ownedItems of configs diffed against this reading, by identity: its own `owned`, and the
   * desired configs (a plan's, diffed again when the plan is applied).
   */
  items?: WeakMap<object, OwnedItem[]>;
}

/**
 * `root` with the object carrying @id `id` replaced by `value`, copying only the path to it, and
 * the object replaced; undefined when no object carries that @id.
 */
function replaceById(root: unknown, id: string, value: unknown): { root: unknown; old: unknown } | undefined {
  let found = false;
  let old: unknown;
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const x = v[i];
        if (typeof x !== "object" || x === null) continue;
        const y = walk(x);
        if (found) {
          const copy = v.slice();
          copy[i] = y;
          return copy;
        }
      }
      return v;
    }
    if (!isObject(v)) return v;
    if (v["@id"] === id) {
      found = true;
      old = v;
      return value;
    }
    for (const k in v) {
      const x = v[k];
      if (typeof x !== "object" || x === null) continue;
      const y = walk(x);
      if (found) return { ...v, [k]: y };
    }
    return v;
  };
  const out = walk(root);
  return found ? { root: out, old } : undefined;
}

/** PATCHes whose parse and text wait for a use: past them, what the last write left is read again (no chain grows without end). */
const LAZY_PATCHES = 16;

/**
 * The read memo of the text a PATCH of object `id` with `body` leaves: `text` is the text the
 * memo was parsed from with that object's bytes replaced (applyPatches checks they occur once),
 * so its parse is the memo's with that one object replaced, and its owned part likewise (one
 * owned object normalized and redacted as extractOwned does in place: normalizeOwnedObject).
 * Objects unchanged keep their identity, and with it what provenSame knows of them. The parse
 * itself and the owned part's canonical text are built only when something asks (a read that
 * gets exactly this text, a fingerprint): the next apply, planned from what this one left, needs
 * neither, and walking 10,000 routes for them is most of what a one-route PATCH costs us.
 */
function afterPatch(memo: ReadMemo, textOf: () => string | undefined, id: string, body: string, sent: string): ReadMemo | undefined {
  // A chain of PATCHes not built yet costs a walk each when something asks: past LAZY_PATCHES the
  // memo goes, and the next plan reads Caddy again.
  if ((memo.depth ?? 0) >= LAZY_PATCHES) return undefined;
  const value = JSON.parse(body) as unknown;
  const object = normalizeOwnedObject(value);
  const swapped = replaceById(memo.owned, id, object);
  if (swapped === undefined) return undefined;
  const owned = swapped.root as OwnedConfig;
  markNormalized(owned);
  const actual: ActualMemo = { proven: memo.actual.proven };
  // The canonical text of the owned part likewise: the old object's canonical text, found
  // exactly once, replaced by the new one's (canonical JSON of a part is the part's text in it).
  const pending = memo.actual.ownedJson !== undefined ? { base: memo.actual.ownedJson, edits: [] } : memo.actual.jsonEdits;
  if (pending && pending.edits.length < LAZY_PATCHES) actual.jsonEdits = { base: pending.base, edits: [...pending.edits, [canonicalJson(swapped.old), canonicalJson(object)]] };
  let parent: (() => unknown) | undefined = memo.parse;
  let done: { config: unknown } | undefined;
  const parse = (): unknown => {
    if (!done) {
      const base = parent!();
      done = { config: base === undefined ? undefined : replaceById(base, id, value)?.root };
      parent = undefined; // built: the memos before it may go
    }
    return done.config;
  };
  const depth = (memo.depth ?? 0) + 1;
  return lazyMemo({ server: memo.server, textOf, sent, owned, actual, parse, depth });
}

/**
 * `base()` with the one occurrence of `old` replaced by `neu`, built on first call (undefined
 * when `old` is not there exactly once). Building a 1.6 MB string costs milliseconds here, and
 * a plan resting on what the last PATCH left never needs it.
 */
function spliced(base: () => string | undefined, old: string, neu: string): () => string | undefined {
  let from: (() => string | undefined) | undefined = base;
  let done: { text: string | undefined } | undefined;
  return () => {
    if (!done) {
      const t = from!();
      const at = t === undefined ? -1 : t.indexOf(old);
      done = { text: t !== undefined && at >= 0 && t.indexOf(old, at + 1) < 0 ? t.slice(0, at) + neu + t.slice(at + old.length) : undefined };
      from = undefined; // built: the texts before it may go
    }
    return done.text;
  };
}

/** A ReadMemo whose text is textOf() and config parse() (or, should that fail, the text parsed): every memo is built here. */
function lazyMemo(m: Omit<ReadMemo, "config" | "text">): ReadMemo {
  let parsed: unknown;
  return {
    ...m,
    get text() {
      return m.textOf();
    },
    get config() {
      const text = m.textOf();
      return m.parse() ?? (parsed ??= text === undefined ? undefined : JSON.parse(text));
    },
  };
}

/** ActualMemo.ownedJson, with the edits of PATCHes since it was last built applied first. */
function ownedJsonOf(memo: ActualMemo, owned: OwnedConfig): string {
  if (memo.ownedJson === undefined && memo.jsonEdits) {
    let json: string | undefined = memo.jsonEdits.base;
    for (const [before, after] of memo.jsonEdits.edits) {
      const at = json.indexOf(before);
      if (at < 0 || json.indexOf(before, at + 1) >= 0) {
        json = undefined;
        break;
      }
      json = json.slice(0, at) + after + json.slice(at + before.length);
    }
    memo.jsonEdits = undefined;
    if (json !== undefined) memo.ownedJson = json;
  }
  return (memo.ownedJson ??= canonicalJson(owned));
}

function readMemo(ctx: ProviderContext, endpoint: string, server: string, text: string): ReadMemo | undefined {
  const m = ctx.memo?.get(`caddy.read ${endpoint}`) as ReadMemo | undefined;
  return m && m.server === server && m.text === text ? m : undefined;
}

interface PatchTarget {
  id: string;
  /** The object from the desired config, nested owned routes and secret markers in it. */
  desired: unknown;
  /** The object as the plan read it (normalized, secrets redacted). */
  planned: unknown;
  resource?: string;
}

/** The objects below `root` carrying one of `ids` as @id; undefined when one is inside another. */
function findByIds(root: unknown, ids: ReadonlySet<string>): Map<string, unknown> | undefined {
  const found = new Map<string, unknown>();
  let nested = false;
  // Once every id is found and its inside walked, the rest of 10,000 routes can hold no more.
  const done = (inside: boolean) => !inside && found.size === ids.size;
  const walk = (v: unknown, inside: boolean): void => {
    if (Array.isArray(v)) {
      for (const x of v) {
        if (done(inside)) return;
        if (typeof x === "object" && x !== null) walk(x, inside);
      }
      return;
    }
    if (!isObject(v) || done(inside)) return;
    const id = v["@id"];
    let here = inside;
    if (typeof id === "string" && ids.has(id)) {
      if (inside) nested = true;
      if (!found.has(id)) found.set(id, v);
      here = true;
    }
    for (const k in v) {
      const x = v[k];
      if (typeof x === "object" && x !== null) walk(x, here);
    }
  };
  walk(root, false);
  return nested ? undefined : found;
}

function isCompileMemo(v: unknown): v is CaddyCompileMemo {
  return isObject(v) && isObject(v["config"]) && isObject(v["state"]) && typeof v["version"] === "string";
}

/** Caddy's text of one object ends with a newline; inside the whole config's text it does not. */
function chomp(text: string): string {
  return text.endsWith("\n") ? text.slice(0, -1) : text;
}

/** ProviderContext.memo: the nodes an apply went on without (down), which verify expects behind. */
const BEHIND_KEY = "caddy.behind";
const DEFAULT_VALIDATE_MS = 120_000;

function noteBehind(ctx: ProviderContext, down: readonly DownNode[]): void {
  ctx.memo?.set(BEHIND_KEY, new Set(down.map((d) => d.endpoint)));
}

export function createCaddyProvider(settings: ResolvedSettings["caddy"], opts: CaddyProviderOptions = {}): Provider<CaddyOwned, CaddyActual> {
  const server = settings.server || DEFAULT_SERVER;
  const endpoints = settings.admin.length ? settings.admin : ["http://127.0.0.1:2019"];
  const target: CaddyTarget = opts.target ?? { version: settings.version, modules: settings.modules };
  const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
  /**
   * This provider's last compile, when incremental: the config it started from and the objects it
   * replaced (diff's shortcut). `before`/`after`: set by deltaDiff once it found `from` to be what
   * the last write left, those objects as that config and the new one have them, by @id.
   */
  let lastCompile: { from: CaddyOwned; to: CaddyOwned; objects: ReplacedObjects; before?: Map<string, unknown>; after?: Map<string, unknown> } | undefined;
  const clientFor = (endpoint: string, ctx?: ProviderContext) => new CaddyClient(endpoint, adminOptions(settings, { timeoutMs: opts.timeoutMs, signal: ctx?.signal }));

  /**
   * Every node's live config; nodes that do not answer are down. Fewer than a majority answering
   * is an error (a single node, or one of two, down: that node's own error).
   */
  async function readNodes(ctx: ProviderContext): Promise<{ up: LiveNode[]; down: DownNode[] }> {
    const settled = await Promise.allSettled(
      endpoints.map(async (endpoint): Promise<LiveNode> => {
        const client = clientFor(endpoint, ctx);
        // Read every time; only the parse of text already seen is reused (readMemo).
        const { text, etag } = await client.getConfigText();
        const left = ctx.memo?.get(leftKey(endpoint)) as Left | undefined;
        if (left && left.read.text !== text) ctx.memo?.delete(leftKey(endpoint)); // changed since: plan from reads only
        const seen = readMemo(ctx, endpoint, server, text);
        if (seen) return { endpoint, client, text, etag, config: seen.config, owned: seen.owned, memo: seen.actual };
        let config: unknown;
        try {
          config = JSON.parse(text);
        } catch {
          throw new HecateError("caddy-rejected", `Caddy at ${client.label} answered GET /config/ with something that is not JSON`, { status: 502 });
        }
        const owned = extractOwned(config, server);
        const memo: ActualMemo = { proven: new WeakMap() };
        ctx.memo?.set(`caddy.read ${endpoint}`, lazyMemo({ server, textOf: () => text, parse: () => config, owned, actual: memo }));
        return { endpoint, client, text, etag, config, owned, memo };
      }),
    );
    const up: LiveNode[] = [];
    const down: DownNode[] = [];
    for (const [i, r] of settled.entries()) {
      if (r.status === "fulfilled") up.push(r.value);
      else if (isDown(r.reason)) down.push({ endpoint: endpoints[i]!, error: errorMessage(r.reason) });
      else throw r.reason; // a node that answers wrongly is not down: as on one node
    }
    if (up.length < majority(endpoints.length)) {
      if (down.length === 1) throw (settled.find((r) => r.status === "rejected") as PromiseRejectedResult).reason;
      throw quorumError(endpoints.length, down, "a plan or an apply");
    }
    return { up, down };
  }

  /**
   * The live configs apply works on: the ones read for this Actual, or (an Actual that came back
   * from a saved plan, without them) fresh ones, if their Etags are still the ones planned.
   */
  async function nodesFor(actual: CaddyActual, ctx: ProviderContext): Promise<LiveNode[]> {
    if (actual instanceof CaddyActual) return actual.live();
    const planned = actual as { nodes: { endpoint: string; etag: string }[] };
    const { up: fresh } = await readNodes(ctx);
    for (const node of fresh) {
      const seen = planned.nodes.find((n) => n.endpoint === node.endpoint);
      if (!seen || seen.etag !== node.etag) {
        throw new HecateError("caddy-changed", `${CHANGED_MESSAGE} (${node.client.label})`, { status: 409 });
      }
    }
    return fresh;
  }

  /**
   * For an apply (ctx.assume) on a single node: what this Engine's last verified write left there,
   * when that write was of the revision last applied to Caddy (so no other process applied since).
   */
  async function assumedActual(ctx: ProviderContext): Promise<CaddyActual | undefined> {
    if (!ctx.assume || endpoints.length !== 1) return undefined;
    const endpoint = endpoints[0]!;
    const left = ctx.memo?.get(leftKey(endpoint)) as Left | undefined;
    if (!left || left.read.server !== server) return undefined;
    if ((await ctx.assume.applied("caddy")) !== left.revision) {
      ctx.memo?.delete(leftKey(endpoint));
      return undefined;
    }
    const m = left.read;
    // No Etag: an assumed reading guards its one PATCH by the object's own (confirm), never a whole swap.
    const node: LiveNode = {
      endpoint,
      client: clientFor(endpoint, ctx),
      get text() {
        return m.text;
      },
      etag: "",
      // Built only if asked for (see afterPatch): planning one PATCH from here needs the owned part only.
      get config() {
        return m.config;
      },
      owned: m.owned,
      memo: m.actual,
    };
    return new CaddyActual(m.owned, [{ endpoint, etag: "" }], [], [node], m.actual, [], left);
  }

  /**
   * The changes from what the last write left to `desired`, when `desired` is the incremental
   * compile of exactly the config that write made live: only the objects compile replaced can
   * differ (incremental.test.ts checks that), so only they are diffed. Undefined otherwise.
   */
  function deltaDiff(desired: CaddyOwned, left: Left): Change[] | undefined {
    const c = lastCompile;
    if (!c || c.to !== desired || c.from !== left.desired) return undefined;
    if (!c.objects.size) return [];
    // The compile handed out the objects it replaced, in `from` (which is left.desired) and in `to`.
    c.before = new Map([...c.objects].map(([id, o]) => [id, o.before]));
    c.after = new Map([...c.objects].map(([id, o]) => [id, o.after]));
    const want: OwnedItem[] = [];
    const have: OwnedItem[] = [];
    for (const [id, o] of c.objects) {
      want.push(...objectItems(normalize(o.after), id));
      have.push(...objectItems(normalize(o.before), id));
    }
    const { creates, updates, deletes } = diffKeyed("caddy", want, have, sameNormalized);
    return [...creates, ...updates, ...deletes];
  }

  /** Every node's config, read now: Hecate's part of the first, and where the fleet disagrees or is down. */
  async function readLive(ctx: ProviderContext): Promise<CaddyActual> {
    const { up: nodes, down } = await readNodes(ctx);
    const owned = nodes.map((n) => (n.owned ??= extractOwned(n.config, server)));
    const diagnostics: Diagnostic[] = [];
    const first = owned[0]!;
    for (let i = 1; i < nodes.length; i++) {
      const diff = diffOwned(first, owned[i]!);
      nodes[i]!.differs = diff.length > 0;
      if (diff.length) {
        diagnostics.push({
          severity: "warning",
          code: "caddy-fleet-disagree",
          message: `Caddy node ${nodes[i]!.client.label} differs from ${nodes[0]!.client.label} in ${diff.length} object(s) (${diff
            .slice(0, 3)
            .map((c) => `${c.kind} ${c.id}`)
            .join(", ")}${diff.length > 3 ? ", …" : ""}); apply makes every node match`,
        });
      }
    }
    for (const d of down) {
      diagnostics.push({
        severity: "warning",
        code: "caddy-node-down",
        node: d.endpoint,
        message: `Caddy node ${d.endpoint} is down (${d.error}); planned without it: once it answers, the reconcile loop loads the applied revision into it`,
      });
    }
    return new CaddyActual(first, nodes.map((n) => ({ endpoint: n.endpoint, etag: n.etag })), diagnostics, nodes, nodes[0]!.memo, down);
  }

  function desiredChecks(desired: CaddyOwned): void {
    const foreign = Object.keys(desired.apps.http.servers).filter((n) => !isOwnedServerName(n, server));
    if (foreign.length) {
      throw new HecateError("caddy-ownership", `Caddy server(s) ${foreign.join(", ")} are not Hecate's: Hecate owns "${server}" and servers named hecate*`);
    }
  }

  /**
   * A node that dies under the apply does not stop the fleet: the others take the revision, and
   * the reconcile loop brings this one to it when it answers again. Unless that leaves fewer than
   * a majority: then the apply fails (and is undone everywhere). Anything else than down: thrown.
   */
  function goOnWithout(ctx: ProviderContext, down: DownNode[], endpoint: string, e: unknown): void {
    if (endpoints.length < 2 || !isDown(e)) throw e;
    down.push({ endpoint, error: errorMessage(e) });
    noteBehind(ctx, down);
    if (endpoints.length - down.length < majority(endpoints.length)) throw quorumError(endpoints.length, down, "an apply");
    ctx.log?.(`caddy: node ${endpoint} went down during the apply (${errorMessage(e)}); going on without it: the reconcile loop loads this revision into it when it answers`);
  }

  /** Whether the node still runs exactly what Hecate loaded (its bytes, or Caddy's encoding of them). */
  function stillOurs(live: LiveConfig, appliedHash: string): boolean {
    return (live.text !== undefined && sha256(live.text) === appliedHash) || sha256(caddyText(live.config)) === appliedHash;
  }

  /**
   * The route objects to PATCH by @id, when that is all this batch is: updates of owned routes
   * only, at most PATCH_MAX_OBJECTS, none inside another, the fleet in agreement when read, and
   * the owned routes' order unchanged (the diff does not see top-level order; a whole swap sets
   * it). Undefined: the whole-config swap.
   */
  function patchTargets(desired: CaddyOwned, actual: CaddyActual, changes: Change[]): PatchTarget[] | undefined {
    if (!changes.length || changes.length > PATCH_MAX_OBJECTS) return undefined;
    if (!changes.every((c) => c.action === "update" && c.kind === "route" && c.id.startsWith(ID_PREFIX))) return undefined;
    if (actual.diagnostics?.some((d) => d.code === "caddy-fleet-disagree")) return undefined;
    const want = desired.apps?.http?.servers ?? {};
    const have = actual.owned?.apps?.http?.servers;
    if (!have || Object.keys(want).length !== Object.keys(have).length) return undefined;
    for (const [name, server] of Object.entries(want)) {
      const a = ((server.routes ?? []) as unknown[]).map(ownedId);
      const b = ((have[name]?.routes ?? []) as unknown[]).map(ownedId);
      if (!have[name] || a.length !== b.length || a.some((x, i) => x !== b[i])) return undefined;
    }
    const ids = new Set(changes.map((c) => c.id));
    // The desired objects deltaDiff just found, when they are these (no second walk of 10,000 routes).
    const compiled = lastCompile;
    const wanted = compiled?.to === desired && compiled.after && [...ids].every((id) => compiled.after!.has(id)) ? compiled.after : findByIds(want, ids);
    const planned = findByIds(have, ids);
    if (!wanted || !planned) return undefined;
    const out: PatchTarget[] = [];
    for (const c of changes) {
      const d = wanted.get(c.id);
      const p = planned.get(c.id);
      if (d === undefined || p === undefined) return undefined;
      // A map entry's input is a host in its shape's host matcher too: only a new address is
      // one object's change.
      if (isObject(d) && "input" in d && (!isObject(p) || d.input !== p.input)) return undefined;
      out.push({ id: c.id, desired: d, planned: p, ...(c.resource ? { resource: c.resource } : {}) });
    }
    return out;
  }

  /**
   * The one object to PATCH as the plan's own read of the node holds it, guarded by that read's
   * whole-config Etag: Caddy checks If-Match against the path the Etag names, whatever path the
   * request addresses, so the PATCH fails with 412 if anything in the config changed since the
   * plan read it, not only this object; and no GET /id/ is needed. Undefined (GET /id/ and that
   * object's own Etag instead) when this process did not read the node, or when the object's
   * text cannot be found exactly once in the text read.
   */
  function fromPlanRead(node: LiveNode | undefined, t: PatchTarget): { value: unknown; text: string; etag: string; whole: true } | undefined {
    if (node?.text === undefined) return undefined;
    const value = findByIds(node.config, new Set([t.id]))?.get(t.id);
    if (value === undefined) return undefined;
    const text = caddyText(value);
    const at = node.text.indexOf(chomp(text));
    if (at < 0 || node.text.indexOf(chomp(text), at + 1) >= 0) return undefined;
    return { value, text, etag: node.etag, whole: true };
  }

  /**
   * Per node and object: the object as it is now and an Etag guarding it (the plan's own read of
   * the whole config when there is one and a single object to write, else GET /id/X), refuse
   * unless it is what the plan read, then PATCH /id/X guarded by that Etag, reporting each as
   * it completes.
   */
  async function applyPatches(actual: CaddyActual, targets: PatchTarget[], ctx: ApplyContext, down: DownNode[], desired: CaddyOwned): Promise<void> {
    const live = actual instanceof CaddyActual ? actual.live() : undefined;
    const assumed = actual instanceof CaddyActual && actual.assumed() !== undefined;
    const confirmed = actual instanceof CaddyActual ? actual.confirmed() : undefined;
    // Every object on every node is read and checked before the first write, so a refusal
    // leaves everything as it was.
    const settled = await Promise.allSettled(
      actual.nodes.map(async ({ endpoint }) => {
        // A client carrying this apply's signal: a step timeout must reach the writes.
        const client = clientFor(endpoint, ctx);
        const node = live?.find((n) => n.endpoint === endpoint);
        // Planned from what the last write left: confirm read the object back, its Etag guards the
        // PATCH. (Before node.text: for such a node that text is built on demand, ≈ 8 ms at 10,000 routes.)
        if (confirmed && targets.length === 1 && targets[0]!.id === confirmed.id) {
          return { endpoint, client, text: undefined, left: (actual as CaddyActual).assumed()!.read, objects: [{ t: targets[0]!, now: confirmed.now }] };
        }
        const text = node?.text;
        // The whole-config Etag guards one write only: the config (and its Etag) changes with it.
        // A fleet checks every node before the first write instead (GET /id/ below), so a node
        // that changed stops the apply before any node is written.
        const planned = !assumed && targets.length === 1 && actual.nodes.length === 1 ? fromPlanRead(node, targets[0]!) : undefined;
        if (planned) return { endpoint, client, text, left: undefined, objects: [{ t: targets[0]!, now: planned }] };
        const objects = await Promise.all(
          targets.map(async (t) => {
            const now = await client.getById(t.id);
            // Every node held the object when read (an update, and the fleet agreed): gone is changed.
            if (!now) throw new HecateError("caddy-changed", `${CHANGED_MESSAGE} (${client.label}: GET /id/${t.id} finds no such object; someone removed it since)`, { status: 409 });
            // As diff compares (normalized, secrets redacted), and, when the plan's read is at
            // hand, byte for byte (a changed secret redacts to the same marker).
            if (!sameValue(t.planned, normalizeOwnedObject(now.value)) || (text !== undefined && !text.includes(chomp(now.text)))) {
              throw new HecateError("caddy-changed", `${CHANGED_MESSAGE} (${client.label}: GET /id/${t.id} is not the route the plan read; someone edited it since)`, { status: 409 });
            }
            return { t, now };
          }),
        );
        return { endpoint, client, text, left: undefined, objects };
      }),
    );
    const reads = settled.flatMap((r, i) => (r.status === "fulfilled" ? [r.value] : (goOnWithout(ctx, down, actual.nodes[i]!.endpoint, r.reason), [])));
    // Secrets exist in resolved form only here, on the way to Caddy; nested owned routes are in
    // the desired object itself (the diff only lifted them out of its item).
    const bodies = await Promise.all(targets.map(async (t) => caddyText(secretRefs(t.desired).length ? await resolveSecrets(t.desired, ctx.secrets) : t.desired)));
    for (const r of reads) {
      // The parse of the text the plan read (or, planned from what the last write left, that
      // memo itself, its text not built), carried along each PATCH (see the end of the loop).
      let memo = r.left ?? (r.text !== undefined ? readMemo(ctx, r.endpoint, server, r.text) : undefined);
      const read = memo;
      for (const [k, { t, now }] of r.objects.entries()) {
        const body = bodies[k]!;
        if (body === now.text) continue; // same bytes: no reload
        try {
          await r.client.patchById(t.id, body, now.etag);
        } catch (e) {
          goOnWithout(ctx, down, r.endpoint, e);
          memo = undefined;
          break;
        }
        ctx.log?.(`caddy: patched ${t.id} on ${r.client.label}`);
        const guard = "whole" in now ? ("config" as const) : confirmed?.now === now ? ("object" as const) : undefined;
        const sentHash = sha256(body);
        // What the node holds now: the text read with the object's bytes replaced (they occur
        // exactly once: its @id is unique), built only if something asks. Verify reads the
        // object back instead; a next plan resting on what this write left needs neither.
        memo = memo ? afterPatch(memo, spliced(memo.textOf, chomp(now.text), chomp(body)), t.id, body, sentHash) : undefined;
        const undo: CaddyObjectUndo = {
          endpoint: r.endpoint,
          id: t.id,
          previous: now.value,
          sentHash,
          ...(guard ? { guard } : {}),
        };
        // The previous object may hold resolved secrets: sensitive, unless it is what the last
        // write made of a desired object that names none (deltaDiff found it).
        const compiled = lastCompile;
        const made = r.left && compiled?.to === desired ? compiled.before?.get(t.id) : undefined;
        await ctx.report({
          change: { system: "caddy", action: "update", kind: "route", id: t.id, ...(t.resource ? { resource: t.resource } : {}) },
          ids: { endpoint: r.endpoint },
          undo,
          detail: { node: r.client.label, via: "PATCH /id/" },
          sensitive: made === undefined || secretRefs(made).length > 0,
        });
      }
      // The node now holds `text` (if verify finds that): a next read of exactly these bytes
      // reuses the parse instead of parsing 3 MB again. (By identity: comparing the texts would
      // copy and compare 1.6 MB.)
      if (memo && memo !== read) ctx.memo?.set(`caddy.read ${r.endpoint}`, memo);
    }
  }

  /** Put one PATCHed object back, guarded, unless someone changed it since; a second call finds it back. */
  async function undoPatch(u: CaddyObjectUndo, ctx: ProviderContext): Promise<void> {
    ctx.memo?.delete(leftKey(u.endpoint));
    const client = clientFor(u.endpoint, ctx);
    const now = await client.getById(u.id);
    const refuse = (why: string) =>
      new HecateError("caddy-undo-failed", `could not restore route ${u.id} on Caddy ${client.label}: ${why} since Hecate's apply; not overwriting it`, { status: 409 });
    if (!now) throw refuse(`GET /id/${u.id} finds no such object: it was removed`);
    if (canonical(now.value) === canonical(u.previous)) return; // already back
    if (sha256(now.text) !== u.sentHash && sha256(caddyText(now.value)) !== u.sentHash) throw refuse("it was changed by someone else");
    await client.patchById(u.id, caddyText(u.previous), now.etag);
    ctx.log?.(`caddy: restored ${u.id} on ${client.label}`);
  }

  /** The whole-config hash the node should have after the records of this apply (the last one's). */
  function expectedHash(records: readonly ChangeRecord[], endpoint: string): string | undefined {
    for (let i = records.length - 1; i >= 0; i--) {
      const r = records[i]!;
      // After a PATCH the whole text is known only lazily (the object is read back instead).
      if (r.change.kind === "route" && (r.undo as CaddyObjectUndo).endpoint === endpoint) return undefined;
      if (r.change.kind === "config" && r.change.id === endpoint) return (r.undo as CaddyUndo).appliedHash;
    }
    return undefined;
  }

  /**
   * The changes of a fleet: the first node's (`base`), and those of every node whose part differs
   * from it (a node that was down, or replaced by a fresh Caddy), each change naming the nodes it
   * is for unless that is all of them. Upserts first, deletes after, as diffOwned orders them.
   */
  function fleetDiff(desired: OwnedConfig, actual: CaddyActual, base: Change[]): Change[] {
    const live = actual.live();
    const behind = live.filter((n) => n.differs);
    if (!behind.length) return base;
    const agreeing = live.filter((n) => !n.differs).map((n) => n.endpoint);
    const found = new Map<string, { change: Change; nodes: string[] }>();
    const add = (c: Change, nodes: string[]) => {
      const key = `${c.action} ${c.kind} ${c.id}`;
      const seen = found.get(key);
      if (seen) seen.nodes.push(...nodes);
      else found.set(key, { change: c, nodes: [...nodes] });
    };
    for (const c of base) add(c, agreeing);
    for (const n of behind) for (const c of diffOwned(desired, n.owned!)) add(c, [n.endpoint]);
    const changes = [...found.values()].map(({ change, nodes }) => (nodes.length === live.length ? change : { ...change, nodes: endpoints.filter((e) => nodes.includes(e)) }));
    return [...changes.filter((c) => c.action !== "delete"), ...changes.filter((c) => c.action === "delete")];
  }

  const provider: Provider<CaddyOwned, CaddyActual> = {
    system: "caddy",

    compile(state: ResolvedState, memo?: unknown) {
      // Starting from the previous compile's output when only a few routes' own objects changed
      // (compileCaddyFrom checks that; the output is the same as a full compile's).
      const prior = isCompileMemo(memo) ? memo : undefined;
      const { config, diagnostics, memo: next, objects } = compileCaddyFrom(prior, state, target);
      lastCompile = prior && objects ? { from: prior.config, to: config, objects } : undefined;
      return { desired: config, diagnostics, memo: next };
    },

    async read(ctx) {
      return (await assumedActual(ctx)) ?? readLive(ctx);
    },

    describe(actual) {
      const items = actual instanceof CaddyActual ? actual.itemsOf(actual.owned) : [];
      const count = (kind: string) => items.filter((i) => i.kind === kind).length;
      return [
        `admin ${actual.nodes.map((n) => n.endpoint).join(", ")}: ${actual.nodes.length} node(s) answered`,
        `server ${server}: ${count("route")} route object(s) Hecate owns, ${count("server")} server(s)`,
        ...actual.diagnostics.map((d) => d.message),
      ];
    },

    diff(desired, actual) {
      // An Actual that came back from a saved plan's JSON is plain data, not a CaddyActual.
      if (!(actual instanceof CaddyActual)) return diffOwned(desired as unknown as OwnedConfig, (actual as { owned: OwnedConfig }).owned);
      const left = actual.assumed();
      const delta = left ? deltaDiff(desired, left) : undefined;
      if (delta) return delta;
      const base = diffOwned(desired as unknown as OwnedConfig, actual.owned, actual.provenSame(), actual.itemsOf(actual.owned), actual.itemsOf(desired as unknown as OwnedConfig));
      return fleetDiff(desired as unknown as OwnedConfig, actual, base);
    },

    // A plan resting on what the last write left keeps only a single-object PATCH, its object read
    // back as the plan expects; anything else (nothing to do included: a no-op must see drift)
    // is planned again from a real read.
    async confirm(desired, actual, changes, ctx) {
      const left = actual instanceof CaddyActual ? actual.assumed() : undefined;
      if (!left) return undefined;
      const endpoint = endpoints[0]!;
      const fresh = () => {
        ctx.memo?.delete(leftKey(endpoint));
        return readLive(ctx);
      };
      const targets = patchTargets(desired, actual, changes);
      if (targets?.length !== 1) return fresh();
      const t = targets[0]!;
      const now = await clientFor(endpoint, ctx).getById(t.id);
      // As applyPatches checks: normalized as the plan saw it; and, where the object holds a secret
      // (whose new value redacts like the old one), byte for byte in the text left.
      if (!now || !sameValue(t.planned, normalizeOwnedObject(now.value))) return fresh();
      if (JSON.stringify(t.planned).includes(REDACTED_TEXT) && !left.read.text?.includes(chomp(now.text))) return fresh();
      actual.confirm(t.id, now, targets);
      return undefined;
    },

    // What the read found about the fleet (a node down, nodes that disagree): the plan says it.
    findings(_desired, actual) {
      return ((actual as { diagnostics?: Diagnostic[] }).diagnostics ?? []).filter((d) => d.code === "caddy-node-down" || d.code === "caddy-fleet-disagree");
    },

    nodes(all, actual) {
      if (!(actual instanceof CaddyActual) || endpoints.length < 2) return [];
      const reports = new Map<string, NodeReport>();
      for (const n of actual.live()) {
        const changes = all.filter((c) => !c.nodes || c.nodes.includes(n.endpoint)).length;
        reports.set(n.endpoint, { node: n.endpoint, state: changes ? "behind" : "in-sync", ...(changes ? { changes } : {}) });
      }
      for (const d of actual.down()) reports.set(d.endpoint, { node: d.endpoint, state: "down", error: d.error });
      return endpoints.filter((e) => reports.has(e)).map((e) => reports.get(e)!);
    },

    // One guarded whole-config swap per node, each node reported as one change as soon as it
    // took: a failure on node 3 leaves nodes 1 and 2 journaled for the engine to undo.
    async apply({ desired, actual, changes }, ctx) {
      desiredChecks(desired);
      const down = actual instanceof CaddyActual ? [...actual.down()] : [];
      noteBehind(ctx, down);
      // What confirm found for exactly these changes (the plan's), else found now.
      const targets = (actual instanceof CaddyActual ? actual.confirmed()?.targets : undefined) ?? patchTargets(desired, actual, changes);
      if (targets) return applyPatches(actual, targets, ctx, down, desired);
      // confirm keeps an assumed reading only for one PATCH: a swap must rest on a real read (its Etag).
      if (actual instanceof CaddyActual && actual.assumed()) throw new HecateError("internal", "caddy: a whole-config swap planned without reading Caddy; plan again");
      for (const e of endpoints) ctx.memo?.delete(leftKey(e));
      // Secrets exist in resolved form only here, on the way to Caddy.
      const resolved = (secretRefs(desired).length ? await resolveSecrets(desired, ctx.secrets) : desired) as unknown as OwnedConfig;
      const nodes = await nodesFor(actual, ctx);
      const action = changes.every((c) => c.action === "delete") ? "delete" : changes.every((c) => c.action === "create") ? "create" : "update";
      // Sent as Caddy's own text, so what GET /config/ answers can be compared byte for byte.
      const switching = nodes
        .map((node) => ({ node, text: caddyText(mergeOwned(node.config, resolved, server)) }))
        .filter(({ node, text }) => (node.text !== undefined ? text !== node.text : canonical(JSON.parse(text)) !== canonical(node.config))); // same bytes: no reload
      // A fleet: every node's new document is validated before the first node switches. (One
      // node needs no check of its own: its load is atomic, a refused config leaves it as it was.)
      if (endpoints.length > 1 && switching.length) {
        await validateEverywhere(switching.map(({ node, text }) => ({ endpoint: node.endpoint, text })), opts.timeoutMs ?? settings.timeoutMs ?? DEFAULT_VALIDATE_MS);
      }
      for (const { node, text } of switching) {
        // A client carrying this apply's signal (node.client has the read's): a step timeout must reach the write.
        try {
          await clientFor(node.endpoint, ctx).putConfigText(text, node.etag);
        } catch (e) {
          goOnWithout(ctx, down, node.endpoint, e);
          continue;
        }
        ctx.log?.(`caddy: loaded new config on ${node.client.label}`);
        const undo: CaddyUndo = { endpoint: node.endpoint, previous: node.config, appliedHash: sha256(text) };
        // A node's whole previous config can hold secrets (Hecate's and other apps'): sensitive.
        await ctx.report({ change: { system: "caddy", action, kind: "config", id: node.endpoint }, undo, detail: { changes: changes.length }, sensitive: true });
      }
    },

    async undo(record, ctx) {
      if (record.change.kind === "route") return undoPatch(record.undo as CaddyObjectUndo, ctx);
      const node = record.undo as CaddyUndo;
      ctx.memo?.delete(leftKey(node.endpoint));
      const client = clientFor(node.endpoint, ctx);
      const live = await client.getConfig();
      if (canonical(live.config) === canonical(node.previous)) return; // already back
      if (!stillOurs(live, node.appliedHash)) {
        throw new HecateError("caddy-undo-failed", `could not restore Caddy's previous config on ${client.label}: changed by someone else since Hecate's apply; not overwriting it`, {
          status: 409,
        });
      }
      await client.putConfig(node.previous, live.etag);
      ctx.log?.(`caddy: restored previous config on ${client.label}`);
    },

    async verify(desired, records, ctx) {
      const diagnostics: Diagnostic[] = [];
      const perNode: Diagnostic[][] = [];
      const behind = (ctx.memo?.get(BEHIND_KEY) as ReadonlySet<string> | undefined) ?? new Set<string>();
      const down: DownNode[] = [];
      await Promise.all(
        endpoints.map(async (endpoint, i) => {
          try {
            await verifyNode(endpoint, i);
          } catch (e) {
            if (endpoints.length < 2 || !isDown(e)) throw e;
            down.push({ endpoint, error: errorMessage(e) });
          }
        }),
      );
      async function verifyNode(endpoint: string, i: number): Promise<void> {
        const client = clientFor(endpoint, ctx);
        // One PATCH guarded by the whole config's Etag: Caddy held exactly the config the plan
        // read (which differed from desired in this object alone) when it took the PATCH, so the
        // object reading back as the bytes sent is the whole check.
        const mine = records.filter((r) => (r.change.kind === "route" ? (r.undo as CaddyObjectUndo).endpoint : r.change.id) === endpoint);
        const only = mine.length === 1 && mine[0]!.change.kind === "route" ? (mine[0]!.undo as CaddyObjectUndo) : undefined;
        const expected = expectedHash(records, endpoint);
        const leftText = ctx.memo?.get(`caddy.read ${endpoint}`) as ReadMemo | undefined;
        // The next apply may plan from what these PATCHes left (Left): only when it is known to the byte.
        const remember = (): void => {
          // A PATCH guarded by the whole config's Etag or by the object's own, whose object reads
          // back as sent: the memo it left is what the node holds.
          const known = only?.guard !== undefined && leftText?.sent === only.sentHash;
          if (ctx.revision !== undefined && leftText && known && mine.every((r) => r.change.kind === "route")) {
            ctx.memo?.set(leftKey(endpoint), { revision: ctx.revision, desired: desired as CaddyOwned, read: leftText } satisfies Left);
          } else ctx.memo?.delete(leftKey(endpoint));
        };
        ctx.memo?.delete(leftKey(endpoint));
        if (only?.guard === "config" || only?.guard === "object") {
          const now = await client.getById(only.id);
          if (now && sha256(now.text) === only.sentHash) return remember();
        }
        const { text } = await client.getConfigText();
        // Exactly the text a whole-config swap sent: the node runs what was meant, nothing to compare.
        if (expected !== undefined && sha256(text) === expected) return;
        let config: unknown;
        try {
          config = JSON.parse(text);
        } catch {
          throw new HecateError("caddy-rejected", `Caddy at ${client.label} answered GET /config/ with something that is not JSON`, { status: 502 });
        }
        const found = diffOwned(desired as unknown as OwnedConfig, extractOwned(config, server));
        // A node that was down when the apply switched the others, and answers again: behind,
        // not a failed apply (the reconcile loop loads the revision into it).
        if (behind.has(endpoint)) {
          if (found.length) perNode[i] = [{ severity: "warning", code: "caddy-node-behind", message: `Caddy node ${endpoint} came back during the apply without this revision (${found.length} object(s) differ): the reconcile loop loads it` }];
          return;
        }
        perNode[i] = found.map((c) => ({
          severity: "error" as const,
          code: "caddy-verify",
          message: `Caddy ${client.label}: ${c.kind} ${c.id} ${c.action === "create" ? "is missing" : c.action === "delete" ? "should not be there" : `differs (${(c.fields ?? []).map((f) => f.path).slice(0, 3).join(", ")})`}`,
          ...(c.resource ? { address: c.resource } : {}),
        }));
      }
      for (const found of perNode) if (found) diagnostics.push(...found);
      if (down.length) {
        if (endpoints.length - down.length < majority(endpoints.length)) {
          diagnostics.push({ severity: "error", code: "caddy-quorum", message: quorumError(endpoints.length, down, "verifying an apply").message });
        } else {
          for (const d of down) diagnostics.push({ severity: "warning", code: "caddy-node-down", message: `Caddy node ${d.endpoint} is down, not verified (${d.error}): the reconcile loop loads this revision into it when it answers` });
        }
      }
      return diagnostics;
    },
  };
  return provider;
}
