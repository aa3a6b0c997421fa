// Picks the store backend, the one place that does: the embedded SQLite file by default, etcd by
// an etcd:// URL (in --store, $HECATE_STORE or $HECATE_STORE_URL).
import { HecateError } from "../diag.js";
import { parseEtcdUrl } from "./etcd-url.js";
import type { EtcdStore, EtcdStoreOptions } from "./etcd.js";
import { openSqliteStore } from "./sqlite.js";
import type { Store } from "./store.js";

export type { Store } from "./store.js";
export { openSqliteStore, type SqliteStoreOptions } from "./sqlite.js";
export { parseEtcdUrl };
export type { EtcdStoreOptions };

/** The etcd store, its client (gRPC) loaded only when an etcd:// store is opened. */
export async function openEtcdStore(opts: EtcdStoreOptions): Promise<EtcdStore> {
  return (await import("./etcd.js")).openEtcdStore(opts);
}
export { createSecretResolver } from "./secrets.js";
export { defaultStorePath, defaultKeyFile } from "./paths.js";

export interface OpenStoreOptions {
  /**
   * Which store: "sqlite" (the default file), "sqlite:PATH", "file:PATH", a plain file path, or
   * "etcd://host:port[,host:port...][/prefix]". "consul://…" is recognised but not built yet.
   * Default `$HECATE_STORE_URL`.
   */
  url?: string;
  /** SQLite file path, or a store URL (what --store and `$HECATE_STORE` hold); default `$HECATE_STORE`. */
  path?: string;
  env?: NodeJS.ProcessEnv;
}

/** Open the store the operator configured. */
export async function openStore(opts: OpenStoreOptions = {}): Promise<Store> {
  const env = opts.env ?? process.env;
  const path = opts.path ?? (env.HECATE_STORE || undefined);
  const pathIsUrl = path !== undefined && /^[a-z][a-z0-9+.-]+:\/\//i.test(path);
  const url = opts.url ?? (pathIsUrl ? path : undefined) ?? (env.HECATE_STORE_URL || undefined);
  if (url === undefined || url === "sqlite") return openSqliteStore({ path: pathIsUrl ? undefined : opts.path });
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  if (scheme === "etcd") return openEtcdStore(parseEtcdUrl(url));
  if (scheme === "consul") {
    throw new HecateError(
      "backend-not-built",
      `the ${scheme} store backend is not built yet (store URL ${url}); use the embedded store: unset HECATE_STORE_URL or set it to "sqlite"`,
      { status: 501 },
    );
  }
  if (scheme === "sqlite" || scheme === "file") {
    const path = url.slice(scheme.length + 1).replace(/^\/\/(?=\/)/, "");
    if (!path) throw new HecateError("store-url", `store URL ${url} names no file`);
    return openSqliteStore({ path });
  }
  // A Windows drive letter ("C:\...") looks like a scheme; anything else with "scheme:" is unknown.
  if (scheme !== undefined && scheme.length > 1) {
    throw new HecateError("store-url", `unknown store backend "${scheme}" in ${url}: use "sqlite", "sqlite:PATH", a file path or "etcd://host:port"`);
  }
  return openSqliteStore({ path: url });
}
