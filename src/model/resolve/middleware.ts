// Middleware: each kind's defaults applied and its own fields checked.
import type { ResolvedMiddleware } from "../resolved.js";
import type { MiddlewareResource } from "../schema.js";
import { checkHeaderName, checkHeaderOps, checkIpFilter } from "../validate.js";
import type { ResolveCtx } from "./context.js";
import { headerOps, sortRecord } from "./order.js";

/** The Caddy module a rate-limit middleware compiles to; Debian's Caddy lacks it, so Settings must list it. */
export const RATE_LIMIT_MODULE = "http.handlers.rate_limit";

export function resolveMiddleware(ctx: ResolveCtx): Map<string, ResolvedMiddleware> {
  const out = new Map<string, ResolvedMiddleware>();
  for (const e of ctx.catalog.list<MiddlewareResource>("Middleware")) {
    const name = e.resource.metadata.name;
    const s = e.resource.spec;
    let m: ResolvedMiddleware;
    switch (s.type) {
      case "rate-limit":
        m = { name, type: s.type, requests: s.requests, window: s.window, key: s.key ?? "ip" };
        break;
      case "compression":
        m = { name, type: s.type, encodings: s.encodings ?? ["zstd", "gzip"], ...(s.minLength !== undefined ? { minLength: s.minLength } : {}) };
        break;
      case "security-headers":
        for (const h of Object.keys(s.headers ?? {})) checkHeaderName(ctx.rep, e, ["spec", "headers", h], h, true);
        m = { name, type: s.type, headers: sortRecord({ ...ctx.settings.securityHeaders, ...(s.headers ?? {}) }) };
        break;
      case "ip-filter": {
        const f = checkIpFilter(ctx.rep, e, ["spec"], { allow: s.allow, deny: s.deny }) ?? { allow: [], deny: [] };
        if (f.allow.length === 0 && f.deny.length === 0) ctx.rep.warn("empty", `ip-filter middleware "${name}" has neither allow nor deny; it does nothing`, e, ["spec"]);
        m = { name, type: s.type, allow: f.allow, deny: f.deny };
        break;
      }
      case "basic-auth":
        m = { name, type: s.type, realm: s.realm ?? "restricted", users: s.users.map((u) => ({ username: u.username, passwordHash: u.passwordHash })) };
        s.users.forEach((u, i) => {
          if (u.username.includes(":")) ctx.rep.error("basic-auth", `spec.users[${i}].username: must not contain ":"`, e, ["spec", "users", i, "username"]);
        });
        break;
      case "headers":
        checkHeaderOps(ctx.rep, e, ["spec", "request"], s.request);
        checkHeaderOps(ctx.rep, e, ["spec", "response"], s.response);
        m = { name, type: s.type, request: headerOps(s.request), response: headerOps(s.response) };
        break;
      case "redirect":
        if (s.kind === "custom" && !s.to) ctx.rep.error("redirect", `redirect middleware "${name}" has kind custom but no "to" URL`, e, ["spec", "kind"]);
        if (s.kind !== "custom" && s.to) ctx.rep.warn("redirect", `redirect middleware "${name}": "to" is only used with kind custom and is ignored`, e, ["spec", "to"]);
        if (s.to && !/^(https?:\/\/[^\s]+|\/[^\s]*)$/.test(s.to)) ctx.rep.error("redirect", `spec.to: ${JSON.stringify(s.to)} is not an http(s) URL or an absolute path`, e, ["spec", "to"]);
        m = { name, type: s.type, kind: s.kind, code: s.code ?? 308, ...(s.to ? { to: s.to } : {}) };
        break;
      case "request-size":
        m = { name, type: s.type, maxBytes: s.maxBytes };
        break;
      case "audit-log":
        m = { name, type: s.type, includeHeaders: s.includeHeaders ?? false };
        break;
    }
    out.set(name, m);
  }
  return out;
}
