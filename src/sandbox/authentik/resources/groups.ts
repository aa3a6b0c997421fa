// Groups (/core/groups/, uuid): `parents` list since 2025.12, a single `parent` before; members in `users`.

import { addError, type FieldErrors } from "../errors.js";
import { checkRefs, type Ctx, type Kind } from "../kind.js";
import type { Obj } from "../store.js";

const related = (g: Obj): Obj => ({ pk: g.pk, num_pk: g.num_pk, name: g.name, is_superuser: g.is_superuser, attributes: g.attributes });

let numPk = 1000;

/** True when `candidate` is `group` or one of its descendants (a parent there would make a loop). */
function isDescendant(ctx: Ctx, group: Obj, candidate: string): boolean {
  const stack = [candidate];
  const seen = new Set<string>();
  while (stack.length) {
    const pk = stack.pop() as string;
    if (pk === group.pk) return true;
    if (seen.has(pk)) continue;
    seen.add(pk);
    const g = ctx.store.groups.get(pk);
    if (g) stack.push(...ctx.store.parentsOf(g));
  }
  return false;
}

export const groups: Kind = {
  path: "/core/groups/",
  lookup: "pk",
  pkType: "uuid",
  schema: "Group",
  search: ["name", "is_superuser"],
  ordering: "name",
  unique: [{ field: "name", message: "Group with this name already exists." }],
  table: (ctx) => ctx.store.groups,
  newPk: (ctx) => ctx.store.uuid(),
  defaults: (ctx) => ({ num_pk: ++numPk, is_superuser: false, users: [], attributes: {}, roles: [], ...(ctx.f.groupParents ? { parents: [] } : { parent: null }) }),
  check(ctx, merged) {
    const errors: FieldErrors = {};
    const field = ctx.f.groupParents ? "parents" : "parent";
    checkRefs(errors, field, merged[field], (v) => ctx.store.groups.get(v) !== undefined);
    if (!errors[field]) {
      for (const p of ctx.store.parentsOf(merged)) {
        // authentik refuses a group that would become its own ancestor
        if (ctx.store.groups.get(merged.pk) && isDescendant(ctx, merged, p)) addError(errors, field, "Cannot set group as parent of itself.");
      }
    }
    checkRefs(errors, "users", merged.users, (v) => ctx.store.users.get(v) !== undefined);
    checkRefs(errors, "roles", merged.roles, () => false);
    return errors;
  },
  present(ctx, obj) {
    const children = ctx.store.groups.all().filter((g) => ctx.store.parentsOf(g).includes(String(obj.pk)));
    const out: Obj = {
      pk: obj.pk,
      num_pk: obj.num_pk,
      name: obj.name,
      is_superuser: obj.is_superuser,
    };
    if (ctx.f.groupParents) {
      out.parents = obj.parents;
      out.parents_obj = (obj.parents as string[]).flatMap((pk) => {
        const g = ctx.store.groups.get(pk);
        return g ? [related(g)] : [];
      });
    } else {
      out.parent = obj.parent;
      out.parent_name = (ctx.store.groups.get(obj.parent)?.name as string | undefined) ?? null;
    }
    return {
      ...out,
      users: obj.users,
      users_obj: (obj.users as number[]).flatMap((pk) => {
        const u = ctx.store.users.get(pk);
        return u ? [{ pk: u.pk, username: u.username, name: u.name, is_active: u.is_active, last_login: null, email: u.email, attributes: u.attributes, uid: u.uid, path: u.path, type: u.type, uuid: u.uuid }] : [];
      }),
      attributes: obj.attributes,
      roles: obj.roles,
      roles_obj: [],
      inherited_roles_obj: [],
      children: children.map((g) => g.pk),
      children_obj: children.map(related),
    };
  },
  filters: {
    members_by_username: (ctx, values) => (g) => (g.users as number[]).some((pk) => values.includes(String(ctx.store.users.get(pk)?.username))),
    members_by_pk: (_ctx, values) => (g) => (g.users as number[]).some((pk) => values.includes(String(pk))),
  },
  remove(ctx, obj) {
    for (const b of ctx.store.policyBindings.all()) if (b.group === obj.pk) ctx.store.policyBindings.delete(b.pk);
    for (const g of ctx.store.groups.all()) {
      if (Array.isArray(g.parents)) g.parents = (g.parents as string[]).filter((p) => p !== obj.pk);
      if (g.parent === obj.pk) g.parent = null;
    }
  },
};
