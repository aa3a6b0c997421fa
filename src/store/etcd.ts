// The Store on etcd (v3 API, the etcd3 client), for Hecate on several machines. Every key lives
// under one prefix (default /hecate/). Revisions are laid out by content like on SQLite
// (store/content.ts): bodies and chunks are put first (a hash names its content, so writing one
// twice is harmless), then one transaction compares the head and writes the revision. Locks are
// keys on etcd leases; a lock key's create revision is its fencing token, and every fenced write
// compares it inside the same transaction. etcd's own limits shape the layout: each value stays
// far below its 1.5 MiB request limit, and a transaction holds at most 128 operations.
import { Etcd3, type IKeyValue, type IOptions, type IRequestOp, type ICompare, type ITxnResponse } from "etcd3";
import { HecateError } from "../diag.js";
import type { Resource } from "../model/schema.js";
import { entryHash, GENESIS, verifyChain, type AuditVerification, type ChainedFields } from "./audit-chain.js";
import { layout, storedBody, unknownBodies, type Layout } from "./content.js";
import { resealAll, SecretBox, type DerivedKey } from "./crypto.js";
import { auditEntryOf, auditRow, checkDump, checkExpectedParent, checkTtl, fenced, headMoved, parseJson, refLookups, resolveRef, STATUSES, toJson } from "./rules.js";
import type {
  ApplyRecord,
  AuditEntry,
  Fence,
  JournalEntry,
  LockAttempt,
  ApplyEnding,
  ApplyJournalEntry,
  LockInfo,
  PutRevisionInput,
  Revision,
  RevisionMeta,
  Store,
  StoreDump,
  TokenRecord,
  TokenSecret,
  RekeyResult,
} from "./store.js";

export interface EtcdStoreOptions {
  /** Client endpoints, "host:port" (http) or full URLs. */
  endpoints: string[];
  /** Key prefix, default "/hecate/". Several Hecates can share one cluster under different prefixes. */
  prefix?: string;
  /** Deadline of one request (default 5000 ms): without a quorum, etcd would otherwise wait forever. */
  timeoutMs?: number;
  secretKey?: Buffer;
  keyFile?: string;
}

/** etcd's default --max-txn-ops: no transaction may hold more. */
const MAX_TXN_OPS = 128;

export { parseEtcdUrl } from "./etcd-url.js";

/** Connect to etcd; the first request proves the cluster answers (a clear error if not). */
export async function openEtcdStore(opts: EtcdStoreOptions): Promise<EtcdStore> {
  const hosts = opts.endpoints.map((e) => (/^https?:\/\//.test(e) ? e : `http://${e}`));
  const timeoutMs = opts.timeoutMs ?? 5000;
  const clientOptions: IOptions = {
    hosts,
    dialTimeout: timeoutMs,
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + timeoutMs }),
  };
  const client = new Etcd3(clientOptions);
  const store = new EtcdStore(client, opts.prefix ?? "/hecate/", opts.endpoints.join(","), new SecretBox({ key: opts.secretKey, keyFile: opts.keyFile }));
  try {
    await store.ping();
  } catch (e) {
    await store.close();
    throw e;
  }
  return store;
}

const pad = (n: number) => String(n).padStart(12, "0");
const enc = encodeURIComponent;
/** Keys of the revisions applied to one system alone (`apply --system`): applied-to/<system>. */
const APPLIED_TO = "applied-to/";
const text = (kv: IKeyValue | undefined) => kv?.value.toString("utf8");

interface RevisionDoc {
  seq: number;
  hash: string;
  parent?: string;
  author: string;
  message: string;
  source: RevisionMeta["source"];
  createdAt: string;
  manifest: string[];
}
type AuditDoc = ChainedFields & { hash: string };
interface LockDoc { holder: string; acquiredAt: string; expiresAt: string }
/** The last acquisition of a lock (its mod revision is the token), kept off the lease: tells "ran out" from "free" once the key is gone. */
interface LastDoc { holder: string }

export class EtcdStore implements Store {
  private closed = false;
  private readonly bodyCache = new Map<string, Resource>();
  private readonly chunkCache = new Map<string, string[]>();

  constructor(
    private readonly client: Etcd3,
    /** Every key of this store starts with it. */
    readonly prefix: string,
    /** The endpoints, for messages. */
    readonly where: string,
    private readonly box: SecretBox,
  ) {}

  // ---- plumbing -----------------------------------------------------------------------------

  private k(key: string): Buffer {
    return Buffer.from(this.prefix + key);
  }

  /** Every method goes through here: closed check, and etcd's failures as errors a person can act on. */
  private async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) throw new HecateError("store-closed", `the etcd store ${this.where} is closed`, { status: 500 });
    try {
      return await fn();
    } catch (e) {
      if (e instanceof HecateError) throw e;
      const msg = (e as Error).message ?? String(e);
      throw new HecateError(
        "store-unavailable",
        `the etcd store at ${this.where} did not answer (${msg}); check that a majority of its members are up and reachable, then try again`,
        { cause: e, status: 503 },
      );
    }
  }

  async ping(): Promise<void> {
    await this.run(() => this.get("head"));
  }

  private async get(key: string): Promise<IKeyValue | undefined> {
    const res = await this.client.kv.range({ key: this.k(key) });
    return res.kvs[0];
  }

  /** Every key under `sub` (in key order), optionally newest-key-first with a limit. */
  private async list(sub: string, opts: { limit?: number; desc?: boolean; keysOnly?: boolean; revision?: string } = {}): Promise<IKeyValue[]> {
    const key = this.k(sub);
    const res = await this.client.kv.range({
      key,
      range_end: prefixEnd(key),
      ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
      ...(opts.desc ? { sort_order: "Descend", sort_target: "Key" } : {}),
      ...(opts.keysOnly ? { keys_only: true } : {}),
      ...(opts.revision ? { revision: opts.revision } : {}),
    });
    return res.kvs;
  }

  /** Values of many keys, a transaction of up to 128 reads per request. */
  private async getMany(keys: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const batches: string[][] = [];
    for (let i = 0; i < keys.length; i += MAX_TXN_OPS) batches.push(keys.slice(i, i + MAX_TXN_OPS));
    await Promise.all(
      batches.map(async (batch) => {
        const res = await this.client.kv.txn({ success: batch.map((key) => ({ request_range: { key: this.k(key) } })) });
        res.responses.forEach((r, i) => {
          const kv = r.response_range.kvs[0];
          if (kv) out.set(batch[i]!, kv.value.toString("utf8"));
        });
      }),
    );
    return out;
  }

  private put(key: string, value: string, lease?: string): IRequestOp {
    return { request_put: { key: this.k(key), value: Buffer.from(value), ...(lease ? { lease } : {}) } };
  }

  private del(key: string): IRequestOp {
    return { request_delete_range: { key: this.k(key) } };
  }

  private cmp(key: string, target: "Create" | "Mod" | "Version" | "Value", result: "Equal" | "Greater" | "Less" | "NotEqual", value: string | number): ICompare {
    const c: ICompare = { key: this.k(key), target, result };
    if (target === "Create") c.create_revision = value;
    else if (target === "Mod") c.mod_revision = value;
    else if (target === "Version") c.version = value;
    else c.value = Buffer.from(String(value));
    return c;
  }

  private txn(compare: ICompare[], success: IRequestOp[], failure: IRequestOp[] = []): Promise<ITxnResponse> {
    return this.client.kv.txn({ compare, success, failure });
  }

  /** Unconditional puts in transactions of at most 128 (content-addressed data: order does not matter). */
  private async putAll(ops: IRequestOp[]): Promise<void> {
    for (let i = 0; i < ops.length; i += MAX_TXN_OPS) await this.client.kv.txn({ success: ops.slice(i, i + MAX_TXN_OPS) });
  }

  /**
   * A fenced write: `compare` and `success` go through only while the fence's lock key still has
   * the fence's token as its create revision (one transaction). A refusal is told apart by reading
   * the lock again: the fence, or `otherwise` (the caller's own compares failed).
   */
  private async fencedTxn(fence: Fence | undefined, compare: ICompare[], success: IRequestOp[], otherwise: () => Promise<never> | never): Promise<ITxnResponse> {
    const all = fence ? [this.cmp(`lock/${enc(fence.lock)}`, "Create", "Equal", fence.token), ...compare] : compare;
    const res = await this.txn(all, success);
    if (res.succeeded) return res;
    if (fence) {
      const now = await this.getLockState(fence.lock);
      if (!now || now.token !== fence.token || !now.live) throw fenced(fence, now);
    }
    return otherwise();
  }

  // ---- revisions ----------------------------------------------------------------------------

  putRevision(input: PutRevisionInput): Promise<Revision> {
    return this.run(async () => {
      const expected = input.expectedParent;
      checkExpectedParent(expected);
      toJson(unknownBodies(input.resources), "the revision's resources");
      toJson(input.source, "the revision's source");
      const lay = layout(input.resources);
      const head = expected > 0 ? await this.revisionDoc(expected) : undefined;
      // Checked before writing any content: a writer that is behind learns it at once.
      const headNow = await this.get("head");
      if (Number(text(headNow) ?? 0) !== expected) throw headMoved(expected, await this.headMeta());
      await this.putContent(lay);
      const seq = expected + 1;
      const doc: RevisionDoc = {
        seq,
        hash: lay.hash,
        ...(head ? { parent: head.hash } : {}),
        author: input.author,
        message: input.message,
        source: input.source,
        createdAt: new Date().toISOString(),
        manifest: lay.manifest,
      };
      // The compare-and-set: the head is still what the writer read.
      const res = await this.txn(
        [expected === 0 ? this.cmp("head", "Create", "Equal", 0) : this.cmp("head", "Value", "Equal", String(expected))],
        [this.put(`rev/${pad(seq)}`, JSON.stringify(doc)), this.put(`revhash/${lay.hash}/${pad(seq)}`, ""), this.put("head", String(seq))],
      );
      if (!res.succeeded) throw headMoved(expected, await this.headMeta());
      return this.toRevision(doc, lay);
    });
  }

  /** Chunks the store does not hold yet, and their bodies, before the revision names them. */
  private async putContent(lay: Layout): Promise<void> {
    const held = await this.getMany(lay.chunks.map((c) => `chunk/${c.hash}`));
    const ops: IRequestOp[] = [];
    const bodies = new Map<string, string>();
    for (const c of lay.chunks) {
      if (held.has(`chunk/${c.hash}`)) continue;
      c.bodies.forEach((b, k) => bodies.set(b, c.texts[k]!));
    }
    for (const [b, t] of bodies) ops.push(this.put(`body/${b}`, t));
    // Bodies land before the chunks that name them: a chunk seen means its bodies are there.
    await this.putAll(ops);
    await this.putAll(lay.chunks.filter((c) => !held.has(`chunk/${c.hash}`)).map((c) => this.put(`chunk/${c.hash}`, c.text)));
  }

  private async revisionDoc(seq: number): Promise<RevisionDoc | undefined> {
    const t = text(await this.get(`rev/${pad(seq)}`));
    return t === undefined ? undefined : parseJson<RevisionDoc>(t, `revision #${seq}`, this.where);
  }

  private async headMeta(): Promise<RevisionDoc | undefined> {
    const seq = Number(text(await this.get("head")) ?? 0);
    return seq > 0 ? this.revisionDoc(seq) : undefined;
  }

  getRevision(ref: string): Promise<Revision | undefined> {
    return this.run(async () => {
      const need = refLookups(ref);
      const [seqDoc, hashKeys] = await Promise.all([
        need.seq !== undefined ? this.revisionDoc(need.seq) : undefined,
        need.prefix !== undefined ? this.list(`revhash/${need.prefix}`, { keysOnly: true }) : [],
      ]);
      const hashes = [...new Set(hashKeys.map((kv) => kv.key.toString().slice(this.prefix.length).split("/")[1]!))].slice(0, 11);
      const found = resolveRef(ref, (seq) => seq === need.seq && seqDoc !== undefined, () => hashes);
      if (!found) return undefined;
      const doc = "seq" in found ? seqDoc : await this.newestWithHash(found.hash);
      return doc && this.toRevision(doc);
    });
  }

  private async newestWithHash(hash: string): Promise<RevisionDoc | undefined> {
    const kv = (await this.list(`revhash/${hash}/`, { limit: 1, desc: true, keysOnly: true }))[0];
    return kv ? this.revisionDoc(Number(kv.key.toString().split("/").pop())) : undefined;
  }

  head(): Promise<Revision | undefined> {
    return this.run(async () => {
      const doc = await this.headMeta();
      return doc && this.toRevision(doc);
    });
  }

  /** Newest first. */
  listRevisions(opts: { limit?: number } = {}): Promise<RevisionMeta[]> {
    return this.run(async () => {
      const limit = opts.limit === undefined || !(opts.limit >= 0) ? undefined : Math.floor(opts.limit);
      if (limit === 0) return [];
      const kvs = await this.list("rev/", { desc: true, ...(limit ? { limit } : {}) });
      return kvs.map((kv) => toMeta(parseJson<RevisionDoc>(text(kv)!, "a revision", this.where)));
    });
  }

  private async toRevision(doc: RevisionDoc, known?: Layout): Promise<Revision> {
    const what = `revision #${doc.seq}`;
    if (!Array.isArray(doc.manifest)) throw this.corrupt(`${what} has no list of chunks`);
    const knownChunks = new Map(known?.chunks.map((c) => [c.hash, c.bodies]));
    const missingChunks = doc.manifest.filter((c) => !knownChunks.has(c) && !this.chunkCache.has(c));
    const chunkTexts = await this.getMany(missingChunks.map((c) => `chunk/${c}`));
    for (const c of missingChunks) {
      const t = chunkTexts.get(`chunk/${c}`);
      if (t === undefined) throw this.corrupt(`${what} names chunk ${c.slice(0, 12)}, which is missing`);
      if (this.chunkCache.size >= 20_000) this.chunkCache.clear();
      this.chunkCache.set(c, parseJson<string[]>(t, `chunk ${c.slice(0, 12)}`, this.where));
    }
    const hashes = doc.manifest.flatMap((c) => knownChunks.get(c) ?? this.chunkCache.get(c)!);
    const missing = [...new Set(hashes.filter((h) => !this.bodyCache.has(h)))];
    const fetched = await this.getMany(missing.filter((h) => !known?.bodies.has(h)).map((h) => `body/${h}`));
    if (this.bodyCache.size + missing.length > 100_000) this.bodyCache.clear();
    for (const h of missing) {
      const t = known?.bodies.get(h) ?? fetched.get(`body/${h}`);
      if (t === undefined) throw this.corrupt(`${what} names resource body ${h.slice(0, 12)}, which is missing`);
      this.bodyCache.set(h, storedBody(h, t, parseJson<Resource>(t, `a resource body of ${what}`, this.where)));
    }
    return { ...toMeta(doc), resources: Object.freeze(hashes.map((h) => this.bodyCache.get(h)!)) as Resource[] };
  }

  private corrupt(msg: string): HecateError {
    return new HecateError("store-corrupt", `the etcd store ${this.where} (${this.prefix}) is damaged: ${msg}; restore it from a backup (hecate restore)`, { status: 500 });
  }

  // ---- applied marker -----------------------------------------------------------------------

  setApplied(hash: string, fence?: Fence, systems?: readonly string[]): Promise<void> {
    return this.run(async () => {
      await this.fencedTxn(fence, [], await this.appliedOps(hash, systems), () => {
        throw new Error("unreachable: an applied marker without compares");
      });
    });
  }

  /** The writes that mark a revision applied (to every system, or to some alone). */
  private async appliedOps(hash: string, systems?: readonly string[]): Promise<IRequestOp[]> {
    const doc = await this.newestWithHash(hash);
    if (!doc) throw new HecateError("unknown-revision", `cannot mark ${hash} as applied: no such revision in the etcd store ${this.where}`);
    // Applied to every system: the marker, and no system keeps one of its own any more.
    return systems?.length
      ? systems.map((sys) => this.put(`${APPLIED_TO}${enc(sys)}`, String(doc.seq)))
      : [this.put("applied", String(doc.seq)), { request_delete_range: { key: this.k(APPLIED_TO), range_end: prefixEnd(this.k(APPLIED_TO)) } }];
  }

  lastApplied(system?: string): Promise<Revision | undefined> {
    return this.run(async () => {
      const seq = text((system !== undefined ? await this.get(`${APPLIED_TO}${enc(system)}`) : undefined) ?? (await this.get("applied")));
      const doc = seq === undefined ? undefined : await this.revisionDoc(Number(seq));
      return doc && this.toRevision(doc);
    });
  }

  // ---- audit --------------------------------------------------------------------------------

  audit(entry: AuditEntry | readonly AuditEntry[]): Promise<void> {
    return this.run(async () => {
      for (const e of ([] as AuditEntry[]).concat(entry)) await this.appendAudit(auditRow(e, new Date().toISOString()));
    });
  }

  /** Chain to the recorded head and move it, in one transaction; a writer that raced retries. */
  private async appendAudit(row: Omit<ChainedFields, "id"> & { id?: number | null }, fence?: Fence): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const { compare, ops } = await this.auditOps(row);
      const res = await this.fencedTxn(fence, compare, ops, async () => {
        if (attempt >= 50) throw this.busy("audit log");
        return undefined as never;
      });
      if (res?.succeeded) return;
    }
  }

  /** The writes that append one audit entry, and the compare that keeps the chain's head where it was read. */
  private async auditOps(row: Omit<ChainedFields, "id"> & { id?: number | null }): Promise<{ compare: ICompare[]; ops: IRequestOp[] }> {
    const headKv = await this.get("audit-head");
    const m = /^(\d+):([0-9a-f]+)$/.exec(text(headKv) ?? "");
    const id = row.id ?? (m ? Number(m[1]) : 0) + 1;
    const full: ChainedFields = { ...row, id };
    const hash = entryHash(m?.[2] ?? GENESIS, full);
    const doc: AuditDoc = { ...full, hash };
    const guard = headKv ? this.cmp("audit-head", "Mod", "Equal", headKv.mod_revision) : this.cmp("audit-head", "Create", "Equal", 0);
    return { compare: [guard], ops: [this.put(`audit/${pad(id)}`, JSON.stringify(doc)), this.put("audit-head", `${id}:${hash}`)] };
  }

  private busy(what: string): HecateError {
    return new HecateError("store-busy", `the ${what} of the etcd store ${this.where} kept moving under this writer; try again`, { status: 503 });
  }

  /** Newest first. */
  listAudit(opts: { limit?: number } = {}): Promise<AuditEntry[]> {
    return this.run(async () => {
      const limit = opts.limit === undefined || !(opts.limit >= 0) ? undefined : Math.floor(opts.limit);
      if (limit === 0) return [];
      const kvs = await this.list("audit/", { desc: true, ...(limit ? { limit } : {}) });
      return kvs.map((kv) => auditEntryOf(parseJson<AuditDoc>(text(kv)!, "an audit entry", this.where), this.where));
    });
  }

  verifyAudit(): Promise<AuditVerification> {
    return this.run(async () => {
      // One etcd revision for both reads: the log and its head as of the same moment.
      const headRes = await this.client.kv.range({ key: this.k("audit-head") });
      const rows = (await this.list("audit/", { revision: headRes.header.revision })).map((kv) => parseJson<AuditDoc>(text(kv)!, "an audit entry", this.where));
      const t = text(headRes.kvs[0]);
      const m = t === undefined ? undefined : /^(\d+):([0-9a-f]+)$/.exec(t);
      const report = verifyChain(rows, m ? { id: Number(m[1]), hash: m[2]! } : undefined);
      if (t !== undefined && !m) report.problems.push({ message: `the recorded head of the audit log is unreadable (${JSON.stringify(t)})` });
      return { ...report, ok: report.problems.length === 0 };
    });
  }

  // ---- API tokens ---------------------------------------------------------------------------

  putToken(t: Omit<TokenRecord, "createdAt" | "revokedAt">): Promise<TokenRecord> {
    return this.run(async () => {
      const rec: TokenRecord = { ...t, createdAt: new Date().toISOString() };
      const res = await this.txn(
        [this.cmp(`token-name/${enc(t.name)}`, "Create", "Equal", 0), this.cmp(`token/${enc(t.id)}`, "Create", "Equal", 0)],
        [this.put(`token-name/${enc(t.name)}`, t.id), this.put(`token/${enc(t.id)}`, JSON.stringify(rec))],
      );
      if (!res.succeeded) throw new HecateError("exists", `a token named "${t.name}" already exists (names stay taken after revoking); pick another --name`, { status: 409 });
      return rec;
    });
  }

  getToken(id: string): Promise<TokenRecord | undefined> {
    return this.run(async () => {
      const t = text(await this.get(`token/${enc(id)}`));
      return t === undefined ? undefined : parseJson<TokenRecord>(t, `token ${id}`, this.where);
    });
  }

  listTokens(): Promise<TokenRecord[]> {
    return this.run(async () => {
      const all = (await this.list("token/")).map((kv) => parseJson<TokenRecord>(text(kv)!, "a token", this.where));
      return all.sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    });
  }

  revokeToken(nameOrId: string): Promise<TokenRecord | undefined> {
    return this.run(async () => {
      for (;;) {
        const id = text(await this.get(`token-name/${enc(nameOrId)}`)) ?? nameOrId;
        const kv = await this.get(`token/${enc(id)}`);
        if (!kv) return undefined;
        const rec = parseJson<TokenRecord>(text(kv)!, `token ${id}`, this.where);
        if (rec.revokedAt) return rec;
        const revoked = { ...rec, revokedAt: new Date().toISOString() };
        const res = await this.txn([this.cmp(`token/${enc(id)}`, "Mod", "Equal", kv.mod_revision)], [this.put(`token/${enc(id)}`, JSON.stringify(revoked))]);
        if (res.succeeded) return revoked;
      }
    });
  }

  setTokenSecret(id: string, expect: Pick<TokenRecord, "hash" | "previousUntil">, next: TokenSecret): Promise<TokenRecord | undefined> {
    return this.run(async () => {
      for (;;) {
        const kv = await this.get(`token/${enc(id)}`);
        if (!kv) return undefined;
        const { previousHash: _h, previousUntil, rotatedAt: _r, ...rec } = parseJson<TokenRecord>(text(kv)!, `token ${id}`, this.where);
        if (rec.hash !== expect.hash || previousUntil !== expect.previousUntil) return undefined;
        const updated: TokenRecord = { ...rec, ...next };
        const res = await this.txn([this.cmp(`token/${enc(id)}`, "Mod", "Equal", kv.mod_revision)], [this.put(`token/${enc(id)}`, JSON.stringify(updated))]);
        if (res.succeeded) return updated;
      }
    });
  }

  // ---- applies and their journal ------------------------------------------------------------

  beginApply(rec: Omit<ApplyRecord, "status" | "startedAt">, fence?: Fence, journal: readonly ApplyJournalEntry[] = []): Promise<ApplyRecord> {
    return this.run(async () => {
      const full: ApplyRecord = { applyId: rec.applyId, revision: rec.revision, status: "running", startedAt: new Date().toISOString(), holder: rec.holder };
      const key = `apply/${enc(rec.applyId)}`;
      // A new apply has no journal yet: its first entries are 1..n.
      const entries = this.journalOps(journal.map((e) => ({ ...e, applyId: rec.applyId })), new Map([[rec.applyId, 0]]));
      await this.fencedTxn(fence, [this.cmp(key, "Create", "Equal", 0)], [this.put(key, JSON.stringify(full)), ...entries.ops], () => {
        throw new HecateError("apply-exists", `an apply with id ${rec.applyId} is already recorded in the etcd store ${this.where}`, { status: 409 });
      });
      return full;
    });
  }

  /** Appends with the next seq of that apply: the new keys must not exist yet (a racing writer retries). */
  journal(entry: JournalEntry | readonly JournalEntry[], fence?: Fence): Promise<void> {
    return this.run(async () => {
      const list = ([] as JournalEntry[]).concat(entry);
      const ids = [...new Set(list.map((e) => e.applyId))];
      for (;;) {
        const last = new Map(await Promise.all(ids.map(async (id) => [id, await this.lastJournalSeq(id)] as const)));
        const { compare, ops } = this.journalOps(list, last);
        const res = await this.fencedTxn(fence, [...ids.map((id) => this.cmp(`apply/${enc(id)}`, "Version", "Greater", 0)), ...compare], ops, async () => {
          for (const id of ids) if (!(await this.get(`apply/${enc(id)}`))) throw new HecateError("unknown-apply", `cannot journal for apply ${id}: it was never begun (beginApply)`, { status: 500 });
          return undefined as never;
        });
        if (res?.succeeded) return;
      }
    });
  }

  private async lastJournalSeq(applyId: string): Promise<number> {
    const last = (await this.list(`journal/${enc(applyId)}/`, { limit: 1, desc: true, keysOnly: true }))[0];
    return last ? Number(last.key.toString().split("/").pop()) : 0;
  }

  /** Journal entries as keys after each apply's last seq; each key must not exist yet. */
  private journalOps(entries: readonly JournalEntry[], last: Map<string, number>): { compare: ICompare[]; ops: IRequestOp[] } {
    const next = new Map(last);
    const compare: ICompare[] = [];
    const ops: IRequestOp[] = [];
    const at = new Date().toISOString();
    for (const e of entries) {
      const seq = (next.get(e.applyId) ?? 0) + 1;
      next.set(e.applyId, seq);
      const key = `journal/${enc(e.applyId)}/${pad(seq)}`;
      const data = e.data === undefined ? null : toJson(e.data, `journal data of apply ${e.applyId}`);
      compare.push(this.cmp(key, "Create", "Equal", 0));
      ops.push(this.put(key, JSON.stringify({ applyId: e.applyId, seq, at, event: e.event, system: e.system ?? null, data })));
    }
    return { compare, ops };
  }

  endApply(applyId: string, status: ApplyRecord["status"], fence?: Fence, ending: ApplyEnding = {}): Promise<void> {
    return this.run(async () => {
      if (!STATUSES.includes(status)) throw new HecateError("store-value", `unknown apply status "${status}"`);
      const key = `apply/${enc(applyId)}`;
      const at = new Date().toISOString();
      const audit = ending.audit && auditRow(ending.audit, at);
      const applied = ending.applied ? await this.appliedOps(ending.applied.hash, ending.applied.systems) : [];
      for (let attempt = 0; ; attempt++) {
        const kv = await this.get(key);
        if (!kv) {
          if (fence) await this.fencedTxn(fence, [], [], () => undefined as never); // a stale writer hears "fenced" first
          throw new HecateError("unknown-apply", `cannot end apply ${applyId}: no such apply in the etcd store ${this.where}`, { status: 404 });
        }
        const rec = parseJson<ApplyRecord>(text(kv)!, `apply ${applyId}`, this.where);
        const entries = this.journalOps((ending.journal ?? []).map((e) => ({ ...e, applyId })), new Map([[applyId, await this.lastJournalSeq(applyId)]]));
        const chain = audit ? await this.auditOps(audit) : { compare: [], ops: [] };
        const res = await this.fencedTxn(
          fence,
          [this.cmp(key, "Mod", "Equal", kv.mod_revision), ...entries.compare, ...chain.compare],
          [...entries.ops, this.put(key, JSON.stringify({ ...rec, status, endedAt: at })), ...applied, ...chain.ops],
          async () => {
            if (attempt >= 50) throw this.busy("apply record");
            return undefined as never;
          },
        );
        if (res?.succeeded) return;
      }
    });
  }

  getApply(applyId: string): Promise<ApplyRecord | undefined> {
    return this.run(async () => {
      const t = text(await this.get(`apply/${enc(applyId)}`));
      return t === undefined ? undefined : parseJson<ApplyRecord>(t, `apply ${applyId}`, this.where);
    });
  }

  /** Newest first: the order they were begun (each key's create revision). */
  listApplies(opts: { status?: ApplyRecord["status"]; limit?: number } = {}): Promise<ApplyRecord[]> {
    return this.run(async () => {
      const all = (await this.list("apply/"))
        .sort((a, b) => Number(b.create_revision) - Number(a.create_revision))
        .map((kv) => parseJson<ApplyRecord>(text(kv)!, "an apply record", this.where))
        .filter((a) => !opts.status || a.status === opts.status);
      return opts.limit === undefined || !(opts.limit >= 0) ? all : all.slice(0, Math.floor(opts.limit));
    });
  }

  /** In the order written. */
  readJournal(applyId: string): Promise<JournalEntry[]> {
    return this.run(async () => (await this.list(`journal/${enc(applyId)}/`)).map((kv) => toJournal(parseJson(text(kv)!, `journal of ${applyId}`, this.where))));
  }

  // ---- locks --------------------------------------------------------------------------------

  /** The lock key on its lease, with its token (create revision); `live` false: only the last acquisition is known. */
  private async getLockState(name: string): Promise<{ holder: string; token: number; live: boolean; doc?: LockDoc; kv?: IKeyValue } | undefined> {
    const [kv, last] = await Promise.all([this.get(`lock/${enc(name)}`), this.get(`lock-last/${enc(name)}`)]);
    if (kv) {
      const doc = parseJson<LockDoc>(text(kv)!, `lock ${name}`, this.where);
      return { holder: doc.holder, token: Number(kv.create_revision), live: true, doc, kv };
    }
    if (!last) return undefined;
    const l = parseJson<LastDoc>(text(last)!, `lock ${name}`, this.where);
    return { holder: l.holder, token: Number(last.mod_revision), live: false };
  }

  /** A lease of at least ttlMs (etcd counts whole seconds and has a floor); its real expiry. */
  private async grant(ttlMs: number): Promise<{ id: string; expiresAt: string }> {
    const res = await this.client.leaseClient.leaseGrant({ TTL: Math.max(1, Math.ceil(ttlMs / 1000)) });
    return { id: res.ID, expiresAt: new Date(Date.now() + Number(res.TTL) * 1000).toISOString() };
  }

  private async revoke(id: string | undefined): Promise<void> {
    if (!id || id === "0") return;
    await this.client.leaseClient.leaseRevoke({ ID: id }).catch(() => undefined); // expires anyway
  }

  tryLock(name: string, holder: string, ttlMs: number): Promise<LockAttempt> {
    return this.run(async () => {
      checkTtl(ttlMs);
      for (;;) {
        const now = await this.getLockState(name);
        if (now?.live && now.holder !== holder) return { acquired: false, lock: toLock(name, now.token, now.doc!) };
        if (now?.live) {
          const renewed = await this.extend(name, now.kv!, now.doc!, ttlMs);
          if (renewed) return { acquired: true, lock: renewed };
          continue;
        }
        const lease = await this.grant(ttlMs);
        const doc: LockDoc = { holder, acquiredAt: new Date().toISOString(), expiresAt: lease.expiresAt };
        const key = `lock/${enc(name)}`;
        // The key's create revision is this transaction's revision: the token, known in the same step.
        // lock-last (off the lease) is written in the same step: its mod revision is the token too.
        const res = await this.txn([this.cmp(key, "Create", "Equal", 0)], [this.put(key, JSON.stringify(doc), lease.id), this.put(`lock-last/${enc(name)}`, JSON.stringify({ holder }))]);
        if (!res.succeeded) {
          await this.revoke(lease.id);
          continue;
        }
        const token = Number(res.header.revision);
        return { acquired: true, lock: toLock(name, token, doc) };
      }
    });
  }

  /** Move this acquisition (same create revision: same token) onto a fresh lease of ttlMs. */
  private async extend(name: string, kv: IKeyValue, doc: LockDoc, ttlMs: number): Promise<LockInfo | undefined> {
    const lease = await this.grant(ttlMs);
    const next: LockDoc = { ...doc, expiresAt: lease.expiresAt };
    const key = `lock/${enc(name)}`;
    const res = await this.txn([this.cmp(key, "Mod", "Equal", kv.mod_revision)], [this.put(key, JSON.stringify(next), lease.id)]);
    if (!res.succeeded) {
      await this.revoke(lease.id);
      return undefined;
    }
    await this.revoke(kv.lease); // the old lease holds no key now
    return toLock(name, Number(kv.create_revision), next);
  }

  renewLock(name: string, holder: string, token: number, ttlMs: number): Promise<boolean> {
    return this.run(async () => {
      checkTtl(ttlMs);
      const now = await this.getLockState(name);
      if (!now?.live || now.holder !== holder || now.token !== token) return false;
      return (await this.extend(name, now.kv!, now.doc!, ttlMs)) !== undefined;
    });
  }

  unlock(name: string, holder: string): Promise<void> {
    return this.run(async () => {
      const now = await this.getLockState(name);
      if (!now?.live || now.holder !== holder) return;
      const key = `lock/${enc(name)}`;
      const res = await this.txn([this.cmp(key, "Create", "Equal", now.token)], [this.del(key), this.del(`lock-last/${enc(name)}`)]);
      if (res.succeeded) await this.revoke(now.kv!.lease);
    });
  }

  getLock(name: string): Promise<LockInfo | undefined> {
    return this.run(async () => {
      const now = await this.getLockState(name);
      return now?.live ? toLock(name, now.token, now.doc!) : undefined;
    });
  }

  breakLock(name: string): Promise<LockInfo | undefined> {
    return this.run(async () => {
      const now = await this.getLockState(name);
      if (!now?.live) return undefined;
      const key = `lock/${enc(name)}`;
      const res = await this.txn([this.cmp(key, "Create", "Equal", now.token)], [this.del(key), this.del(`lock-last/${enc(name)}`)]);
      if (!res.succeeded) return undefined;
      await this.revoke(now.kv!.lease);
      return toLock(name, now.token, now.doc!);
    });
  }

  // ---- secrets ------------------------------------------------------------------------------

  putSecret(name: string, value: string, fence?: Fence): Promise<void> {
    return this.run(async () => {
      if (!name) throw new HecateError("store-value", "a secret needs a name");
      // Refuse to mix keys: the new value must be sealed with the key the others were sealed with.
      const other = (await this.list("secret/", { limit: 2 })).find((kv) => this.secretName(kv) !== name);
      if (other) this.box.open(this.secretName(other), Buffer.from(text(other)!, "base64"));
      const blob = this.box.seal(name, value).toString("base64");
      await this.fencedTxn(fence, [], [this.put(`secret/${enc(name)}`, blob)], () => undefined as never);
    });
  }

  private secretName(kv: IKeyValue): string {
    return decodeURIComponent(kv.key.toString().slice(this.prefix.length + "secret/".length));
  }

  getSecret(name: string): Promise<string | undefined> {
    return this.run(async () => {
      const t = text(await this.get(`secret/${enc(name)}`));
      return t === undefined ? undefined : this.box.open(name, Buffer.from(t, "base64"));
    });
  }

  deleteSecret(name: string, fence?: Fence): Promise<void> {
    return this.run(async () => {
      await this.fencedTxn(fence, [], [this.del(`secret/${enc(name)}`)], () => undefined as never);
    });
  }

  listSecrets(): Promise<string[]> {
    return this.run(async () => (await this.list("secret/", { keysOnly: true })).map((kv) => this.secretName(kv)).sort());
  }

  /**
   * One transaction: each value's new blob put on the compare that its key was not written since
   * it was read, so a secret set meanwhile fails the whole rekey (try again) instead of being left
   * under the old key. etcd takes at most 128 operations per transaction: a store with more sealed
   * values is refused with what to do.
   */
  rekey(newKey: Buffer, fence?: Fence): Promise<RekeyResult> {
    return this.run(async () => {
      const next = new SecretBox({ key: newKey });
      const previousKeyId = this.box.keyId();
      const kvs = await this.list("secret/");
      if (kvs.length > MAX_TXN_OPS - 1) {
        throw new HecateError("rekey-too-large", `the etcd store holds ${kvs.length} sealed values; one etcd transaction takes at most ${MAX_TXN_OPS} operations, so rekey cannot re-seal them all at once (raise etcd's --max-txn-ops, or migrate-store to SQLite, rekey, and migrate back)`);
      }
      const compare = kvs.map((kv) => ({ key: kv.key, target: "Mod" as const, result: "Equal" as const, mod_revision: kv.mod_revision }));
      const puts = kvs.map((kv) => {
        const name = this.secretName(kv);
        return { request_put: { key: kv.key, value: Buffer.from(next.resealFrom(this.box, name, Buffer.from(text(kv)!, "base64")).toString("base64")) } };
      });
      await this.fencedTxn(fence, compare, puts, () => {
        throw new HecateError("store-busy", "a secret was written while rekey re-sealed them; nothing changed, run rekey again", { status: 409 });
      });
      this.box.useKey(newKey);
      return { secrets: kvs.length, keyId: next.keyId(), previousKeyId };
    });
  }

  reseal(blobs: Record<string, string>, oldKey: Buffer): Promise<Record<string, string>> {
    return this.run(async () => resealAll(blobs, new SecretBox({ key: oldKey }), this.box));
  }

  // ---- settings -----------------------------------------------------------------------------

  getSetting(key: string): Promise<string | undefined> {
    return this.run(async () => text(await this.get(`setting/${enc(key)}`)));
  }

  setSetting(key: string, value: string | undefined): Promise<void> {
    return this.run(async () => {
      if (value === undefined) await this.client.kv.deleteRange({ key: this.k(`setting/${enc(key)}`) });
      else await this.client.kv.put({ key: this.k(`setting/${enc(key)}`), value: Buffer.from(value) });
    });
  }

  // ---- backup and restore -------------------------------------------------------------------

  deriveKey(purpose: string, opts: { create: boolean }): Promise<DerivedKey> {
    return this.run(async () => this.box.derive(purpose, opts));
  }

  /** Everything as of one etcd revision (a consistent snapshot). Locks are live state: not dumped. */
  dump(): Promise<StoreDump> {
    return this.run(async () => {
      const at = (await this.client.kv.range({ key: this.k("head") })).header.revision;
      const read = (sub: string) => this.list(sub, { revision: at });
      const [revs, applied, appliedTo, audit, applies, journal, secrets, settings] = await Promise.all([
        read("rev/"),
        this.client.kv.range({ key: this.k("applied"), revision: at }),
        read(APPLIED_TO),
        read("audit/"),
        read("apply/"),
        read("journal/"),
        read("secret/"),
        read("setting/"),
      ]);
      const revisions = await Promise.all(revs.map((kv) => this.toRevision(parseJson<RevisionDoc>(text(kv)!, "a revision", this.where))));
      const appliedSeq = text(applied.kvs[0]);
      const appliedHash = appliedSeq === undefined ? undefined : revisions.find((r) => r.seq === Number(appliedSeq))?.hash;
      const applyList = applies.sort((a, b) => Number(a.create_revision) - Number(b.create_revision)).map((kv) => parseJson<ApplyRecord>(text(kv)!, "an apply record", this.where));
      const order = new Map(applyList.map((a, i) => [a.applyId, i]));
      const entries = journal.map((kv) => toJournal(parseJson(text(kv)!, "a journal entry", this.where)));
      entries.sort((x, y) => (order.get(x.applyId) ?? 0) - (order.get(y.applyId) ?? 0) || (x.seq ?? 0) - (y.seq ?? 0));
      return {
        format: "hecate-store/1",
        revisions,
        ...(appliedHash ? { applied: appliedHash } : {}),
        ...(appliedTo.length
          ? { appliedTo: Object.fromEntries(appliedTo.map((kv) => [decodeURIComponent(kv.key.toString().slice(this.prefix.length + APPLIED_TO.length)), revisions.find((r) => r.seq === Number(text(kv)))?.hash ?? ""]).filter(([, h]) => h)) }
          : {}),
        audit: audit.map((kv) => auditEntryOf(parseJson<AuditDoc>(text(kv)!, "an audit entry", this.where), this.where)),
        applies: applyList,
        journal: entries,
        secrets: Object.fromEntries(secrets.map((kv) => [this.secretName(kv), text(kv)!])),
        settings: Object.fromEntries(settings.map((kv) => [decodeURIComponent(kv.key.toString().slice(this.prefix.length + "setting/".length)), text(kv)!])),
      };
    });
  }

  /**
   * Replace all history, secrets and settings with the dump (locks stay). etcd takes at most 128
   * operations in one transaction, so the new state is written in batches, each fenced like an
   * apply's writes when a fence is given: a writer that loses the lock stops at the next batch.
   * The dump is checked whole before anything is removed.
   */
  load(dump: StoreDump, fence?: Fence): Promise<void> {
    return this.run(async () => {
      checkDump(dump);
      if (dump.applied !== undefined && !dump.revisions.some((r) => r.hash === dump.applied)) {
        throw new HecateError("store-dump", `the dump marks ${dump.applied} as applied but holds no such revision`);
      }
      for (const [system, hash] of Object.entries(dump.appliedTo ?? {})) {
        if (!dump.revisions.some((r) => r.hash === hash)) throw new HecateError("store-dump", `the dump marks ${hash} as applied to ${system} but holds no such revision`);
      }
      for (const r of dump.revisions) {
        toJson(r.source, `revision #${r.seq} source`);
        toJson(r.resources, `revision #${r.seq} resources`);
      }
      const batch = async (ops: IRequestOp[]) => {
        for (let i = 0; i < ops.length; i += MAX_TXN_OPS - 1) await this.fencedTxn(fence, [], ops.slice(i, i + MAX_TXN_OPS - 1), () => undefined as never);
      };
      if (fence) await this.fencedTxn(fence, [], [], () => undefined as never); // refused before anything is removed
      // Content-addressed data is kept (the new revisions reuse what they share); the rest goes.
      const sub = ["rev/", "revhash/", "head", "applied", APPLIED_TO, "audit/", "audit-head", "apply/", "journal/", "secret/", "setting/"];
      await batch(sub.map((s) => (s.endsWith("/") ? { request_delete_range: { key: this.k(s), range_end: prefixEnd(this.k(s)) } } : this.del(s))));
      const now = new Date().toISOString();
      const ops: IRequestOp[] = [];
      let headSeq = 0;
      for (const r of dump.revisions) {
        const lay = layout(r.resources);
        await this.putContent(lay);
        const doc: RevisionDoc = { seq: r.seq, hash: r.hash, ...(r.parent ? { parent: r.parent } : {}), author: r.author, message: r.message, source: r.source, createdAt: r.createdAt, manifest: lay.manifest };
        ops.push(this.put(`rev/${pad(r.seq)}`, JSON.stringify(doc)), this.put(`revhash/${r.hash}/${pad(r.seq)}`, ""));
        headSeq = Math.max(headSeq, r.seq);
      }
      const seqOf = (hash: string) => String(Math.max(...dump.revisions.filter((r) => r.hash === hash).map((r) => r.seq)));
      if (dump.applied !== undefined) ops.push(this.put("applied", seqOf(dump.applied)));
      for (const [system, hash] of Object.entries(dump.appliedTo ?? {})) {
        ops.push(this.put(`${APPLIED_TO}${enc(system)}`, seqOf(hash)));
      }
      // Chained afresh in the dump's order (the dump is signed; the restored log verifies).
      let prev = GENESIS;
      let lastId = 0;
      for (const a of dump.audit) {
        const full: ChainedFields = { id: a.id ?? lastId + 1, at: a.at ?? now, actor: a.actor, action: a.action, target: a.target ?? null, detail: a.detail === undefined ? null : toJson(a.detail, "audit detail"), address: a.address ?? null };
        prev = entryHash(prev, full);
        lastId = full.id;
        ops.push(this.put(`audit/${pad(full.id)}`, JSON.stringify({ ...full, hash: prev } satisfies AuditDoc)));
      }
      if (lastId > 0) ops.push(this.put("audit-head", `${lastId}:${prev}`));
      // Applies one transaction each, in the dump's order: their create revisions are that order (listApplies).
      for (const a of dump.applies) await batch([this.put(`apply/${enc(a.applyId)}`, JSON.stringify(a))]);
      const nextSeq = new Map<string, number>();
      for (const j of dump.journal) {
        const seq = j.seq ?? (nextSeq.get(j.applyId) ?? 0) + 1;
        nextSeq.set(j.applyId, seq);
        const doc = { applyId: j.applyId, seq, at: j.at ?? now, event: j.event, system: j.system ?? null, data: j.data === undefined ? null : toJson(j.data, "journal data") };
        ops.push(this.put(`journal/${enc(j.applyId)}/${pad(seq)}`, JSON.stringify(doc)));
      }
      for (const [name, b64] of Object.entries(dump.secrets)) ops.push(this.put(`secret/${enc(name)}`, b64));
      for (const [k, v] of Object.entries(dump.settings)) ops.push(this.put(`setting/${enc(k)}`, v));
      // The head last: until it is written, a reader sees an empty store rather than half of one.
      if (headSeq > 0) ops.push(this.put("head", String(headSeq)));
      await batch(ops);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.client.close();
  }
}

/** The first key after every key starting with `key` (etcd's range end for a prefix). */
function prefixEnd(key: Buffer): Buffer {
  const end = Buffer.from(key);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]! += 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}

function toMeta(d: RevisionDoc): RevisionMeta {
  return { seq: d.seq, hash: d.hash, ...(d.parent ? { parent: d.parent } : {}), author: d.author, message: d.message, source: d.source, createdAt: d.createdAt };
}

function toJournal(r: { applyId: string; seq: number; at: string; event: string; system: string | null; data: string | null }): JournalEntry {
  return {
    applyId: r.applyId,
    seq: r.seq,
    at: r.at,
    event: r.event,
    ...(r.system !== null ? { system: r.system } : {}),
    ...(r.data !== null ? { data: JSON.parse(r.data) as unknown } : {}),
  };
}

function toLock(name: string, token: number, d: LockDoc): LockInfo {
  return { name, holder: d.holder, token, acquiredAt: d.acquiredAt, expiresAt: d.expiresAt };
}
