// Expression policies (/policies/expression/) and policy bindings (/policies/bindings/), both uuid.

import { addError, type FieldErrors } from "../errors.js";
import { checkRefs, type Kind } from "../kind.js";
import type { Obj } from "../store.js";

export const expressionPolicies: Kind = {
  path: "/policies/expression/",
  lookup: "pk",
  pkType: "uuid",
  schema: "ExpressionPolicy",
  search: ["name"],
  ordering: "name",
  unique: [{ field: "name", message: "Policy with this name already exists." }],
  table: (ctx) => ctx.store.expressionPolicies,
  newPk: (ctx) => ctx.store.uuid(),
  defaults: () => ({ execution_logging: false }),
  present: (ctx, obj) => ({
    pk: obj.pk,
    name: obj.name,
    execution_logging: obj.execution_logging,
    component: "ak-policy-expression-form",
    verbose_name: "Expression Policy",
    verbose_name_plural: "Expression Policies",
    meta_model_name: "authentik_policies_expression.expressionpolicy",
    bound_to: ctx.store.policyBindings.all().filter((b) => b.policy === obj.pk).length,
    expression: obj.expression,
  }),
  filters: { policy_uuid: (_ctx, values) => (o) => values.includes(String(o.pk)) },
  remove(ctx, obj) {
    for (const b of ctx.store.policyBindings.all()) if (b.policy === obj.pk) ctx.store.policyBindings.delete(b.pk);
  },
};

export const policyBindings: Kind = {
  path: "/policies/bindings/",
  lookup: "pk",
  pkType: "uuid",
  schema: "PolicyBinding",
  search: ["policy__name"],
  ordering: "order",
  table: (ctx) => ctx.store.policyBindings,
  newPk: (ctx) => ctx.store.uuid(),
  defaults: () => ({ policy: null, group: null, user: null, negate: false, enabled: true, timeout: 30, failure_result: false }),
  check(ctx, merged) {
    const errors: FieldErrors = {};
    checkRefs(errors, "policy", merged.policy, (v) => ctx.store.expressionPolicies.get(v) !== undefined);
    checkRefs(errors, "group", merged.group, (v) => ctx.store.groups.get(v) !== undefined);
    checkRefs(errors, "user", merged.user, (v) => ctx.store.users.get(v) !== undefined);
    checkRefs(errors, "target", merged.target, (v) => ctx.store.bindingTarget(v) !== undefined);
    if (Object.keys(errors).length) return errors;
    const set = ["policy", "group", "user"].filter((k) => merged[k] !== null && merged[k] !== undefined).length;
    if (set > 1) addError(errors, "non_field_errors", "Only one of 'policy', 'group' or 'user' can be set.");
    if (set < 1) addError(errors, "non_field_errors", "One of 'policy', 'group' or 'user' must be set.");
    if (merged.policy && ctx.store.policyBindings.find((b) => b.pk !== merged.pk && b.policy === merged.policy && b.target === merged.target && b.order === merged.order)) {
      addError(errors, "non_field_errors", "The fields policy, target, order must make a unique set.");
    }
    return errors;
  },
  present(ctx, obj) {
    const policy = ctx.store.expressionPolicies.get(obj.policy);
    const group = ctx.store.groups.get(obj.group);
    const user = ctx.store.users.get(obj.user);
    return {
      pk: obj.pk,
      policy: obj.policy,
      group: obj.group,
      user: obj.user,
      policy_obj: policy ? expressionPolicies.present(ctx, policy) : null,
      group_obj: group ? { pk: group.pk, num_pk: group.num_pk, name: group.name, is_superuser: group.is_superuser, attributes: group.attributes } : null,
      user_obj: user ? { pk: user.pk, username: user.username, name: user.name, is_active: user.is_active, email: user.email, uid: user.uid, uuid: user.uuid } : null,
      target: obj.target,
      negate: obj.negate,
      enabled: obj.enabled,
      order: obj.order,
      timeout: obj.timeout,
      failure_result: obj.failure_result,
      expires: null,
      expiring: false,
    };
  },
  filters: {
    target_in: (_ctx, values) => (o: Obj) => values.flatMap((v) => v.split(",")).includes(String(o.target)),
    policy__isnull: (_ctx, values) => (o: Obj) => (o.policy === null) === (values[0] === "true"),
  },
};
