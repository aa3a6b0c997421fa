// The /api/v3 routes: bearer-token check, the object kinds, /admin/version/ and /core/users/me/.

import { Hono } from "hono";
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
import { secretEquals } from "./tokens.js";

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
};

export interface ApiDeps {
  ctx: Ctx;
  token: string;
  /** pk of the user the token belongs to. */
  tokenUser: () => number;
  list: ListOptions;
  onIgnored: (fields: string[]) => void;
}

export function apiApp(d: ApiDeps): Hono {
  const api = new Hono();
  api.onError(handleError);
  api.notFound((c) => c.json({ detail: "Not found." }, 404));
  api.use("*", async (_c, next) => {
    const header = _c.req.header("authorization");
    if (!header) throw forbidden("Authentication credentials were not provided.");
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m?.[1] || !secretEquals(m[1], d.token)) throw forbidden("Token invalid/expired");
    await next();
  });
  // Before the generic kinds: /core/users/me/ must not be read as /core/users/{id}/.
  api.get("/core/users/me/", (c) => {
    const user = d.ctx.store.users.get(d.tokenUser());
    if (!user) throw forbidden("Token invalid/expired");
    const u = users.present(d.ctx, user);
    return c.json({ user: { ...u, settings: {}, system_permissions: [] } });
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
  for (const kind of Object.values(KINDS)) mountKind(api, d.ctx, kind, d.list, d.onIgnored);
  return api;
}
