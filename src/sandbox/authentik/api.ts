// The /api/v3 routes: bearer-token check, the object kinds, /admin/version/ and /core/users/me/.

import { Hono, type Context } from "hono";
import { mountKind, type ListOptions } from "./crud.js";
import { forbidden, handleError } from "./errors.js";
import { keyMaterial } from "./keys.js";
import type { Ctx, Kind } from "./kind.js";
import { applications } from "./resources/applications.js";
import { flowBindings, flows, validateStages } from "./resources/flows.js";
import { groups } from "./resources/groups.js";
import { keypairs, samlMappings, scopeMappings } from "./resources/mappings.js";
import { outposts } from "./resources/outposts.js";
import { expressionPolicies, policyBindings } from "./resources/policies.js";
import { oauth2Providers, proxyProviders, samlProviders } from "./resources/providers.js";
import { users } from "./resources/users.js";
import { mountTokenRoutes, tokens, tokenUser } from "./resources/tokens.js";

export const KINDS: Readonly<Record<string, Kind>> = {
  applications,
  proxyProviders,
  oauth2Providers,
  samlProviders,
  outposts,
  groups,
  users,
  expressionPolicies,
  policyBindings,
  flows,
  validateStages,
  flowBindings,
  scopeMappings,
  samlMappings,
  keypairs,
  tokens,
};

export interface ApiDeps {
  ctx: Ctx;
  list: ListOptions;
  onIgnored: (fields: string[]) => void;
}

export function apiApp(d: ApiDeps): Hono {
  const api = new Hono();
  // The user each request's token authenticated (keyed by the request object itself).
  const callers = new WeakMap<Request, number>();
  const caller = (c: Context): number => callers.get(c.req.raw)!;
  api.onError(handleError);
  api.notFound((c) => c.json({ detail: "Not found." }, 404));
  api.use("*", async (c, next) => {
    const header = c.req.header("authorization");
    if (!header) throw forbidden("Authentication credentials were not provided.");
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const user = m?.[1] ? tokenUser(d.ctx, m[1]) : undefined;
    if (user === undefined) throw forbidden("Token invalid/expired");
    callers.set(c.req.raw, user);
    await next();
  });
  // Before the generic kinds: /core/users/me/ must not be read as /core/users/{id}/.
  api.get("/core/users/me/", (c) => {
    const user = d.ctx.store.users.get(caller(c));
    if (!user) throw forbidden("Token invalid/expired");
    const u = users.present(d.ctx, user);
    // SessionUser: `user` and the session's `users` as UserSelf (groups as {name, pk}); a token is no browser session.
    const self = {
      pk: u.pk, username: u.username, name: u.name, is_active: u.is_active, is_superuser: u.is_superuser, is_current: false,
      groups: d.ctx.store.groups.all().filter((g) => (g.users as number[]).includes(u.pk as number)).map((g) => ({ name: g.name, pk: g.pk })),
      roles: [], email: u.email, avatar: u.avatar, uid: u.uid, settings: {}, type: u.type, system_permissions: [],
    };
    return c.json({ user: self, users: [self] });
  });
  api.get("/admin/version/", (c) =>
    c.json({ version_current: d.ctx.f.version, version_latest: d.ctx.f.version, version_latest_valid: true, build_hash: "", outdated: false, outpost_outdated: false }),
  );
  // A key pair's certificate (PEM), what an SP is configured with to verify signed assertions.
  api.get("/crypto/certificatekeypairs/:pk/view_certificate/", async (c) => {
    const m = keyMaterial(d.ctx.store, c.req.param("pk"));
    if (!m) return c.json({ detail: "Not found." }, 404);
    const { certPem } = await m;
    if (c.req.query("download") !== undefined) return c.body(certPem, 200, { "content-type": "application/x-pem-file", "content-disposition": 'attachment; filename="certificate.pem"' });
    return c.json({ data: certPem });
  });
  mountTokenRoutes(api, d.ctx, caller, d.onIgnored);
  for (const kind of Object.values(KINDS)) mountKind(api, d.ctx, kind, d.list, d.onIgnored);
  return api;
}
