// The auth-policy noun: who may pass a route, decided by authentik.
import type { AuthPolicyResource } from "../../model/schema.js";
import type { Flag } from "../core/define.js";
import { spec, type NounDef } from "./noun.js";
import { edit, kv, list, prune, type Opts } from "./parse.js";

type AuthPolicySpec = AuthPolicyResource["spec"];
const METHODS = ["password", "webauthn", "totp", "static", "duo", "sms", "email"] as const;

const flags: Flag[] = [
  { flags: "--group <name>", description: "members of this authentik group may pass (repeatable)", repeatable: true },
  { flags: "--user <name>", description: "this user may pass (repeatable)", repeatable: true },
  { flags: "--require-mfa", description: "require a second factor" },
  { flags: "--mode <mode>", description: "authentik proxy provider mode", choices: ["forward_single", "forward_domain"] },
  { flags: "--cookie-domain <domain>", description: "cookie domain (forward_domain mode)" },
  { flags: "--flow <slug>", description: "authorization flow slug" },
  { flags: "--session-duration <duration>", description: "how long a sign-in lasts (e.g. 8h)" },
  { flags: "--allowed-method <method>", description: `accepted authenticator (repeatable): ${METHODS.join(", ")}`, repeatable: true },
  { flags: "--metadata <key=value>", description: "user attribute that must have this value (repeatable)", repeatable: true },
  { flags: "--require-attribute <key>", description: "user attribute that must be present (repeatable)", repeatable: true },
  { flags: "--outpost <address>", description: "authentik outpost address Caddy asks" },
  { flags: "--provider <provider>", description: "identity provider", choices: ["authentik"] },
];
const updateFlags: Flag[] = [
  { flags: "--add-group <name>", description: "add a group", repeatable: true },
  { flags: "--remove-group <name>", description: "remove a group", repeatable: true },
  { flags: "--add-user <name>", description: "add a user", repeatable: true },
  { flags: "--remove-user <name>", description: "remove a user", repeatable: true },
  { flags: "--no-require-mfa", description: "do not require a second factor" },
];

function apply(s: AuthPolicySpec, o: Opts): AuthPolicySpec {
  const next = structuredClone(s);
  next.groups = edit(next.groups, list(o.group), list(o.addGroup), list(o.removeGroup));
  next.users = edit(next.users, list(o.user), list(o.addUser), list(o.removeUser));
  if (o.requireMfa === true) next.requireMfa = true;
  if (o.requireMfa === false) delete next.requireMfa;
  if (o.mode !== undefined) next.mode = o.mode as AuthPolicySpec["mode"];
  if (o.cookieDomain !== undefined) next.cookieDomain = String(o.cookieDomain);
  if (o.flow !== undefined) next.flow = String(o.flow);
  if (o.sessionDuration !== undefined) next.sessionDuration = String(o.sessionDuration);
  if (o.allowedMethod !== undefined) next.allowedMethods = list(o.allowedMethod) as AuthPolicySpec["allowedMethods"];
  const equals = kv(o.metadata, "--metadata"), required = list(o.requireAttribute);
  if (equals || required) {
    next.metadata = { ...next.metadata, ...(equals ? { equals: { ...next.metadata?.equals, ...equals } } : {}), ...(required ? { required: edit(next.metadata?.required, undefined, required) } : {}) };
  }
  if (o.outpost !== undefined) next.outpost = String(o.outpost);
  if (o.provider !== undefined) next.provider = "authentik";
  return prune(next);
}

export const authPolicy: NounDef = {
  noun: "auth-policy",
  plural: "auth-policies",
  kind: "AuthPolicy",
  aliases: ["authpolicy", "authpolicies"],
  summary: "who may pass a route (authentik groups, users, MFA)",
  flags,
  updateFlags,
  create: (_name, o) => ({ spec: apply({}, o) }),
  update: (current, o) => ({ spec: apply(current.spec as AuthPolicySpec, o) }),
  columns: [
    { header: "NAME", get: (r) => r.metadata.name },
    { header: "MODE", get: (r) => spec<AuthPolicySpec>(r).mode ?? "forward_single" },
    { header: "GROUPS", get: (r) => spec<AuthPolicySpec>(r).groups?.join(",") || "-" },
    { header: "USERS", get: (r) => spec<AuthPolicySpec>(r).users?.join(",") || "-" },
    { header: "MFA", get: (r) => (spec<AuthPolicySpec>(r).requireMfa ? "yes" : "no") },
  ],
  examples: {
    create: ["hecate create auth-policy staff --group staff", "hecate create auth-policy admins --group admin,superuser --require-mfa"],
    update: ["hecate update auth-policy staff --add-group developers", "hecate update auth-policy admins --no-require-mfa -m 'MFA via VPN now'"],
  },
};
