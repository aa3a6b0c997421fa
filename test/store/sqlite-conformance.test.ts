// The store conformance suite on the embedded SQLite store: two instances on one file.
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { after } from "node:test";
import { openSqliteStore, type SqliteStore } from "../../src/store/sqlite.js";
import { tempDir } from "../helpers/proc.js";
import { storeConformance } from "./conformance.js";

const dir = tempDir("hecate-conformance-");
after(() => dir.cleanup());
const secretKey = randomBytes(32);
let n = 0;

storeConformance("sqlite", {
  open: () => openSqliteStore({ path: join(dir.path, `s${++n}`, "hecate.db"), secretKey }),
  second: (s) => openSqliteStore({ path: (s as SqliteStore).path, secretKey }),
  shortTtlMs: 100,
  lapseMs: 250,
  secretKey,
});
