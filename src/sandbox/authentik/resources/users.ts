// Users (/core/users/, integer pk): memberships live on the groups; passwords and MFA codes in Store.credentials.

import { createHash } from "node:crypto";
import { checkRefs, type Ctx, type Kind } from "../kind.js";
import type { Obj } from "../store.js";

/** True when one of the user's groups (or their ancestors) is a superuser group. */
export function isSuperuser(ctx: Ctx, pk: number): boolean {
  return ctx.store.allGroups(pk).some((g) => g.is_superuser === true);
}

/** Stored fields of a new user before the request's (or seed's) own. */
function userDefaults(ctx: Ctx): Obj {
  const uuid = ctx.store.uuid();
  const now = new Date().toISOString();
  return {
    name: "",
    is_active: true,
    last_login: null,
    email: "",
    attributes: {},
    path: "users",
    type: "internal",
    roles: [],
    uuid,
    uid: createHash("sha256").update(`sandbox-${uuid}`).digest("hex"),
    date_joined: now,
    password_change_date: now,
    last_updated: now,
  };
}

/** A stored user row (as a create would make it), for seeding. */
export function newUser(ctx: Ctx, fields: Obj): Obj {
  return { ...userDefaults(ctx), ...fields, pk: ctx.store.nextUserPk() };
}

export const users: Kind = {
  path: "/core/users/",
  lookup: "pk",
  pkType: "int",
  schema: "User",
  search: ["username", "name", "email"],
  ordering: "username",
  unique: [{ field: "username", message: "A user with that username already exists." }],
  table: (ctx) => ctx.store.users,
  newPk: (ctx) => ctx.store.nextUserPk(),
  defaults: userDefaults,
  check(ctx, merged) {
    const errors = {};
    checkRefs(errors, "groups", merged.groups, (v) => ctx.store.groups.get(v) !== undefined);
    checkRefs(errors, "roles", merged.roles, () => false);
    return errors;
  },
  afterSave(ctx, obj, sent) {
    obj.last_updated = new Date().toISOString();
    if (Array.isArray(sent.groups)) {
      const want = new Set(sent.groups as string[]);
      for (const g of ctx.store.groups.all()) {
        const members = (g.users as number[]).filter((u) => u !== obj.pk);
        if (want.has(String(g.pk))) members.push(obj.pk as number);
        g.users = members;
      }
    }
    delete obj.groups;
  },
  present(ctx, obj) {
    const pk = obj.pk as number;
    const groups = ctx.store.groups.all().filter((g) => (g.users as number[]).includes(pk));
    return {
      pk,
      username: obj.username,
      name: obj.name,
      is_active: obj.is_active,
      last_login: obj.last_login,
      date_joined: obj.date_joined,
      is_superuser: isSuperuser(ctx, pk),
      groups: groups.map((g) => g.pk),
      groups_obj: groups.map((g) => ({ pk: g.pk, num_pk: g.num_pk, name: g.name, is_superuser: g.is_superuser, attributes: g.attributes })),
      roles: obj.roles,
      roles_obj: [],
      email: obj.email,
      avatar: `data:image/svg+xml;base64,`,
      attributes: obj.attributes,
      uid: obj.uid,
      path: obj.path,
      type: obj.type,
      uuid: obj.uuid,
      password_change_date: obj.password_change_date,
      last_updated: obj.last_updated,
    };
  },
  filters: {
    groups_by_name: (ctx, values) => (u) => ctx.store.groups.all().some((g) => values.includes(String(g.name)) && (g.users as number[]).includes(u.pk as number)),
    groups_by_pk: (ctx, values) => (u) => ctx.store.groups.all().some((g) => values.includes(String(g.pk)) && (g.users as number[]).includes(u.pk as number)),
    path_startswith: (_ctx, values) => (u) => String(u.path).startsWith(values[0] ?? ""),
  },
  remove(ctx, obj) {
    for (const b of ctx.store.policyBindings.all()) if (b.user === obj.pk) ctx.store.policyBindings.delete(b.pk);
    for (const g of ctx.store.groups.all()) g.users = (g.users as number[]).filter((u) => u !== obj.pk);
    ctx.store.credentials.delete(obj.pk as number);
  },
};
