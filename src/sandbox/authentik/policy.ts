// The policy engine for an application: its enabled bindings (group, user, expression policy)
// combined by policy_engine_mode any|all; no bindings means everyone passes, as in authentik.

import { evaluateExpression } from "./expression.js";
import type { Obj, Store } from "./store.js";

export interface Decision {
  passing: boolean;
  messages: string[];
}

/** Names of the user's MFA device types (the sandbox knows static codes only). */
export function deviceTypes(store: Store, userPk: number): string[] {
  const c = store.credentials.get(userPk);
  return c && c.staticCodes.length > 0 ? ["static"] : [];
}

export function evaluateAccess(store: Store, target: Obj, mode: unknown, user: Obj, log: (msg: string) => void): Decision {
  const pk = user.pk as number;
  const bindings = store.policyBindings.all().filter((b) => b.target === target.pk && b.enabled !== false).sort((a, b) => (a.order as number) - (b.order as number));
  if (bindings.length === 0) return { passing: true, messages: [] };
  const groups = store.allGroups(pk);
  const messages: string[] = [];
  const results = bindings.map((b) => {
    let passing: boolean;
    if (b.group) passing = groups.some((g) => g.pk === b.group);
    else if (b.user !== null && b.user !== undefined) passing = b.user === pk;
    else {
      const policy = store.expressionPolicies.get(b.policy);
      const result = evaluateExpression(String(policy?.expression ?? ""), {
        username: String(user.username),
        email: String(user.email ?? ""),
        name: String(user.name ?? ""),
        groupNames: groups.map((g) => String(g.name)),
        deviceTypes: deviceTypes(store, pk),
      });
      if (!result.ok) {
        log(`authentik sandbox: expression policy "${String(policy?.name)}" is outside the supported subset (${result.reason}); evaluated as deny`);
        messages.push(`Policy ${String(policy?.name)} could not be evaluated by the sandbox.`);
        return false; // deny regardless of negate: the sandbox never guesses
      }
      passing = result.passing;
    }
    return b.negate === true ? !passing : passing;
  });
  const passing = mode === "all" ? results.every(Boolean) : results.some(Boolean);
  return { passing, messages };
}
