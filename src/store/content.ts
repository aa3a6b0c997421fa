// How a revision is laid out by content, for every backend: each resource body is kept once under
// the sha256 of its canonical JSON; a chunk is a list of body hashes; a revision is the short list
// of its chunk hashes. A chunk ends after a resource whose address hashes to a boundary, so the
// boundaries move with the resources, not with positions: changing, adding or removing one
// resource rewrites one chunk (two when it was a boundary), whatever the size of the state.
// At 10,000 routes a revision is ~160 chunk hashes (~10 KB), a chunk ~64 body hashes (~4 KB):
// every value stays far below etcd's 1.5 MiB limit.
import { createHash, hash as oneShot } from "node:crypto";
import type { Resource } from "../model/schema.js";
import { canonicalJson, sortResources } from "../model/canonical-json.js";
import { deepFreeze } from "./rules.js";

/** A chunk ends after ~1 resource in CHUNK_SPREAD (by address hash)... */
const CHUNK_SPREAD = 64;
/** ...or after CHUNK_MAX, so even pathological input gives bounded chunks (~70 KB). */
const CHUNK_MAX = 1024;

export interface Chunk {
  hash: string;
  /** Body hashes in order. */
  bodies: string[];
  /** The canonical JSON of each body, in the same order. */
  texts: string[];
  /** The stored form: JSON list of the body hashes. */
  text: string;
}

export interface Layout {
  /** The revision hash: sha256 of the canonical resources (what hashResources gives). */
  hash: string;
  /** Body hash -> canonical JSON of the resource (built on first use: a write needs only its new chunks' bodies, Chunk.texts). */
  readonly bodies: Map<string, string>;
  chunks: Chunk[];
  /** Chunk hashes in order: what the revision itself stores. */
  manifest: string[];
}

export function sha256(text: string): string {
  return oneShot("sha256", text, "hex");
}

/**
 * FNV-1a of the address: cheap, and only decides where chunks end (a different rule would cost
 * space once, never correctness). Part of the layout: keep it stable so old chunks are reused.
 */
function endsChunk(r: Resource): boolean {
  const m = (r as { metadata?: { name?: unknown } }).metadata;
  const address = `${String(r.kind)}/${String(m?.name)}`;
  let h = 0x811c9dc5;
  for (let i = 0; i < address.length; i++) h = Math.imul(h ^ address.charCodeAt(i), 0x01000193);
  return (h >>> 0) % CHUNK_SPREAD === 0;
}

/**
 * Bodies a store read back, deep-frozen, by identity: their canonical JSON and hash are known, so
 * a revision made of the head's resources plus a few new ones hashes only the new ones (a writer
 * on a state of 10,000 routes pays for what it changed, not for the whole state).
 */
const known = new WeakMap<object, { text: string; hash: string }>();

/** A body as a store keeps it: parsed from its stored text, deep-frozen (so it cannot drift from that text), remembered. */
export function storedBody(hash: string, text: string, parsed: Resource): Resource {
  const body = deepFreeze(parsed);
  known.set(body, { text, hash });
  return body;
}

/**
 * A document read from YAML (plain JSON values), deep-frozen, remembered as a store's body is: a
 * reader that hands out the same object again (model/doc-cache.ts) has it hashed once, and a
 * revision of it shares routes with the last one (Core.share) as a stored revision does.
 */
export function knownDocument<T extends object>(value: T): T {
  const body = deepFreeze(value);
  if (!known.has(body)) {
    const text = canonicalJson(body);
    known.set(body, { text, hash: sha256(text) });
  }
  return body;
}

/** Frozen lists of resources hashed before (a state loaded, then planned, applied and stored as it is). */
const hashedLists = new WeakMap<readonly Resource[], string>();

/**
 * What hashResources gives, from the canonical texts known for bodies a store read back or a
 * reader remembered; a frozen list is hashed once (hashing 10,000 routes is ~10 ms).
 */
export function contentHash(resources: readonly Resource[]): string {
  return listHash(resources, (r) => known.get(r)?.text ?? canonicalJson(r));
}

/** The hash of a list from its elements' canonical texts, once per frozen list. */
function listHash(resources: readonly Resource[], textOf: (r: Resource) => string): string {
  const seen = hashedLists.get(resources);
  if (seen !== undefined) return seen;
  // The canonical JSON of a list is its elements' canonical JSON joined: no second serialization,
  // and hashed piece by piece. (Joining 10,000 texts into one string first cost three times more;
  // joining them into 64 KB pieces saved a little time but made 4 MB of garbage per request, and
  // with it a young-generation collection inside a server's apply.)
  const h = createHash("sha256").update("[");
  sortResources(resources).forEach((r, i) => {
    if (i > 0) h.update(",");
    h.update(textOf(r));
  });
  const hash = h.update("]").digest("hex");
  if (Object.isFrozen(resources)) hashedLists.set(resources, hash);
  return hash;
}

/** The last list unknownBodies found all known: a body at the same place in the next list is known without a lookup. */
let lastAllKnown: readonly Resource[] = [];

/**
 * The resources that are not known bodies (a store read them back, or a reader remembered them:
 * JSON already, their canonical form known), in order. Compared by place with the last list that
 * was all known first: a revision that changed one route of 10,000 looks up one body, not
 * 10,000 (a pass of lookups costs ≈ 2 ms on a server's large heap).
 */
export function unknownBodies(resources: readonly Resource[]): Resource[] {
  const last = lastAllKnown;
  const out: Resource[] = [];
  for (let i = 0; i < resources.length; i++) {
    const r = resources[i]!;
    if (r !== last[i] && !known.has(r)) out.push(r);
  }
  if (out.length === 0) lastAllKnown = resources;
  return out;
}

/** The content hash of a body a store read back; undefined for any other object. */
export function knownHash(r: Resource): string | undefined {
  return known.get(r)?.hash;
}

/**
 * Chunks laid out before, by their first resource, with all their resources: the same known
 * bodies again, in the same order, make the same chunk (its end depends on them alone), so a
 * revision that changes one route of 10,000 lays out one chunk anew, not 160.
 */
const chunksFrom = new WeakMap<Resource, { members: readonly Resource[]; chunk: Chunk }>();

/** The content-addressed form of a list of resources, in the order given. */
export function layout(resources: readonly Resource[]): Layout {
  const textOf = new Map<Resource, string>();
  const chunks: Chunk[] = [];
  for (let i = 0; i < resources.length; ) {
    const seen = chunksFrom.get(resources[i]!);
    if (seen && seen.members.every((m, k) => resources[i + k] === m)) {
      chunks.push(seen.chunk);
      i += seen.members.length;
      continue;
    }
    const members: Resource[] = [];
    const bodies: string[] = [];
    const texts: string[] = [];
    let ended = false;
    while (i < resources.length && !ended) {
      const r = resources[i++]!;
      const stored = known.get(r);
      let text = stored?.text ?? textOf.get(r);
      if (text === undefined) {
        text = canonicalJson(r);
        textOf.set(r, text);
      }
      members.push(r);
      bodies.push(stored?.hash ?? sha256(text));
      texts.push(text);
      ended = members.length >= CHUNK_MAX || endsChunk(r);
    }
    const text = JSON.stringify(bodies);
    const chunk = { hash: sha256(text), bodies, texts, text };
    chunks.push(chunk);
    // Only a chunk its own resources ended (not the end of the list), of bodies that cannot change.
    if (ended && members.every((m) => known.has(m))) chunksFrom.set(members[0]!, { members, chunk });
  }
  const hash = listHash(resources, (r) => known.get(r)?.text ?? textOf.get(r)!);
  let bodies: Map<string, string> | undefined;
  return {
    hash,
    get bodies() {
      return (bodies ??= new Map(chunks.flatMap((c) => c.bodies.map((b, k) => [b, c.texts[k]!] as const))));
    },
    chunks,
    manifest: chunks.map((c) => c.hash),
  };
}
