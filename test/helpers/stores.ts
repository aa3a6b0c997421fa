// Two store instances on one file, as two processes would hold it, for the suite they are made in.
import { join } from "node:path";
import { after, before } from "node:test";
import { openSqliteStore, type SqliteStore } from "../../src/store/sqlite.js";
import { tempDir } from "./proc.js";

/** Opened before the suite's tests, closed (and the directory removed) after them. */
export function twoStores(prefix: string, opts: { secretKey?: Buffer } = {}): { a: SqliteStore; b: SqliteStore } {
  const dir = tempDir(prefix);
  const path = join(dir.path, "hecate.db");
  const pair = {} as { a: SqliteStore; b: SqliteStore };
  before(async () => {
    pair.a = await openSqliteStore({ path, ...opts });
    pair.b = await openSqliteStore({ path, ...opts });
  });
  after(async () => {
    await pair.a.close();
    await pair.b.close();
    dir.cleanup();
  });
  return pair;
}
