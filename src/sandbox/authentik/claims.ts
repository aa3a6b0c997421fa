// What an OAuth2 provider tells about a user: the subject by sub_mode, and the claims of the
// provider's scope mappings that the client asked for. The sandbox's scope mappings are the
// managed ones, so each is evaluated by what its managed expression returns in authentik.

import type { Obj, Store } from "./store.js";

type ClaimsOf = (store: Store, user: Obj) => Obj;

const MANAGED: Record<string, ClaimsOf> = {
  "goauthentik.io/providers/oauth2/scope-openid": () => ({}),
  "goauthentik.io/providers/oauth2/scope-email": (_s, u) => ({ email: String(u.email ?? ""), email_verified: false }),
  "goauthentik.io/providers/oauth2/scope-profile": (s, u) => ({
    name: String(u.name ?? ""),
    given_name: String(u.name ?? ""),
    preferred_username: String(u.username),
    nickname: String(u.username),
    // The user's own groups (ak_groups), not their ancestors.
    groups: s.groups.all().filter((g) => (g.users as number[]).includes(u.pk as number)).map((g) => String(g.name)),
  }),
  "goauthentik.io/providers/oauth2/scope-offline_access": () => ({}),
};

/** The provider's scope mappings (rows), in scope-name order as authentik evaluates them. */
export function providerScopes(store: Store, provider: Obj): Obj[] {
  return ((provider.property_mappings as string[] | undefined) ?? [])
    .flatMap((pk) => {
      const m = store.scopeMappings.get(pk);
      return m ? [m] : [];
    })
    .sort((a, b) => String(a.scope_name).localeCompare(String(b.scope_name)));
}

/** Claims of the mappings whose scope was granted, merged. */
export function scopeClaims(store: Store, provider: Obj, scope: readonly string[], user: Obj): Obj {
  const out: Obj = {};
  for (const m of providerScopes(store, provider)) {
    if (!scope.includes(String(m.scope_name))) continue;
    Object.assign(out, MANAGED[String(m.managed)]?.(store, user) ?? {});
  }
  return out;
}

/** The `sub` claim by the provider's sub_mode. */
export function subject(provider: Obj, user: Obj): string {
  switch (provider.sub_mode) {
    case "user_id":
      return String(user.pk);
    case "user_uuid":
      return String(user.uuid);
    case "user_email":
      return String(user.email ?? "");
    case "user_username":
      return String(user.username);
    case "user_upn":
      return String((user.attributes as Obj | undefined)?.upn ?? user.uid);
    default:
      return String(user.uid); // hashed_user_id
  }
}
