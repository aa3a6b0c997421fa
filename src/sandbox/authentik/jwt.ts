// Signed JWTs as an OAuth2 provider issues them: RS256 with the signing key pair's key (its kid in
// the header, so the JWKS verifies it), or HS256 with the client secret when the provider has no
// signing key, as authentik does.

import { createHmac, createSign } from "node:crypto";
import { keyMaterial } from "./keys.js";
import type { Obj, Store } from "./store.js";

const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString("base64url");

/** The JWS algorithm the provider signs with. */
export const signingAlg = (provider: Obj): "RS256" | "HS256" => (provider.signing_key ? "RS256" : "HS256");

export async function signJwt(store: Store, provider: Obj, payload: Obj): Promise<string> {
  const material = provider.signing_key ? await keyMaterial(store, provider.signing_key) : undefined;
  const header = material ? { alg: "RS256", kid: material.kid, typ: "JWT" } : { alg: "HS256", typ: "JWT" };
  const input = `${b64(header)}.${b64(payload)}`;
  const sig = material
    ? createSign("RSA-SHA256").update(input).sign(material.privateKey)
    : createHmac("sha256", String(provider.client_secret ?? "")).update(input).digest();
  return `${input}.${sig.toString("base64url")}`;
}
