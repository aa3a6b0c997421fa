// The part of a live Caddy config Hecate owns: extract it, normalize it, and merge a desired one back in.
// Pure functions only. Ownership rules (the single place they are written down):
// - a server is Hecate's when its name is the configured server name, starts with that name and
//   "-" (compile's "<server>-http"), or starts with "hecate";
//   all its settings (listen, timeouts, …) are Hecate's, but only routes whose "@id" starts with
//   "hecate-" are: routes added by hand keep their content and relative order;
// - in the http app, http_port and https_port are Hecate's;
// - in the tls app, only array elements carrying a "hecate-" @id (automation policies) or a
//   "hecate-" tag (load_pem certificates) are; everything else there belongs to whoever wrote it.
// - in logging.logs, only loggers whose name starts with "hecate" are (the split routes' access log);
// Everything else (other servers, other apps, admin, other loggers, storage) is never touched.
import { canonicalJson, sortedShared } from "../../model/canonical-json.js";
import type { CaddyOwned, CaddyServer } from "../../compile/caddy/types.js";
import { isSecretMarker, looksSecret, REDACTED_MARKER } from "../../secret.js";
import { isObject, normalize, type JsonObject, type NormalizeHooks } from "../differ.js";

export { isObject, normalize, type JsonObject };

export const ID_PREFIX = "hecate-";
export const DEFAULT_SERVER = "hecate";
/** Keys of apps.http that Hecate sets. */
const OWNED_HTTP_KEYS = ["http_port", "https_port"] as const;


/** Hecate's part of a Caddy config: what compile produces, and what read extracts from a live one. */
export type OwnedConfig = CaddyOwned;
type CaddyServerJson = CaddyServer;


export function ownedId(v: unknown): string | undefined {
  if (!isObject(v)) return undefined;
  const id = v["@id"];
  return typeof id === "string" && id.startsWith(ID_PREFIX) ? id : undefined;
}

/**
 * Hecate's mark on a non-route object: its hecate- @id, or (for loaded certificates, which
 * compile tags instead) its first "hecate-" tag.
 */
export function ownedKey(v: unknown): string | undefined {
  const id = ownedId(v);
  if (id !== undefined || !isObject(v) || !Array.isArray(v["tags"])) return id;
  const tag = v["tags"].find((t) => typeof t === "string" && t.startsWith(ID_PREFIX));
  return typeof tag === "string" ? tag : undefined;
}

/** compile writes "<server>" (TLS) and "<server>-http" (plain HTTP); "hecate*" is always Hecate's. */
export function isOwnedServerName(name: string, server: string = DEFAULT_SERVER): boolean {
  return name === server || name.startsWith(`${server}-`) || name.startsWith("hecate");
}

export { isSecretMarker };

/** JSON with object keys sorted: equal configs give equal strings, whatever the key order. */
export const canonical: (v: unknown) => string = canonicalJson;

/**
 * Caddy's own text for a config: what `GET /config/` answers, byte for byte, in Caddy 2.6.2
 * (Go's encoding/json: map keys sorted, `<`, `>`, `&`, U+2028/9 escaped, \b and \f as \u00XX,
 * then a newline). Equal text means an equal config; a value this misses (a rare float, a key
 * outside the BMP) only makes a comparison fall back to the slower structural one.
 */
export function caddyText(v: unknown): string {
  return JSON.stringify(sortedShared(v)).replace(GO_ESCAPED, goEscape) + "\n";
}


// A backslash pair is matched as a whole so an escaped backslash followed by "b" stays as it is.
const GO_ESCAPED = /[<>&\u2028\u2029]|\\[\\bf]/g;
const GO_ESCAPES: Record<string, string> = {
  "<": "\\u003c",
  ">": "\\u003e",
  "&": "\\u0026",
  "\u2028": "\\u2028",
  "\u2029": "\\u2029",
  "\\b": "\\u0008",
  "\\f": "\\u000c",
  "\\\\": "\\\\",
};
function goEscape(m: string): string {
  return GO_ESCAPES[m] ?? m;
}

function isEmpty(v: unknown): boolean {
  return v === undefined || v === null || (Array.isArray(v) && v.length === 0) || (isObject(v) && Object.keys(v).length === 0);
}

// ---- secrets in what read returns -------------------------------------------------------------

const SECRET_KEY_PATHS = [/(^|\.)accounts\.\d+\.password$/, /(^|\.)load_pem\.\d+\.key$/, /(^|\.)client_certificate_key$/, /(^|\.)(api_token|token|secret)$/];

// Every SECRET_KEY_PATHS pattern ends in one of these: the full path is only built for such keys.
const SECRET_KEY_TAIL = /(password|key|token|secret)$/;

function isSecretAt(v: string, path: () => string, key?: string): boolean {
  if ((key === undefined || SECRET_KEY_TAIL.test(key)) && SECRET_KEY_PATHS.some((r) => r.test(path()))) return true;
  return looksSecret(v);
}

/**
 * normalize(v) with resolved secret values (password hashes, private keys, tokens) replaced by a
 * marker, so they never reach a plan, a diff or a log, in one walk; the full path is only joined
 * for keys that can name a secret: reading 10,000 routes back must not cost more than sending them.
 */
const REDACT: NormalizeHooks = {
  leaf: (s, path) => (isSecretAt(s, () => path.join("."), path[path.length - 1]) ? REDACTED_MARKER : s === "" ? undefined : s),
  opaque: isSecretMarker,
};

function normalizeRedacted(v: unknown, path: string[]): unknown {
  return normalize(v, REDACT, path);
}

/**
 * One owned object (a route) normalized and redacted as extractOwned does it inside a config,
 * so it compares with the same object of a read's owned config.
 */
export function normalizeOwnedObject(v: unknown): unknown {
  return normalizeRedacted(v, []);
}

// ---- extract --------------------------------------------------------------------------------

/** Keep only array elements Hecate marked (recursively through objects); drop the rest. */
function ownedTree(v: unknown): unknown {
  if (Array.isArray(v)) {
    const kept = v.filter((x) => ownedKey(x) !== undefined);
    return kept.length ? kept : undefined;
  }
  if (isObject(v)) {
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(v)) {
      const t = ownedTree(x);
      if (t !== undefined) out[k] = t;
    }
    return Object.keys(out).length ? out : undefined;
  }
  return undefined;
}

/** Hecate's part of a whole live config, normalized and with secrets redacted. */
export function extractOwned(full: unknown, server: string = DEFAULT_SERVER): OwnedConfig {
  const apps = isObject(full) && isObject(full["apps"]) ? full["apps"] : {};
  const http = isObject(apps["http"]) ? apps["http"] : {};
  const liveServers = isObject(http["servers"]) ? http["servers"] : {};
  const servers: Record<string, CaddyServerJson> = {};
  for (const name of Object.keys(liveServers).sort()) {
    const s = liveServers[name];
    if (!isOwnedServerName(name, server) || !isObject(s)) continue;
    const routes = Array.isArray(s["routes"]) ? s["routes"].filter((r) => ownedId(r) !== undefined) : [];
    servers[name] = (normalizeRedacted({ ...s, routes }, ["apps", "http", "servers", name]) ?? {}) as CaddyServerJson;
  }
  const owned: OwnedConfig = { apps: { http: { servers } } };
  for (const k of OWNED_HTTP_KEYS) if (typeof http[k] === "number") owned.apps.http[k] = http[k] as number;
  const tls = ownedTree(apps["tls"]);
  if (tls !== undefined) {
    const n = normalizeRedacted(tls, ["apps", "tls"]);
    if (n !== undefined) owned.apps.tls = n as JsonObject;
  }
  const logs = ownedLogs(isObject(full) && isObject(full["logging"]) ? full["logging"]["logs"] : undefined);
  if (logs) owned.logging = { logs: normalizeRedacted(logs, ["logging", "logs"]) as Record<string, JsonObject> };
  normalized.add(owned);
  return owned;
}

/** The loggers of logging.logs that are Hecate's (named hecate*), or undefined when there are none. */
function ownedLogs(v: unknown): Record<string, JsonObject> | undefined {
  if (!isObject(v)) return undefined;
  const out: Record<string, JsonObject> = {};
  for (const k of Object.keys(v).sort()) if (k.startsWith("hecate") && isObject(v[k])) out[k] = v[k] as JsonObject;
  return Object.keys(out).length ? out : undefined;
}

// Owned configs built normalized here; diff need not normalize them again. (Like every config
// handed around, they are not modified after they are built.)
const normalized = new WeakSet<object>();

/**
 * Record that `o` is normalized as extractOwned leaves it (an extracted config with one owned
 * object replaced by its normalizeOwnedObject form).
 */
export function markNormalized(o: OwnedConfig): void {
  normalized.add(o);
}

/** Whether `o` came out of extractOwned or normalizeOwned (so normalizing it changes nothing). */
export function isNormalized(o: OwnedConfig): boolean {
  return normalized.has(o);
}

/** Normalize an owned config but keep its skeleton (apps.http.servers always present). */
export function normalizeOwned(o: OwnedConfig): OwnedConfig {
  const servers: Record<string, CaddyServerJson> = {};
  for (const name of Object.keys(o.apps?.http?.servers ?? {}).sort()) {
    servers[name] = (normalize(o.apps.http.servers[name]) ?? {}) as CaddyServerJson;
  }
  const out: OwnedConfig = { apps: { http: { servers } } };
  for (const k of OWNED_HTTP_KEYS) {
    const v = o.apps?.http?.[k];
    if (typeof v === "number") out.apps.http[k] = v;
  }
  const tls = normalize(o.apps?.tls);
  if (tls !== undefined) out.apps.tls = tls as JsonObject;
  const logs = normalize(o.logging?.logs);
  if (logs !== undefined) out.logging = { logs: logs as Record<string, JsonObject> };
  normalized.add(out);
  return out;
}

// ---- merge ----------------------------------------------------------------------------------

/**
 * Replace the owned elements of a live array by the desired ones. Elements before the first
 * owned one stay in front; the rest of the hand-made ones follow the desired block in their
 * original order. With nothing owned yet, the desired block goes first (Hecate's routes and
 * policies are host-specific; hand-made ones are often catch-alls).
 */
export function mergeOwnedArray(live: unknown[], desired: unknown[]): unknown[] {
  const first = live.findIndex((x) => ownedKey(x) !== undefined);
  const foreign = (xs: unknown[]) => xs.filter((x) => ownedKey(x) === undefined);
  if (first < 0) return [...desired, ...live];
  return [...live.slice(0, first), ...desired, ...foreign(live.slice(first))];
}

function mergeOwnedTree(live: unknown, desired: unknown): unknown {
  if (Array.isArray(live) || Array.isArray(desired)) {
    return mergeOwnedArray(Array.isArray(live) ? live : [], Array.isArray(desired) ? desired : []);
  }
  if (isObject(live) || isObject(desired)) {
    const l = isObject(live) ? live : {};
    const d = isObject(desired) ? desired : {};
    const out: JsonObject = { ...l };
    for (const k of new Set([...Object.keys(l), ...Object.keys(d)])) {
      const m = mergeOwnedTree(l[k], d[k]);
      if (isEmpty(m) && !(k in l)) delete out[k];
      else out[k] = m;
    }
    return out;
  }
  return desired !== undefined ? desired : live;
}

/**
 * The whole config to send: the live one with Hecate's part replaced by `desired` and nothing
 * else changed. `desired` must already have its secrets resolved. The result shares unchanged
 * parts with `full` and `desired` (copying 10,000 routes costs more than the rest of the merge):
 * neither input is modified, and the result must not be modified either.
 */
export function mergeOwned(full: unknown, desired: OwnedConfig, server: string = DEFAULT_SERVER): JsonObject {
  const out: JsonObject = isObject(full) ? { ...full } : {};
  const apps: JsonObject = isObject(out["apps"]) ? { ...out["apps"] } : {};
  const http: JsonObject | undefined = isObject(apps["http"]) ? apps["http"] : undefined;
  const liveServers: JsonObject = http && isObject(http["servers"]) ? http["servers"] : {};
  const want = desired.apps.http.servers;

  const servers: JsonObject = {};
  for (const [name, s] of Object.entries(liveServers)) {
    if (!isOwnedServerName(name, server) || !isObject(s)) {
      servers[name] = s;
      continue;
    }
    const liveRoutes = Array.isArray(s["routes"]) ? s["routes"] : [];
    const d = want[name];
    if (d) {
      const routes = mergeOwnedArray(liveRoutes, d.routes ?? []);
      const next: JsonObject = { ...d };
      if (routes.length) next["routes"] = routes;
      else delete next["routes"];
      servers[name] = next;
    } else {
      // Hecate no longer wants this server; keep it only for routes someone added by hand.
      const hand = liveRoutes.filter((r) => ownedId(r) === undefined);
      if (hand.length) servers[name] = { ...s, routes: hand };
    }
  }
  for (const [name, d] of Object.entries(want)) if (!(name in servers) && !(name in liveServers)) servers[name] = d;

  const hasHttp = http !== undefined || Object.keys(servers).length > 0 || OWNED_HTTP_KEYS.some((k) => desired.apps.http[k] !== undefined);
  if (hasHttp) {
    const nextHttp: JsonObject = { ...(http ?? {}), servers };
    for (const k of OWNED_HTTP_KEYS) {
      if (desired.apps.http[k] !== undefined) nextHttp[k] = desired.apps.http[k];
      else delete nextHttp[k];
    }
    if (!http?.["servers"] && Object.keys(servers).length === 0) delete nextHttp["servers"];
    apps["http"] = nextHttp;
  }
  if (apps["tls"] !== undefined || desired.apps.tls !== undefined) {
    const tls = mergeOwnedTree(apps["tls"], desired.apps.tls);
    if (isEmpty(tls) && apps["tls"] === undefined) delete apps["tls"];
    else apps["tls"] = tls;
  }
  if (Object.keys(apps).length || out["apps"] !== undefined) out["apps"] = apps;
  mergeLogs(out, desired);
  return out;
}

/** logging.logs with Hecate's loggers replaced by the desired ones; other loggers kept as they are. */
function mergeLogs(out: JsonObject, desired: OwnedConfig): void {
  const logging = isObject(out["logging"]) ? out["logging"] : undefined;
  const live = logging && isObject(logging["logs"]) ? logging["logs"] : {};
  const want = desired.logging?.logs ?? {};
  if (!ownedLogs(live) && !Object.keys(want).length) return;
  const logs: JsonObject = {};
  for (const [k, v] of Object.entries(live)) if (!k.startsWith("hecate")) logs[k] = v;
  for (const [k, v] of Object.entries(want)) logs[k] = v;
  const next: JsonObject = { ...(logging ?? {}) };
  if (Object.keys(logs).length) next["logs"] = logs;
  else delete next["logs"];
  if (Object.keys(next).length || logging) out["logging"] = next;
}
