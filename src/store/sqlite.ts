// The embedded store: every Store method on one SQLite file (WAL, so several processes share it).
// History tables (revisions, audit, journal) are append-only, enforced by triggers in the file.
// Revisions are stored by content (store/content.ts): bodies and chunks tables, keyed by hash.
import Database from "better-sqlite3";
import { chmodSync, closeSync, mkdirSync, openSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { HecateError } from "../diag.js";
import type { Resource } from "../model/schema.js";
import { resealAll, SecretBox, type DerivedKey, type SecretBoxOptions } from "./crypto.js";
import { auditEntryOf, auditRow, checkDump, checkExpectedParent, checkTtl, fenced, headMoved, parseJson, resolveRef, STATUSES, toJson } from "./rules.js";
import { knownHash, layout, storedBody, unknownBodies, type Layout } from "./content.js";
import { entryHash, GENESIS, verifyChain, type AuditVerification } from "./audit-chain.js";
import { defaultStorePath } from "./paths.js";
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
  RevisionSource,
  Store,
  StoreDump,
  TokenRecord,
  TokenSecret,
  RekeyResult,
} from "./store.js";

export interface SqliteStoreOptions {
  /** File path, or ":memory:" for a throwaway store. Default `$HECATE_STORE`, else XDG state dir. */
  path?: string;
  /** How long to wait for another process's write lock before failing (default 5000 ms). */
  busyTimeoutMs?: number;
  /** Secret key source; default `$HECATE_SECRET_KEY`, else the key file in the XDG config dir. */
  secretKey?: Buffer;
  keyFile?: string;
}

/** "HECA": marks the file as a Hecate store so we never migrate somebody else's database. */
const APPLICATION_ID = 0x48454341;

/**
 * Triggers that make history append-only. Dropped and recreated only inside load()'s transaction.
 * Shipped migrations run these texts: never edit them, add a new constant and a migration.
 */
const GUARDS = `
CREATE TRIGGER revisions_immutable_u BEFORE UPDATE ON revisions BEGIN SELECT RAISE(ABORT, 'revisions are immutable'); END;
CREATE TRIGGER revisions_immutable_d BEFORE DELETE ON revisions BEGIN SELECT RAISE(ABORT, 'revisions are immutable'); END;
CREATE TRIGGER audit_append_only_u BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_append_only_d BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER journal_append_only_u BEFORE UPDATE ON journal BEGIN SELECT RAISE(ABORT, 'the apply journal is append-only'); END;
CREATE TRIGGER journal_append_only_d BEFORE DELETE ON journal BEGIN SELECT RAISE(ABORT, 'the apply journal is append-only'); END;
CREATE TRIGGER applies_keep_d BEFORE DELETE ON applies BEGIN SELECT RAISE(ABORT, 'apply records are kept'); END;
CREATE TRIGGER applies_fixed_u BEFORE UPDATE OF apply_id, revision, started_at, holder ON applies
  BEGIN SELECT RAISE(ABORT, 'only the status of an apply record changes'); END;
`;
/** Content-addressed revision data: a hash names its content, so a row never changes or goes. */
const GUARDS_CAS = `
CREATE TRIGGER bodies_immutable_u BEFORE UPDATE ON bodies BEGIN SELECT RAISE(ABORT, 'stored resource bodies are immutable'); END;
CREATE TRIGGER bodies_immutable_d BEFORE DELETE ON bodies BEGIN SELECT RAISE(ABORT, 'stored resource bodies are immutable'); END;
CREATE TRIGGER chunks_immutable_u BEFORE UPDATE ON chunks BEGIN SELECT RAISE(ABORT, 'stored revision chunks are immutable'); END;
CREATE TRIGGER chunks_immutable_d BEFORE DELETE ON chunks BEGIN SELECT RAISE(ABORT, 'stored revision chunks are immutable'); END;
`;
const GUARD_NAMES = [...(GUARDS + GUARDS_CAS).matchAll(/CREATE TRIGGER (\w+)/g)].map((m) => m[1]!);

/**
 * Schema migrations: entry i takes user_version i to i+1, inside one IMMEDIATE transaction.
 * SQL text, or a function when rows must be rewritten by code. Append only; never edit a shipped one.
 */
export const MIGRATIONS: (string | ((db: Database.Database) => void))[] = [
  `
  CREATE TABLE revisions (
    seq INTEGER PRIMARY KEY,
    hash TEXT NOT NULL,
    parent TEXT,
    author TEXT NOT NULL,
    message TEXT NOT NULL,
    source TEXT NOT NULL,
    created_at TEXT NOT NULL,
    resources TEXT NOT NULL
  );
  CREATE INDEX revisions_hash ON revisions (hash);
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT,
    detail TEXT
  );
  CREATE TABLE applies (
    apply_id TEXT PRIMARY KEY,
    revision TEXT NOT NULL,
    status TEXT NOT NULL,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    holder TEXT NOT NULL
  );
  CREATE TABLE journal (
    apply_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    at TEXT NOT NULL,
    event TEXT NOT NULL,
    system TEXT,
    data TEXT,
    PRIMARY KEY (apply_id, seq)
  );
  CREATE TABLE locks (name TEXT PRIMARY KEY, holder TEXT NOT NULL, acquired_at TEXT NOT NULL, expires_ms INTEGER NOT NULL);
  CREATE TABLE secrets (name TEXT PRIMARY KEY, blob BLOB NOT NULL, updated_at TEXT NOT NULL);
  CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  ${GUARDS}
  `,
  // 2: revisions by content (bodies, chunks, a manifest per revision); fencing tokens for locks.
  (db) => {
    db.exec(`
      CREATE TABLE bodies (hash TEXT PRIMARY KEY, body TEXT NOT NULL) WITHOUT ROWID;
      CREATE TABLE chunks (hash TEXT PRIMARY KEY, bodies TEXT NOT NULL);
      CREATE TABLE revisions_cas (
        seq INTEGER PRIMARY KEY,
        hash TEXT NOT NULL,
        parent TEXT,
        author TEXT NOT NULL,
        message TEXT NOT NULL,
        source TEXT NOT NULL,
        created_at TEXT NOT NULL,
        manifest TEXT NOT NULL
      );
      ALTER TABLE locks ADD COLUMN token INTEGER NOT NULL DEFAULT 0;
      CREATE TABLE fences (name TEXT PRIMARY KEY, token INTEGER NOT NULL);
    `);
    const seqs = (db.prepare("SELECT seq FROM revisions ORDER BY seq").all() as { seq: number }[]).map((r) => r.seq);
    const get = db.prepare("SELECT * FROM revisions WHERE seq = ?");
    for (const seq of seqs) {
      const row = get.get(seq) as RevisionRow & { resources: string };
      // The stored hash is kept as it was: the content is the same, only its layout changes.
      insertRevision(db, "revisions_cas", row, layout(JSON.parse(row.resources) as Resource[]));
    }
    db.exec(`
      DROP TRIGGER revisions_immutable_u;
      DROP TRIGGER revisions_immutable_d;
      DROP TABLE revisions;
      ALTER TABLE revisions_cas RENAME TO revisions;
      CREATE INDEX revisions_hash ON revisions (hash);
      CREATE TRIGGER revisions_immutable_u BEFORE UPDATE ON revisions BEGIN SELECT RAISE(ABORT, 'revisions are immutable'); END;
      CREATE TRIGGER revisions_immutable_d BEFORE DELETE ON revisions BEGIN SELECT RAISE(ABORT, 'revisions are immutable'); END;
      ${GUARDS_CAS}
    `);
  },
  // 3: the audit log as a hash chain (each entry's hash covers the one before it) with the client
  // address of API changes; API tokens (hashed secrets only).
  (db) => {
    db.exec(`
      ALTER TABLE audit ADD COLUMN address TEXT;
      ALTER TABLE audit ADD COLUMN hash TEXT;
      CREATE TABLE tokens (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        scope TEXT NOT NULL,
        hash TEXT NOT NULL,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL,
        expires_at TEXT,
        revoked_at TEXT
      );
      DROP TRIGGER audit_append_only_u;
    `);
    // Entries written before the chain existed get their links now, in order (the one UPDATE of history).
    const set = db.prepare("UPDATE audit SET hash = ? WHERE id = ?");
    let prev = GENESIS;
    let last: { id: number; hash: string } | undefined;
    for (const row of db.prepare("SELECT * FROM audit ORDER BY id").all() as AuditRow[]) {
      prev = entryHash(prev, row);
      set.run(prev, row.id);
      last = { id: row.id, hash: prev };
    }
    if (last) setAuditHead(db, last);
    db.exec(GUARDS.split("\n").find((l) => l.includes("audit_append_only_u"))!);
  },
  // 4: API token rotation: the secret before the last rotation, accepted until its grace window ends.
  `
  ALTER TABLE tokens ADD COLUMN previous_hash TEXT;
  ALTER TABLE tokens ADD COLUMN previous_until TEXT;
  ALTER TABLE tokens ADD COLUMN rotated_at TEXT;
  `,
];

/** The newest entry written (id and hash), kept apart from the log so deleting the newest rows shows. */
function setAuditHead(db: Database.Database, head: { id: number; hash: string }): void {
  db.prepare("INSERT INTO meta (key, value) VALUES ('audit.head', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(`${head.id}:${head.hash}`);
}

/** Append one audit row with the next id, chained to the newest one (inside the caller's write transaction). */
function appendAudit(db: Database.Database, row: Omit<AuditRow, "id" | "hash"> & { id?: number | null }): void {
  const last = db.prepare("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1").get() as { id: number; hash: string | null } | undefined;
  // The next id after the newest (not AUTOINCREMENT's high-water mark): the chain checks ids are
  // contiguous, and a restore that replaced the log goes on from the restored newest entry.
  const id = row.id ?? (last?.id ?? 0) + 1;
  const full = { ...row, id };
  const hash = entryHash(last?.hash ?? GENESIS, full);
  db.prepare("INSERT INTO audit (id, at, actor, action, target, detail, address, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)").run(
    id, full.at, full.actor, full.action, full.target, full.detail, full.address, hash,
  );
  setAuditHead(db, { id, hash });
}

/** One revision row, writing only the chunks (and their bodies) the store does not hold yet. */
function insertRevision(db: Database.Database, table: "revisions" | "revisions_cas", meta: Omit<RevisionRow, "manifest">, lay: Layout): void {
  const hasChunk = db.prepare("SELECT 1 FROM chunks WHERE hash = ?").pluck();
  const insBody = db.prepare("INSERT INTO bodies (hash, body) VALUES (?, ?) ON CONFLICT (hash) DO NOTHING");
  const insChunk = db.prepare("INSERT INTO chunks (hash, bodies) VALUES (?, ?)");
  for (const c of lay.chunks) {
    if (hasChunk.get(c.hash)) continue; // a stored chunk's bodies are stored too (same transaction)
    c.bodies.forEach((b, k) => insBody.run(b, c.texts[k]!));
    insChunk.run(c.hash, c.text);
  }
  db.prepare(`INSERT INTO ${table} (seq, hash, parent, author, message, source, created_at, manifest) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`).run(
    meta.seq,
    meta.hash,
    meta.parent,
    meta.author,
    meta.message,
    meta.source,
    meta.created_at,
    JSON.stringify(lay.manifest),
  );
}

interface RevisionRow {
  seq: number;
  hash: string;
  parent: string | null;
  author: string;
  message: string;
  source: string;
  created_at: string;
  manifest?: string;
}
interface AuditRow { id: number; at: string; actor: string; action: string; target: string | null; detail: string | null; address: string | null; hash: string | null }
interface TokenRow { id: string; name: string; scope: string; hash: string; created_at: string; created_by: string; expires_at: string | null; revoked_at: string | null; previous_hash: string | null; previous_until: string | null; rotated_at: string | null }
interface ApplyRow { apply_id: string; revision: string; status: string; started_at: string; ended_at: string | null; holder: string }
interface JournalRow { apply_id: string; seq: number; at: string; event: string; system: string | null; data: string | null }
interface LockRow { name: string; holder: string; acquired_at: string; expires_ms: number; token: number }

const META_COLS = "seq, hash, parent, author, message, source, created_at";
/** Meta keys of the revisions applied to one system alone (`apply --system`): applied:<system>. */
const APPLIED_TO = "applied:";

/** Open (creating and migrating if needed) the SQLite store. */
export async function openSqliteStore(opts: SqliteStoreOptions = {}): Promise<SqliteStore> {
  const path = opts.path === ":memory:" ? ":memory:" : resolve(opts.path ?? defaultStorePath());
  const busy = opts.busyTimeoutMs ?? 5000;
  if (path !== ":memory:") prepareFile(path);
  let db: Database.Database;
  try {
    db = new Database(path, { timeout: busy });
    reusePrepared(db);
  } catch (e) {
    throw new HecateError("store-open", `cannot open the store ${path}: ${(e as Error).message}`, { cause: e, status: 500 });
  }
  try {
    if (path !== ":memory:") {
      const mode = db.pragma("journal_mode = WAL", { simple: true });
      if (mode !== "wal") throw new HecateError("store-open", `cannot switch the store ${path} to WAL mode (got ${String(mode)})`, { status: 500 });
    }
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busy))}`);
    db.pragma("synchronous = FULL"); // the journal must survive a crash: that is what it is for
    migrate(db, path);
  } catch (e) {
    db.close();
    throw mapError(e, path);
  }
  const box = new SecretBox({ key: opts.secretKey, keyFile: opts.keyFile } satisfies SecretBoxOptions);
  return new SqliteStore(db, path, box);
}

/**
 * Each SQL text is compiled once per connection and its statement reused: better-sqlite3 does not
 * cache them, and compiling them again on every call was a third of the store's time under many
 * API writers (a token check per request, three statements per audit entry). No statement here is
 * iterated, so a shared one is never busy; SQLite recompiles one itself when the schema changes.
 */
function reusePrepared(db: Database.Database): void {
  const prepare = db.prepare.bind(db);
  const statements = new Map<string, Database.Statement>();
  db.prepare = ((sql: string) => {
    let st = statements.get(sql);
    if (!st) {
      st = prepare(sql);
      statements.set(sql, st);
    }
    return st;
  }) as typeof db.prepare;
}

/** Parent dirs 0700 and the file 0600 before SQLite touches it (WAL/SHM files inherit the mode). */
function prepareFile(path: string): void {
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    try {
      closeSync(openSync(path, "wx", 0o600));
      chmodSync(path, 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      if (!statSync(path).isFile()) throw new Error("not a regular file");
    }
  } catch (e) {
    throw new HecateError("store-open", `cannot create the store ${path}: ${(e as Error).message}`, { cause: e, status: 500 });
  }
}

function migrate(db: Database.Database, path: string): void {
  const run = db.transaction(() => {
    const version = db.pragma("user_version", { simple: true }) as number;
    const appId = db.pragma("application_id", { simple: true }) as number;
    if (appId !== 0 && appId !== APPLICATION_ID) {
      throw new HecateError("store-open", `${path} is an SQLite database but not a Hecate store`, { status: 500 });
    }
    if (version > MIGRATIONS.length) {
      throw new HecateError(
        "store-version",
        `the store ${path} has schema version ${version}, newer than this Hecate understands (${MIGRATIONS.length}); upgrade Hecate`,
        { status: 500 },
      );
    }
    if (version === 0) {
      const tables = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'").get() as { n: number };
      if (tables.n > 0) throw new HecateError("store-open", `${path} is an SQLite database but not a Hecate store`, { status: 500 });
      db.pragma(`application_id = ${APPLICATION_ID}`);
    }
    for (let v = version; v < MIGRATIONS.length; v++) {
      const m = MIGRATIONS[v]!;
      if (typeof m === "string") db.exec(m);
      else m(db);
    }
    if (version !== MIGRATIONS.length) db.pragma(`user_version = ${MIGRATIONS.length}`);
    return version;
  });
  // IMMEDIATE: two processes opening a fresh file must not both run the migrations.
  const from = run.immediate();
  // Full-snapshot revisions were rewritten by content: give the freed pages back (best effort;
  // a busy store just keeps them for reuse).
  if (from === 1 && path !== ":memory:") {
    try {
      db.exec("VACUUM");
    } catch {
      /* the pages are reused by later writes */
    }
  }
}

/** SQLite failures turned into errors a person can act on; the file is always named. */
function mapError(e: unknown, path: string): HecateError {
  if (e instanceof HecateError) return e;
  const err = e as { code?: string; message?: string };
  const code = err.code ?? "";
  const msg = err.message ?? String(e);
  if (code.startsWith("SQLITE_CORRUPT") || code === "SQLITE_NOTADB") {
    return new HecateError("store-corrupt", `the store ${path} is damaged or not a Hecate store (${msg}); restore it from a backup (hecate restore)`, { cause: e, status: 500 });
  }
  if (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED")) {
    return new HecateError("store-busy", `the store ${path} stayed busy: another process held its write lock too long (${msg})`, { cause: e, status: 503 });
  }
  if (code.startsWith("SQLITE_READONLY") || code.startsWith("SQLITE_CANTOPEN") || code.startsWith("SQLITE_PERM") || code.startsWith("SQLITE_IOERR")) {
    return new HecateError("store-open", `cannot write the store ${path}: ${msg}`, { cause: e, status: 500 });
  }
  if (code === "SQLITE_CONSTRAINT_TRIGGER") {
    return new HecateError("store-append-only", `the store ${path} refused: ${msg}`, { cause: e, status: 500 });
  }
  return new HecateError("store-error", `store ${path}: ${msg}`, { cause: e, status: 500 });
}

/** The Store on SQLite. Methods are async for the interface; the work is synchronous and short. */
export class SqliteStore implements Store {
  private closed = false;

  constructor(
    private readonly db: Database.Database,
    /** The file (or ":memory:"), for messages and tests. */
    readonly path: string,
    private readonly box: SecretBox,
  ) {}

  /** Every method goes through here: closed check and error mapping in one place. */
  private run<T>(fn: () => T): Promise<T> {
    try {
      if (this.closed) throw new HecateError("store-closed", `the store ${this.path} is closed`, { status: 500 });
      return Promise.resolve(fn());
    } catch (e) {
      return Promise.reject(mapError(e, this.path));
    }
  }

  // ---- revisions ----------------------------------------------------------------------------

  /**
   * Layout and hashing happen before the write lock is taken; inside one IMMEDIATE transaction the
   * head is compared with expectedParent and the revision written only if they match.
   */
  putRevision(input: PutRevisionInput): Promise<Revision> {
    return this.run(() => {
      const expected = input.expectedParent;
      checkExpectedParent(expected);
      // Refuse what JSON cannot hold, with a clear message (bodies read from the store are JSON already).
      const fresh = unknownBodies(input.resources);
      toJson(fresh, "the revision's resources");
      const sourceJson = toJson(input.source, "the revision's source");
      const lay = layout(input.resources);
      const createdAt = new Date().toISOString();
      const insert = this.db.transaction(() => {
        const head = this.db.prepare("SELECT seq, hash, author, message FROM revisions ORDER BY seq DESC LIMIT 1").get() as
          | { seq: number; hash: string; author: string; message: string }
          | undefined;
        if ((head?.seq ?? 0) !== expected) throw headMoved(expected, head);
        const seq = expected + 1;
        insertRevision(this.db, "revisions", { seq, hash: lay.hash, parent: head?.hash ?? null, author: input.author, message: input.message, source: sourceJson, created_at: createdAt }, lay);
        return head?.hash;
      });
      const parent = insert.immediate();
      // Bodies known already (read back, or remembered by a reader of YAML) are what reading them
      // back would give: the revision hands out those very objects, parsed nowhere again.
      if (this.bodyCache.size > 100_000) {
        this.bodyCache.clear();
        this.lastPut = [];
      }
      // A body at the same place as in the last revision written is in the cache already.
      const last = this.lastPut;
      input.resources.forEach((r, i) => {
        if (r === last[i]) return;
        const h = knownHash(r);
        if (h !== undefined && !this.bodyCache.has(h)) this.bodyCache.set(h, r);
      });
      this.lastPut = input.resources;
      // Every body known: reading the revision back would give these very objects, in this order
      // (the layout keeps it), so the list is handed out as it is, not rebuilt from 10,000 hashes.
      if (fresh.length === 0 && !this.parsed.has(lay.hash)) this.remember(lay.hash, Object.isFrozen(input.resources) ? input.resources : Object.freeze([...input.resources]));
      return {
        seq: expected + 1,
        hash: lay.hash,
        ...(parent !== undefined ? { parent } : {}),
        author: input.author,
        message: input.message,
        source: parseJson<RevisionSource>(sourceJson, "revision source", this.path),
        createdAt,
        resources: this.resourcesOf(lay.hash, lay.manifest, `revision #${expected + 1}`, lay),
      };
    });
  }

  getRevision(ref: string): Promise<Revision | undefined> {
    return this.run(() =>
      this.snapshot(() => {
        const seq = this.resolveRef(ref);
        return seq === undefined ? undefined : this.revisionBySeq(seq);
      }),
    );
  }

  head(): Promise<Revision | undefined> {
    return this.run(() =>
      this.snapshot(() => {
        const row = this.db.prepare(`SELECT ${META_COLS} FROM revisions ORDER BY seq DESC LIMIT 1`).get() as RevisionRow | undefined;
        return row && this.toRevision(row);
      }),
    );
  }

  /** One read transaction: a revision's rows, chunks and bodies come from one state of the file. */
  private snapshot<T>(fn: () => T): T {
    return this.db.inTransaction ? fn() : this.db.transaction(fn)();
  }

  /** Newest first. */
  listRevisions(opts: { limit?: number } = {}): Promise<RevisionMeta[]> {
    return this.run(() => {
      const rows = this.db.prepare(`SELECT ${META_COLS} FROM revisions ORDER BY seq DESC LIMIT ?`).all(limitOf(opts.limit)) as RevisionRow[];
      return rows.map((r) => this.toMeta(r));
    });
  }

  /** Revision references as every backend reads them (store/rules.ts). */
  private resolveRef(ref: string): number | undefined {
    const found = resolveRef(
      ref,
      (seq) => this.seqExists(seq) !== undefined,
      (prefix) => (this.db.prepare("SELECT DISTINCT hash FROM revisions WHERE hash GLOB ? LIMIT 11").all(`${prefix}*`) as { hash: string }[]).map((h) => h.hash),
    );
    if (!found) return undefined;
    return "seq" in found ? found.seq : this.newestSeqWithHash(found.hash);
  }

  private seqExists(seq: number): number | undefined {
    const row = this.db.prepare("SELECT seq FROM revisions WHERE seq = ?").get(seq) as { seq: number } | undefined;
    return row?.seq;
  }

  private newestSeqWithHash(hash: string): number | undefined {
    const row = this.db.prepare("SELECT seq FROM revisions WHERE hash = ? ORDER BY seq DESC LIMIT 1").get(hash) as { seq: number } | undefined;
    return row?.seq;
  }

  private revisionBySeq(seq: number): Revision | undefined {
    const row = this.db.prepare(`SELECT ${META_COLS} FROM revisions WHERE seq = ?`).get(seq) as RevisionRow | undefined;
    return row && this.toRevision(row);
  }

  private toMeta(r: RevisionRow): RevisionMeta {
    return {
      seq: r.seq,
      hash: r.hash,
      ...(r.parent !== null ? { parent: r.parent } : {}),
      author: r.author,
      message: r.message,
      source: parseJson<RevisionSource>(r.source, `revision #${r.seq} source`, this.path),
      createdAt: r.created_at,
    };
  }

  /**
   * Parsed resources by content hash: whole revisions (a few), bodies and chunks (many). A hash
   * names its content, so a cached parse is always right; the objects are frozen because every
   * caller shares them. Plans at 10,000 routes read the same two revisions several times, and two
   * revisions share nearly every body: each is parsed once.
   */
  private readonly parsed = new Map<string, Resource[]>();
  private readonly bodyCache = new Map<string, Resource>();
  /** The resources of the last revision written (putRevision), by place. */
  private lastPut: readonly Resource[] = [];
  private readonly chunkCache = new Map<string, string[]>();

  private toRevision(r: RevisionRow): Revision {
    const manifest = () =>
      parseJson<string[]>(
        r.manifest ?? (this.db.prepare("SELECT manifest FROM revisions WHERE seq = ?").pluck().get(r.seq) as string | undefined) ?? "null",
        `revision #${r.seq} manifest`,
        this.path,
      );
    return { ...this.toMeta(r), resources: this.resourcesOf(r.hash, manifest, `revision #${r.seq}`) };
  }

  /** `known`: a layout just written, so its chunks and bodies need no read back. */
  private resourcesOf(hash: string, manifest: string[] | (() => string[]), what: string, known?: Layout): Resource[] {
    let resources = this.parsed.get(hash);
    if (resources) return resources;
    const chunks = typeof manifest === "function" ? manifest() : manifest;
    if (!Array.isArray(chunks)) throw this.corrupt(`${what} has no list of chunks`);
    const knownChunks = new Map(known?.chunks.map((c) => [c.hash, c.bodies]));
    const hashes = chunks.flatMap((c) => knownChunks.get(c) ?? this.chunk(c, what));
    this.loadBodies(hashes, what, known);
    resources = Object.freeze(hashes.map((h) => this.bodyCache.get(h)!)) as Resource[];
    this.remember(hash, resources);
    return resources;
  }

  /** The resources of revision `hash`, kept for the next read (a few revisions at a time). */
  private remember(hash: string, resources: readonly Resource[]): void {
    if (this.parsed.size >= 4) this.parsed.delete(this.parsed.keys().next().value!);
    this.parsed.set(hash, resources as Resource[]);
  }

  private chunk(hash: string, what: string): string[] {
    let list = this.chunkCache.get(hash);
    if (!list) {
      const text = this.db.prepare("SELECT bodies FROM chunks WHERE hash = ?").pluck().get(hash) as string | undefined;
      if (text === undefined) throw this.corrupt(`${what} names chunk ${hash.slice(0, 12)}, which is missing`);
      list = parseJson<string[]>(text, `chunk ${hash.slice(0, 12)}`, this.path);
      if (this.chunkCache.size >= 20_000) this.chunkCache.clear();
      this.chunkCache.set(hash, list);
    }
    return list;
  }

  /**
   * Bring the bodies not cached yet into the cache: one query and one JSON.parse for all of them
   * (at 10,000 routes, a third of the time of reading and parsing them one by one). `lay`: a
   * layout just written, whose bodies need no read back.
   */
  private loadBodies(hashes: string[], what: string, lay?: Layout): void {
    const missing = [...new Set(hashes.filter((h) => !this.bodyCache.has(h)))];
    if (missing.length === 0) return;
    const known = lay?.bodies;
    const texts = new Map<string, string>();
    const unknown = known ? missing.filter((h) => !known.has(h)) : missing;
    if (unknown.length > 0) {
      const rows = this.db.prepare("SELECT hash, body FROM bodies WHERE hash IN (SELECT value FROM json_each(?))").all(JSON.stringify(unknown)) as { hash: string; body: string }[];
      for (const r of rows) texts.set(r.hash, r.body);
    }
    const list = missing.map((h) => {
      const text = known?.get(h) ?? texts.get(h);
      if (text === undefined) throw this.corrupt(`${what} names resource body ${h.slice(0, 12)}, which is missing`);
      return text;
    });
    const parsed = parseJson<Resource[]>(`[${list.join(",")}]`, `the resource bodies of ${what}`, this.path);
    if (this.bodyCache.size + missing.length > 100_000) this.bodyCache.clear();
    missing.forEach((h, i) => this.bodyCache.set(h, storedBody(h, list[i]!, parsed[i]!)));
  }

  private corrupt(msg: string): HecateError {
    return new HecateError("store-corrupt", `the store ${this.path} is damaged: ${msg}; restore it from a backup (hecate restore)`, { status: 500 });
  }

  // ---- applied marker -----------------------------------------------------------------------

  setApplied(hash: string, fence?: Fence, systems?: readonly string[]): Promise<void> {
    return this.run(() => this.atomically(fence, () => this.markApplied(hash, systems)));
  }

  private markApplied(hash: string, systems?: readonly string[]): void {
    const seq = this.newestSeqWithHash(hash);
    if (seq === undefined) throw new HecateError("unknown-revision", `cannot mark ${hash} as applied: no such revision in the store ${this.path}`);
    const upsert = this.db.prepare("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value");
    if (systems?.length) for (const s of systems) upsert.run(`${APPLIED_TO}${s}`, String(seq));
    else {
      upsert.run("applied", String(seq));
      this.db.prepare("DELETE FROM meta WHERE key GLOB ?").run(`${APPLIED_TO}*`);
    }
  }

  lastApplied(system?: string): Promise<Revision | undefined> {
    return this.run(() => {
      const row = this.db.prepare("SELECT value FROM meta WHERE key = ? OR key = 'applied' ORDER BY key = 'applied' LIMIT 1").get(system !== undefined ? `${APPLIED_TO}${system}` : "applied") as { value: string } | undefined;
      return row ? this.revisionBySeq(Number(row.value)) : undefined;
    });
  }

  // ---- audit --------------------------------------------------------------------------------

  audit(entry: AuditEntry | readonly AuditEntry[]): Promise<void> {
    return this.run(() => {
      const at = new Date().toISOString();
      const rows = ([] as AuditEntry[]).concat(entry).map((e) => auditRow(e, at));
      // IMMEDIATE: reading the newest hash and appending to it is one step across processes.
      this.db.transaction(() => rows.forEach((row) => appendAudit(this.db, row))).immediate();
    });
  }

  /** Newest first. */
  listAudit(opts: { limit?: number } = {}): Promise<AuditEntry[]> {
    return this.run(() => {
      const rows = this.db.prepare("SELECT * FROM audit ORDER BY id DESC LIMIT ?").all(limitOf(opts.limit)) as AuditRow[];
      return rows.map((r) => auditEntryOf(r, this.path));
    });
  }

  verifyAudit(): Promise<AuditVerification> {
    return this.run(() =>
      this.snapshot(() => {
        const rows = this.db.prepare("SELECT * FROM audit ORDER BY id").all() as AuditRow[];
        const text = this.db.prepare("SELECT value FROM meta WHERE key = 'audit.head'").pluck().get() as string | undefined;
        const m = text === undefined ? undefined : /^(\d+):([0-9a-f]+)$/.exec(text);
        const report = verifyChain(rows, m ? { id: Number(m[1]), hash: m[2]! } : undefined);
        if (text !== undefined && !m) report.problems.push({ message: `the recorded head of the audit log is unreadable (${JSON.stringify(text)})` });
        return { ...report, ok: report.problems.length === 0 };
      }),
    );
  }

  // ---- API tokens ---------------------------------------------------------------------------

  putToken(t: Omit<TokenRecord, "createdAt" | "revokedAt">): Promise<TokenRecord> {
    return this.run(() => {
      const createdAt = new Date().toISOString();
      const info = this.db
        .prepare("INSERT INTO tokens (id, name, scope, hash, created_at, created_by, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")
        .run(t.id, t.name, t.scope, t.hash, createdAt, t.createdBy, t.expiresAt ?? null);
      if (info.changes === 0) throw new HecateError("exists", `a token named "${t.name}" already exists (names stay taken after revoking); pick another --name`, { status: 409 });
      return { ...t, createdAt };
    });
  }

  getToken(id: string): Promise<TokenRecord | undefined> {
    return this.run(() => {
      const row = this.db.prepare("SELECT * FROM tokens WHERE id = ?").get(id) as TokenRow | undefined;
      return row && toToken(row);
    });
  }

  listTokens(): Promise<TokenRecord[]> {
    return this.run(() => (this.db.prepare("SELECT * FROM tokens ORDER BY created_at, name").all() as TokenRow[]).map(toToken));
  }

  revokeToken(nameOrId: string): Promise<TokenRecord | undefined> {
    return this.run(() => {
      const row = this.db
        .prepare("UPDATE tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE name = ? OR id = ? RETURNING *")
        .get(new Date().toISOString(), nameOrId, nameOrId) as TokenRow | undefined;
      return row && toToken(row);
    });
  }

  setTokenSecret(id: string, expect: Pick<TokenRecord, "hash" | "previousUntil">, next: TokenSecret): Promise<TokenRecord | undefined> {
    return this.run(() => {
      const row = this.db
        .prepare("UPDATE tokens SET hash = ?, previous_hash = ?, previous_until = ?, rotated_at = ? WHERE id = ? AND hash = ? AND previous_until IS ? RETURNING *")
        .get(next.hash, next.previousHash ?? null, next.previousUntil ?? null, next.rotatedAt ?? null, id, expect.hash, expect.previousUntil ?? null) as TokenRow | undefined;
      return row && toToken(row);
    });
  }

  // ---- applies and their journal ------------------------------------------------------------

  beginApply(rec: Omit<ApplyRecord, "status" | "startedAt">, fence?: Fence, journal?: readonly ApplyJournalEntry[]): Promise<ApplyRecord> {
    return this.run(() => this.atomically(fence, (): ApplyRecord => {
      const startedAt = new Date().toISOString();
      const info = this.db
        .prepare("INSERT INTO applies (apply_id, revision, status, started_at, holder) VALUES (?, ?, 'running', ?, ?) ON CONFLICT (apply_id) DO NOTHING")
        .run(rec.applyId, rec.revision, startedAt, rec.holder);
      if (info.changes === 0) throw new HecateError("apply-exists", `an apply with id ${rec.applyId} is already recorded in the store ${this.path}`, { status: 409 });
      for (const e of journal ?? []) this.appendJournal({ ...e, applyId: rec.applyId });
      return { applyId: rec.applyId, revision: rec.revision, status: "running", startedAt, holder: rec.holder };
    }));
  }

  /** Appends with the next seq of that apply, atomically (one statement under SQLite's write lock). */
  journal(entry: JournalEntry | readonly JournalEntry[], fence?: Fence): Promise<void> {
    return this.run(() => this.atomically(fence, () => {
      for (const e of ([] as JournalEntry[]).concat(entry)) this.appendJournal(e);
    }));
  }

  private appendJournal(entry: JournalEntry): void {
    const data = entry.data === undefined ? null : toJson(entry.data, `journal data of apply ${entry.applyId}`);
    const info = this.db
      .prepare(
        `INSERT INTO journal (apply_id, seq, at, event, system, data)
         SELECT @id, COALESCE((SELECT MAX(seq) FROM journal WHERE apply_id = @id), 0) + 1, @at, @event, @system, @data
         WHERE EXISTS (SELECT 1 FROM applies WHERE apply_id = @id)`,
      )
      .run({ id: entry.applyId, at: new Date().toISOString(), event: entry.event, system: entry.system ?? null, data });
    if (info.changes === 0) throw new HecateError("unknown-apply", `cannot journal for apply ${entry.applyId}: it was never begun (beginApply)`, { status: 500 });
  }

  endApply(applyId: string, status: ApplyRecord["status"], fence?: Fence, ending: ApplyEnding = {}): Promise<void> {
    return this.run(() => this.atomically(fence, () => {
      if (!STATUSES.includes(status)) throw new HecateError("store-value", `unknown apply status "${status}"`);
      for (const e of ending.journal ?? []) this.appendJournal({ ...e, applyId });
      const info = this.db.prepare("UPDATE applies SET status = ?, ended_at = ? WHERE apply_id = ?").run(status, new Date().toISOString(), applyId);
      if (info.changes === 0) throw new HecateError("unknown-apply", `cannot end apply ${applyId}: no such apply in the store ${this.path}`, { status: 404 });
      if (ending.applied) this.markApplied(ending.applied.hash, ending.applied.systems);
      if (ending.audit) appendAudit(this.db, auditRow(ending.audit, new Date().toISOString()));
    }));
  }

  getApply(applyId: string): Promise<ApplyRecord | undefined> {
    return this.run(() => {
      const row = this.db.prepare("SELECT * FROM applies WHERE apply_id = ?").get(applyId) as ApplyRow | undefined;
      return row && toApply(row);
    });
  }

  /** Newest first. */
  listApplies(opts: { status?: ApplyRecord["status"]; limit?: number } = {}): Promise<ApplyRecord[]> {
    return this.run(() => {
      const rows = (
        opts.status
          ? this.db.prepare("SELECT * FROM applies WHERE status = ? ORDER BY rowid DESC LIMIT ?").all(opts.status, limitOf(opts.limit))
          : this.db.prepare("SELECT * FROM applies ORDER BY rowid DESC LIMIT ?").all(limitOf(opts.limit))
      ) as ApplyRow[];
      return rows.map(toApply);
    });
  }

  /** In the order written. */
  readJournal(applyId: string): Promise<JournalEntry[]> {
    return this.run(() => {
      const rows = this.db.prepare("SELECT * FROM journal WHERE apply_id = ? ORDER BY seq").all(applyId) as JournalRow[];
      return rows.map((r) => this.toJournal(r));
    });
  }

  private toJournal(r: JournalRow): JournalEntry {
    return {
      applyId: r.apply_id,
      seq: r.seq,
      at: r.at,
      event: r.event,
      ...(r.system !== null ? { system: r.system } : {}),
      ...(r.data !== null ? { data: parseJson<unknown>(r.data, `journal ${r.apply_id}#${r.seq}`, this.path) } : {}),
    };
  }

  // ---- locks --------------------------------------------------------------------------------

  /**
   * Ours and live: renew (same token and acquiredAt, later expiry). Free or expired: take it with
   * the next token of this name (kept in `fences`, which unlock never clears, so a token is never
   * handed out twice). Someone else's live lock: theirs is returned.
   */
  tryLock(name: string, holder: string, ttlMs: number): Promise<LockAttempt> {
    return this.run(() => {
      checkTtl(ttlMs);
      const take = this.db.transaction((): LockAttempt => {
        const now = Date.now();
        const expires = now + Math.ceil(ttlMs);
        const row = this.db.prepare("SELECT * FROM locks WHERE name = ?").get(name) as LockRow | undefined;
        const live = row !== undefined && row.expires_ms > now;
        if (live && row.holder !== holder) return { acquired: false, lock: toLock(row) };
        if (live) {
          this.db.prepare("UPDATE locks SET expires_ms = ? WHERE name = ?").run(expires, name);
          return { acquired: true, lock: toLock({ ...row, expires_ms: expires }) };
        }
        const last = (this.db.prepare("SELECT token FROM fences WHERE name = ?").pluck().get(name) as number | undefined) ?? 0;
        const token = Math.max(last, row?.token ?? 0) + 1;
        this.db.prepare("INSERT INTO fences (name, token) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET token = excluded.token").run(name, token);
        const taken: LockRow = { name, holder, acquired_at: new Date(now).toISOString(), expires_ms: expires, token };
        this.db
          .prepare(
            `INSERT INTO locks (name, holder, acquired_at, expires_ms, token) VALUES (@name, @holder, @acquired_at, @expires_ms, @token)
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, acquired_at = excluded.acquired_at, expires_ms = excluded.expires_ms, token = excluded.token`,
          )
          .run(taken);
        return { acquired: true, lock: toLock(taken) };
      });
      // IMMEDIATE takes SQLite's write lock before reading, so check-and-take is atomic across processes.
      return this.unsynced(() => take.immediate());
    });
  }

  renewLock(name: string, holder: string, token: number, ttlMs: number): Promise<boolean> {
    return this.run(() => {
      checkTtl(ttlMs);
      const now = Date.now();
      // One statement: the compare (holder, token, live) and the extension are atomic.
      const info = this.unsynced(() =>
        this.db.prepare("UPDATE locks SET expires_ms = ? WHERE name = ? AND holder = ? AND token = ? AND expires_ms > ?").run(now + Math.ceil(ttlMs), name, holder, token, now),
      );
      return info.changes === 1;
    });
  }

  /** Several writes as one transaction: fenced when a fence is given. */
  private atomically<T>(fence: Fence | undefined, write: () => T): T {
    return fence ? this.fenced(fence, write) : this.db.inTransaction ? write() : this.db.transaction(write).immediate();
  }

  /** Run a write only while the fence's lease is live with its token: check and write in one IMMEDIATE transaction. */
  private fenced<T>(fence: Fence | undefined, write: () => T): T {
    if (!fence) return write();
    return this.db
      .transaction(() => {
        const row = this.db.prepare("SELECT * FROM locks WHERE name = ?").get(fence.lock) as LockRow | undefined;
        const live = row !== undefined && row.expires_ms > Date.now();
        if (!live || row.token !== fence.token) throw fenced(fence, row && { holder: row.holder, token: row.token, live });
        return write();
      })
      .immediate();
  }

  /** Releases only the holder's own lock; a lock since taken over by someone else is left alone. */
  unlock(name: string, holder: string): Promise<void> {
    return this.run(() => {
      this.unsynced(() => this.db.prepare("DELETE FROM locks WHERE name = ? AND holder = ?").run(name, holder));
    });
  }

  /**
   * A lock's writes (take, renew, release) are committed without a sync of their own (WAL,
   * synchronous = NORMAL): a lease only means something while its holder runs, and a holder does
   * not outlive a power loss, after which every lease has expired anyway. What the holder then
   * writes (an apply's journal) is committed with FULL, whose sync of the WAL carries the lock's
   * commit before it along. Two syncs fewer per apply (≈ 3 ms of a one-route apply).
   */
  private unsynced<T>(write: () => T): T {
    if (this.path === ":memory:" || this.db.inTransaction) return write();
    this.db.pragma("synchronous = NORMAL");
    try {
      return write();
    } finally {
      this.db.pragma("synchronous = FULL");
    }
  }

  /** The live lock, or undefined when free or expired. */
  breakLock(name: string): Promise<LockInfo | undefined> {
    return this.run(() => {
      const row = this.db.prepare("DELETE FROM locks WHERE name = ? RETURNING *").get(name) as LockRow | undefined;
      return row ? toLock(row) : undefined;
    });
  }

  getLock(name: string): Promise<LockInfo | undefined> {
    return this.run(() => {
      const row = this.db.prepare("SELECT * FROM locks WHERE name = ?").get(name) as LockRow | undefined;
      return row && row.expires_ms > Date.now() ? toLock(row) : undefined;
    });
  }

  // ---- secrets ------------------------------------------------------------------------------

  putSecret(name: string, value: string, fence?: Fence): Promise<void> {
    return this.run(() => this.fenced(fence, () => {
      if (!name) throw new HecateError("store-value", "a secret needs a name");
      // Refuse to mix keys: the new value must be sealed with the key the others were sealed with.
      const other = this.db.prepare("SELECT name, blob FROM secrets WHERE name <> ? ORDER BY name LIMIT 1").get(name) as { name: string; blob: Buffer } | undefined;
      if (other) this.box.open(other.name, other.blob);
      const blob = this.box.seal(name, value);
      this.db
        .prepare("INSERT INTO secrets (name, blob, updated_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET blob = excluded.blob, updated_at = excluded.updated_at")
        .run(name, blob, new Date().toISOString());
    }));
  }

  getSecret(name: string): Promise<string | undefined> {
    return this.run(() => {
      const row = this.db.prepare("SELECT blob FROM secrets WHERE name = ?").get(name) as { blob: Buffer } | undefined;
      return row ? this.box.open(name, row.blob) : undefined;
    });
  }

  deleteSecret(name: string, fence?: Fence): Promise<void> {
    return this.run(() =>
      this.fenced(fence, () => {
        this.db.prepare("DELETE FROM secrets WHERE name = ?").run(name);
      }),
    );
  }

  listSecrets(): Promise<string[]> {
    return this.run(() => (this.db.prepare("SELECT name FROM secrets ORDER BY name").all() as { name: string }[]).map((r) => r.name));
  }

  rekey(newKey: Buffer, fence?: Fence): Promise<RekeyResult> {
    return this.run(() => {
      const next = new SecretBox({ key: newKey });
      const previousKeyId = this.box.keyId();
      const write = () => {
        const rows = this.db.prepare("SELECT name, blob FROM secrets ORDER BY name").all() as { name: string; blob: Buffer }[];
        const upd = this.db.prepare("UPDATE secrets SET blob = ?, updated_at = ? WHERE name = ?");
        const now = new Date().toISOString();
        for (const r of rows) upd.run(next.resealFrom(this.box, r.name, r.blob), now, r.name);
        return rows.length;
      };
      const secrets = this.atomically(fence, write);
      this.box.useKey(newKey);
      return { secrets, keyId: next.keyId(), previousKeyId };
    });
  }

  reseal(blobs: Record<string, string>, oldKey: Buffer): Promise<Record<string, string>> {
    return this.run(() => resealAll(blobs, new SecretBox({ key: oldKey }), this.box));
  }

  // ---- settings -----------------------------------------------------------------------------

  getSetting(key: string): Promise<string | undefined> {
    return this.run(() => (this.db.prepare("SELECT value FROM settings WHERE key = ?").get(key) as { value: string } | undefined)?.value);
  }

  setSetting(key: string, value: string | undefined): Promise<void> {
    return this.run(() => {
      if (value === undefined) this.db.prepare("DELETE FROM settings WHERE key = ?").run(key);
      else this.db.prepare("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(key, value);
    });
  }

  // ---- backup and restore -------------------------------------------------------------------

  deriveKey(purpose: string, opts: { create: boolean }): Promise<DerivedKey> {
    return this.run(() => this.box.derive(purpose, opts));
  }

  /** A consistent snapshot (one read transaction). Locks are live state, not history: not dumped. */
  dump(): Promise<StoreDump> {
    return this.run(() => {
      const read = this.db.transaction((): StoreDump => {
        const revisions = (this.db.prepare("SELECT * FROM revisions ORDER BY seq").all() as RevisionRow[]).map((r) => this.toRevision(r));
        const appliedRow = this.db.prepare("SELECT r.hash FROM meta m JOIN revisions r ON r.seq = CAST(m.value AS INTEGER) WHERE m.key = 'applied'").get() as { hash: string } | undefined;
        const appliedTo = this.db.prepare("SELECT m.key AS key, r.hash AS hash FROM meta m JOIN revisions r ON r.seq = CAST(m.value AS INTEGER) WHERE m.key GLOB ?").all(`${APPLIED_TO}*`) as { key: string; hash: string }[];
        const audit = (this.db.prepare("SELECT * FROM audit ORDER BY id").all() as AuditRow[]).map((r) => auditEntryOf(r, this.path));
        const applies = (this.db.prepare("SELECT * FROM applies ORDER BY rowid").all() as ApplyRow[]).map(toApply);
        const journal = (this.db.prepare("SELECT j.* FROM journal j JOIN applies a ON a.apply_id = j.apply_id ORDER BY a.rowid, j.seq").all() as JournalRow[]).map((r) => this.toJournal(r));
        const secrets: Record<string, string> = {};
        for (const s of this.db.prepare("SELECT name, blob FROM secrets ORDER BY name").all() as { name: string; blob: Buffer }[]) secrets[s.name] = s.blob.toString("base64");
        const settings: Record<string, string> = {};
        for (const s of this.db.prepare("SELECT key, value FROM settings ORDER BY key").all() as { key: string; value: string }[]) settings[s.key] = s.value;
        return { format: "hecate-store/1", revisions, ...(appliedRow ? { applied: appliedRow.hash } : {}), ...(appliedTo.length ? { appliedTo: Object.fromEntries(appliedTo.map((a) => [a.key.slice(APPLIED_TO.length), a.hash])) } : {}), audit, applies, journal, secrets, settings };
      });
      return read();
    });
  }

  /**
   * Replace all history, secrets and settings with the dump, in one transaction (locks stay).
   * The dump is checked first: each revision's hash must match its resources. This is the one
   * place history rows are removed; the append-only triggers are dropped and recreated inside the
   * same write transaction, so no other connection ever sees the store unguarded.
   */
  load(dump: StoreDump, fence?: Fence): Promise<void> {
    return this.run(() => {
      checkDump(dump);
      const now = new Date().toISOString();
      const replace = this.db.transaction(() => {
        for (const t of GUARD_NAMES) this.db.exec(`DROP TRIGGER IF EXISTS ${t}`);
        for (const t of ["revisions", "bodies", "chunks", "meta", "audit", "applies", "journal", "secrets", "settings"]) this.db.exec(`DELETE FROM ${t}`);
        for (const r of dump.revisions) {
          const source = toJson(r.source, `revision #${r.seq} source`);
          toJson(r.resources, `revision #${r.seq} resources`);
          insertRevision(this.db, "revisions", { seq: r.seq, hash: r.hash, parent: r.parent ?? null, author: r.author, message: r.message, source, created_at: r.createdAt }, layout(r.resources));
        }
        if (dump.applied !== undefined) {
          const seq = this.newestSeqWithHash(dump.applied);
          if (seq === undefined) throw new HecateError("store-dump", `the dump marks ${dump.applied} as applied but holds no such revision`);
          this.db.prepare("INSERT INTO meta (key, value) VALUES ('applied', ?)").run(String(seq));
        }
        for (const [system, hash] of Object.entries(dump.appliedTo ?? {})) {
          const seq = this.newestSeqWithHash(hash);
          if (seq === undefined) throw new HecateError("store-dump", `the dump marks ${hash} as applied to ${system} but holds no such revision`);
          this.db.prepare("INSERT INTO meta (key, value) VALUES (?, ?)").run(`${APPLIED_TO}${system}`, String(seq));
        }
        // Chained afresh in the dump's order (the dump is signed; the restored log verifies).
        for (const a of dump.audit) {
          appendAudit(this.db, { id: a.id ?? null, at: a.at ?? now, actor: a.actor, action: a.action, target: a.target ?? null, detail: a.detail === undefined ? null : toJson(a.detail, "audit detail"), address: a.address ?? null });
        }
        const insApply = this.db.prepare("INSERT INTO applies (apply_id, revision, status, started_at, ended_at, holder) VALUES (?, ?, ?, ?, ?, ?)");
        for (const a of dump.applies) insApply.run(a.applyId, a.revision, a.status, a.startedAt, a.endedAt ?? null, a.holder);
        const insJournal = this.db.prepare("INSERT INTO journal (apply_id, seq, at, event, system, data) VALUES (?, ?, ?, ?, ?, ?)");
        const nextSeq = new Map<string, number>();
        for (const j of dump.journal) {
          const seq = j.seq ?? (nextSeq.get(j.applyId) ?? 0) + 1;
          nextSeq.set(j.applyId, seq);
          insJournal.run(j.applyId, seq, j.at ?? now, j.event, j.system ?? null, j.data === undefined ? null : toJson(j.data, "journal data"));
        }
        const insSecret = this.db.prepare("INSERT INTO secrets (name, blob, updated_at) VALUES (?, ?, ?)");
        for (const [name, b64] of Object.entries(dump.secrets)) insSecret.run(name, Buffer.from(b64, "base64"), now);
        const insSetting = this.db.prepare("INSERT INTO settings (key, value) VALUES (?, ?)");
        for (const [k, v] of Object.entries(dump.settings)) insSetting.run(k, v);
        this.db.exec(GUARDS + GUARDS_CAS);
      });
      try {
        if (fence) this.fenced(fence, () => replace());
        else replace.immediate();
      } catch (e) {
        const code = (e as { code?: string }).code ?? "";
        if (code.startsWith("SQLITE_CONSTRAINT")) throw new HecateError("store-dump", `the dump is inconsistent: ${(e as Error).message}`, { cause: e });
        throw e;
      }
    });
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.db.close();
    }
    return Promise.resolve();
  }
}

function toApply(r: ApplyRow): ApplyRecord {
  return {
    applyId: r.apply_id,
    revision: r.revision,
    status: r.status as ApplyRecord["status"],
    startedAt: r.started_at,
    ...(r.ended_at !== null ? { endedAt: r.ended_at } : {}),
    holder: r.holder,
  };
}

function toToken(r: TokenRow): TokenRecord {
  return {
    id: r.id,
    name: r.name,
    scope: r.scope as TokenRecord["scope"],
    hash: r.hash,
    createdAt: r.created_at,
    createdBy: r.created_by,
    ...(r.expires_at !== null ? { expiresAt: r.expires_at } : {}),
    ...(r.revoked_at !== null ? { revokedAt: r.revoked_at } : {}),
    ...(r.previous_hash !== null && r.previous_until !== null ? { previousHash: r.previous_hash, previousUntil: r.previous_until } : {}),
    ...(r.rotated_at !== null ? { rotatedAt: r.rotated_at } : {}),
  };
}

function toLock(r: LockRow): LockInfo {
  return { name: r.name, holder: r.holder, token: r.token, acquiredAt: r.acquired_at, expiresAt: new Date(r.expires_ms).toISOString() };
}

/** SQLite's LIMIT -1 means no limit. */
function limitOf(limit: number | undefined): number {
  return limit === undefined || !(limit >= 0) ? -1 : Math.floor(limit);
}

