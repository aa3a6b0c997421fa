// Semantic checks that need no other resource: unsafe strings (CR/LF/NUL, Caddy placeholders),
// header names, IP filters. Cross-resource checks (references, collisions) live in resolve.ts and resolve/,
// where the resolved values they compare are built.
import type { Reporter, Entry } from "./ctx.js";
import type { PathSeg } from "./load.js";
import { formatPath } from "./check.js";
import { parseCidrOrIp } from "./net.js";

/** RFC 9110 token: the characters a header name may use. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const PLACEHOLDER = /\{[^}]*\}/;
const CONTROL_IN_HEADER = /[\x00-\x08\x0a-\x1f\x7f]/;

/** Fields whose text may span lines (it is a page body, not a header or path). */
const MULTILINE_OK = (path: readonly PathSeg[]) => (["message", "page"].includes(String(path[path.length - 1])) && path.includes("maintenance")) || isVerbatim(path);

/** A whole HTML page (CSS has braces): compile escapes every brace, so Caddy serves it as written. */
const isPage = (path: readonly PathSeg[]) => path[path.length - 1] === "page" && path.includes("maintenance");

/** Inside spec.caddyRoutes: Caddy's own config, placeholders and all, checked by Caddy. */
const isVerbatim = (path: readonly PathSeg[]) => path[1] === "caddyRoutes";

/**
 * Rejects NUL anywhere and CR/LF in any user string (header injection, config injection), and
 * "{...}" in strings that reach Caddy, which would expand them as placeholders.
 * `caddyBound` says whether this resource's strings end up in Caddy config.
 */
export function checkStrings(rep: Reporter, entry: Entry, caddyBound: boolean): void {
  const walk = (v: unknown, path: PathSeg[]) => {
    if (typeof v === "string") {
      checkString(rep, entry, path, v, caddyBound);
    } else if (Array.isArray(v)) {
      v.forEach((x, i) => walk(x, [...path, i]));
    } else if (v && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) {
        if (/[\r\n\0]/.test(k)) rep.error("unsafe-value", `${formatPath(path)}: key ${JSON.stringify(k)} contains a line break or NUL`, entry, [...path, k], { key: true });
        walk(x, [...path, k]);
      }
    }
  };
  walk((entry.resource as { spec: unknown }).spec, ["spec"]);
}

function checkString(rep: Reporter, entry: Entry, path: PathSeg[], v: string, caddyBound: boolean): void {
  const field = formatPath(path);
  if (v.includes("\0")) {
    rep.error("unsafe-value", `${field}: contains a NUL character; remove it`, entry, path);
    return;
  }
  if (/[\r\n]/.test(v) && !MULTILINE_OK(path)) {
    rep.error("unsafe-value", `${field}: contains a line break (CR/LF); this value must be a single line (a line break in a header or path allows header/request injection)`, entry, path);
    return;
  }
  // Host names go through their own check; names of other resources cannot contain braces.
  const last = path[path.length - 1];
  const inHosts = path.includes("hosts");
  if (caddyBound && !inHosts && last !== "preset" && !isVerbatim(path) && !isPage(path) && PLACEHOLDER.test(v)) {
    const m = PLACEHOLDER.exec(v)![0];
    rep.error(
      "placeholder",
      `${field}: ${JSON.stringify(v)} contains ${JSON.stringify(m)}, which Caddy would expand as a placeholder (Hecate passes user text literally); remove the braces`,
      entry,
      path,
    );
  }
}

/** Header operations: names must be tokens; values single-line without control characters. */
export function checkHeaderOps(rep: Reporter, entry: Entry, path: PathSeg[], ops: { set?: Record<string, string>; remove?: string[] } | undefined): void {
  if (!ops) return;
  for (const [name, value] of Object.entries(ops.set ?? {})) {
    checkHeaderName(rep, entry, [...path, "set", name], name, true);
    if (CONTROL_IN_HEADER.test(value) && !/[\r\n\0]/.test(value)) {
      rep.error("unsafe-value", `${formatPath([...path, "set", name])}: header value contains a control character`, entry, [...path, "set", name]);
    }
  }
  (ops.remove ?? []).forEach((name, i) => checkHeaderName(rep, entry, [...path, "remove", i], name, false));
}

export function checkHeaderName(rep: Reporter, entry: Entry, path: PathSeg[], name: string, isKey: boolean): void {
  if (/[\r\n\0]/.test(name)) return; // already reported as unsafe
  if (!TOKEN.test(name)) {
    rep.error("header-name", `${formatPath(path.slice(0, isKey ? -1 : undefined))}: header name ${JSON.stringify(name)} is not a valid HTTP token (letters, digits and !#$%&'*+-.^_\`|~ only)`, entry, path, { key: isKey });
  }
}

/** allow/deny lists: each an IP or CIDR. Returns the normalized lists. */
export function checkIpFilter(rep: Reporter, entry: Entry, path: PathSeg[], f: { allow?: string[]; deny?: string[] } | undefined): { allow: string[]; deny: string[] } | undefined {
  if (!f) return undefined;
  const norm = (list: string[] | undefined, key: string) =>
    (list ?? []).flatMap((s, i) => {
      const r = parseCidrOrIp(s);
      if (!r.ok) {
        rep.error("ip", `${formatPath([...path, key, i])}: ${JSON.stringify(s)} ${r.reason}`, entry, [...path, key, i]);
        return [];
      }
      return [r.value];
    });
  return { allow: norm(f.allow, "allow"), deny: norm(f.deny, "deny") };
}
