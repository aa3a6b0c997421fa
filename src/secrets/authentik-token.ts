// Rotation of the API token Hecate talks to authentik with (Settings spec.authentik.token =
// "secret:NAME", kept in the store): a new token made through authentik's API for the same user,
// its key read back (view_key) and verified by a call made with it, then switched to, and only
// then the old token found (by its key, compared in constant time) and deleted. No grace window:
// the old token is revoked as soon as the new one is proven. Audited without any key.
import { randomBytes, timingSafeEqual, createHash } from "node:crypto";
import { HecateError } from "../diag.js";
import type { ResolvedState } from "../model/resolved.js";
import type { Resource, SecretResource } from "../model/schema.js";
import { call, listAll } from "../providers/authentik/api.js";
import type { Store } from "../store/store.js";
import { rotateStoreSecret } from "./rotate.js";

/** The Secret Settings spec.authentik.token names, if it names one. */
export function authentikTokenSecret(resources: readonly Resource[]): string | undefined {
  for (const r of resources) {
    if (r.kind !== "Settings") continue;
    const ref = (r.spec as { authentik?: { token?: string } }).authentik?.token;
    if (ref?.startsWith("secret:")) return ref.slice(7);
  }
  return undefined;
}

/**
 * How `secret rotate NAME` rotates it, from the head's resources: the authentik API token Settings
 * names is replaced through authentik; any other Secret only when its value is kept in the store.
 */
export function rotationOf(resources: readonly Resource[], name: string): "authentik-token" | "store" {
  const res = resources.find((r): r is SecretResource => r.kind === "Secret" && r.metadata.name === name);
  if (!res) throw new HecateError("not-found", `no Secret named "${name}" (see \`hecate list secrets\`)`, { status: 404 });
  if (authentikTokenSecret(resources) === name) return "authentik-token";
  if (res.spec.from !== "store") throw new HecateError("secret-not-held", `Secret/${name} takes its value from ${res.spec.from}: rotate it there; Hecate rotates only values it keeps in the store`);
  return "store";
}

const same = (a: string, b: string) => timingSafeEqual(createHash("sha256").update(a).digest(), createHash("sha256").update(b).digest());

export interface AuthentikRotation {
  /** The new token's identifier in authentik. */
  identifier: string;
  /** The old token's identifier, deleted; absent when no token of the user had the old key (e.g. made outside the API). */
  revoked?: string;
}

export async function rotateAuthentikToken(store: Store, state: ResolvedState, name: string, opts: { actor: string }): Promise<AuthentikRotation> {
  const a = state.settings.authentik;
  if (!a) throw new HecateError("not-configured", "authentik needs Settings spec.authentik.url and spec.authentik.token");
  const secret = state.secrets.find((s) => s.name === name);
  if (secret?.from !== "store") throw new HecateError("secret-not-held", `Secret/${name} takes its value from ${secret?.from ?? "nowhere"}: Hecate can switch the authentik token only when it keeps it in the store`);
  const old = await store.getSecret(name);
  if (old === undefined) throw new HecateError("secret-unresolved", `Secret/${name} has no value in the store`);
  const { Configuration, CoreApi } = await import("@goauthentik/api");
  const core = (token: string) => new CoreApi(new Configuration({ basePath: `${a.url.replace(/\/+$/, "")}/api/v3`, accessToken: token }));
  const before = core(old);
  const me = await call("read the token's user (GET /core/users/me/)", () => before.coreUsersMeRetrieve());
  const identifier = `hecate-${new Date().toISOString().slice(0, 10)}-${randomBytes(4).toString("hex")}`;
  await call(`create token ${identifier}`, () =>
    before.coreTokensCreate({ tokenRequest: { identifier, intent: "api", user: me.user.pk, expiring: false, description: `Hecate's API token (Secret/${name}, made by hecate secret rotate)` } }),
  );
  const { key } = await call(`read the key of token ${identifier}`, () => before.coreTokensViewKeyRetrieve({ identifier }));
  const after = core(key);
  try {
    const check = await call("verify the new token (GET /core/users/me/ with it)", () => after.coreUsersMeRetrieve());
    if (check.user.pk !== me.user.pk) throw new HecateError("authentik-token", `the new token ${identifier} authenticates as ${check.user.username}, not ${me.user.username}`);
  } catch (e) {
    await before.coreTokensDestroy({ identifier }).catch(() => undefined);
    throw e;
  }
  await rotateStoreSecret(store, name, key, { graceMs: 0, actor: opts.actor, reason: "authentik token" });
  // The old token: the user's API token whose key is the old value.
  const mine = await call("list the user's tokens", () => listAll((page) => after.coreTokensList({ page, intent: "api", userUsername: me.user.username })));
  let revoked: string | undefined;
  for (const t of mine) {
    if (t.identifier === identifier) continue;
    const v = await call(`read the key of token ${t.identifier}`, () => after.coreTokensViewKeyRetrieve({ identifier: t.identifier }));
    if (same(v.key, old)) revoked = t.identifier;
  }
  if (revoked) {
    const id = revoked;
    await call(`revoke the old token ${id}`, () => after.coreTokensDestroy({ identifier: id }));
  }
  await store.audit({ actor: opts.actor, action: "secret.rotate.authentik", target: `Secret/${name}`, detail: { created: identifier, ...(revoked ? { revoked } : { revoked: "none found" }) } });
  return { identifier, ...(revoked ? { revoked } : {}) };
}
