// Tokens (/core/tokens/, looked up by `identifier`): API tokens and app passwords. As in authentik,
// the key is never part of the object: it is read with GET .../view_key/ and set with POST
// .../set_key/; only intent "api" or "app_password" may be made through the API; a token without
// `expiring: false` expires (default 30 minutes after it is made); a token authenticates the API
// only with intent "api", while not expired, and as its user.

import type { Context, Hono } from "hono";
import { badRequest, type FieldErrors } from "../errors.js";
import { checkRefs, type Ctx, type Kind } from "../kind.js";
import type { Obj } from "../store.js";
import { randomSecret, secretEquals } from "../tokens.js";
import { findRow, readJson, write } from "../crud.js";
import { users } from "./users.js";
import { validateBody } from "../validate.js";

/** authentik's default_token_duration. */
const DEFAULT_DURATION_MS = 30 * 60_000;

export const tokens: Kind = {
  path: "/core/tokens/",
  lookup: "identifier",
  pkType: "uuid",
  schema: "Token",
  search: ["identifier", "intent", "description"],
  ordering: "expires",
  unique: [{ field: "identifier", message: "Token with this identifier already exists." }],
  table: (ctx) => ctx.store.tokens,
  newPk: (ctx) => ctx.store.uuid(),
  defaults: () => ({ managed: null, intent: "api", description: "", expiring: true, expires: new Date(Date.now() + DEFAULT_DURATION_MS).toISOString(), key: randomSecret(48) }),
  filters: {
    user__username: (ctx, values) => (o) => ctx.store.users.get(o.user)?.username === values[values.length - 1],
  },
  check(ctx, merged) {
    const errors: FieldErrors = {};
    if (merged.intent !== "api" && merged.intent !== "app_password") errors.intent = [`Invalid intent ${String(merged.intent)}`];
    checkRefs(errors, "user", merged.user, (v) => ctx.store.users.get(v) !== undefined);
    return errors;
  },
  present(ctx, obj) {
    const u = ctx.store.users.get(obj.user);
    return {
      pk: obj.pk,
      managed: obj.managed,
      identifier: obj.identifier,
      intent: obj.intent,
      user: obj.user,
      user_obj: u ? users.present(ctx, u) : null,
      description: obj.description,
      expires: obj.expires,
      expiring: obj.expiring,
    };
  },
};

/** The user a bearer key authenticates as: an "api" token, not expired, of an active user. */
export function tokenUser(ctx: Ctx, key: string, now = Date.now()): number | undefined {
  let found: Obj | undefined;
  // Every row compared (constant time each), so the answer does not tell how many matched early.
  for (const t of ctx.store.tokens.all()) if (secretEquals(key, String(t.key)) && !found) found = t;
  if (!found || found.intent !== "api") return undefined;
  if (found.expiring && found.expires && Date.parse(String(found.expires)) <= now) return undefined;
  const u = ctx.store.users.get(found.user);
  return u && u.is_active !== false ? (u.pk as number) : undefined;
}

/** The token routes that are not plain CRUD: create (user defaults to the caller), view_key, set_key. */
export function mountTokenRoutes(api: Hono, ctx: Ctx, caller: (c: Context) => number, onIgnored: (fields: string[]) => void): void {
  api.post(tokens.path, async (c) => {
    const body = await readJson(c);
    // The caller is the token's user unless one is named (superusers may name another).
    const sent = body && typeof body === "object" && !Array.isArray(body) && (body as Obj).user === undefined ? { ...(body as Obj), user: caller(c) } : body;
    const { obj, ignored } = write(ctx, tokens, sent, undefined, false);
    onIgnored(ignored);
    return c.json(tokens.present(ctx, obj), 201);
  });
  api.get(`${tokens.path}:key/view_key/`, (c) => c.json({ key: findRow(ctx, tokens, c.req.param("key") ?? "").key }));
  api.post(`${tokens.path}:key/set_key/`, async (c) => {
    const row = findRow(ctx, tokens, c.req.param("key") ?? "");
    const body = await readJson(c);
    const errors = validateBody(ctx.f, "TokenSetKeyRequest", body);
    if (Object.keys(errors).length) throw badRequest(errors);
    row.key = (body as Obj).key;
    return c.body(null, 204);
  });
}
