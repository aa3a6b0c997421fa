// `hecate cert revoke NAME --reason R`: a certificate Hecate holds, revoked at the ACME CA that
// issued it. The request is signed with the certificate's own key (RFC 8555 §7.6): the account an
// order used is a throwaway, and the key is what proves the right to revoke. Audited without any
// value; the held certificate is marked revoked, so `hecate list certs` says so and the next
// renewal (the reconcile loop or `cert renew`) replaces it.
import { X509Certificate } from "node:crypto";
import * as acme from "acme-client";
import { HecateError } from "../diag.js";
import type { ResolvedState } from "../model/resolved.js";
import { obtainedByHecate } from "../model/resolved.js";
import type { Store } from "../store/store.js";
import { trustFor } from "./acme.js";
import { getIssued, keyRef, noteRevoked, type IssuedCertificate } from "./issued.js";
import { REVOKE_REASONS, type RevokeReason } from "./words.js";

/** acme-client's revokeCertificate signs with an account (kid); the certificate-key form needs its API layer. */
interface JwkApi {
  api: { apiResourceRequest(resource: "revokeCert", payload: unknown, ok: number[], opts: { includeJwsKid: boolean }): Promise<unknown> };
}

/** Who holds a certificate that Hecate does not: the error says how to revoke it there. */
function notHeld(state: ResolvedState, name: string): void {
  const c = state.certificates.find((x) => x.name === name);
  if (!c) throw new HecateError("not-found", `no Certificate named "${name}"`, { status: 404 });
  if (c.issuer === "imported") {
    throw new HecateError("certificate-imported", `certificate ${name} is imported: Hecate did not obtain it, so it cannot revoke it; revoke it with the CA that issued it, then bring the new one with \`hecate cert import ${name} --cert FILE --key FILE\``);
  }
  if (!obtainedByHecate(c)) {
    throw new HecateError(
      "certificate-caddy",
      `certificate ${name} (issuer ${c.issuer}${c.acme ? `, ${c.acme.challenge}` : ""}) is obtained by Caddy itself, which holds its key: Hecate cannot revoke it. ` +
        `Revoke it with an ACME client given the certificate and key from Caddy's storage (certificates/ under Caddy's data directory, on each node), delete those files so Caddy obtains a new one, ` +
        `or let Hecate hold it: \`hecate update cert ${name} --challenge dns-01\``,
    );
  }
}

export async function revokeCertificate(store: Store, state: ResolvedState, name: string, opts: { reason: RevokeReason; actor: string }): Promise<IssuedCertificate> {
  notHeld(state, name);
  const held = await getIssued(store, name);
  if (!held) throw new HecateError("not-found", `certificate ${name} has not been obtained yet: there is nothing to revoke`, { status: 404 });
  if (held.revoked) throw new HecateError("certificate-revoked", `certificate ${name} was already revoked at ${held.revoked.at} (${held.revoked.reason}); \`hecate cert renew ${name}\` obtains a new one`, { status: 409 });
  const ca = held.source.replace(/^acme /, "");
  const key = await store.getSecret(keyRef(name));
  if (key === undefined) throw new HecateError("secret-unresolved", `certificate ${name}: its key is missing from the store, and revoking by key needs it`);
  await trustFor(state.settings);
  const client = new acme.Client({ directoryUrl: ca, accountKey: key }) as unknown as JwkApi;
  const certificate = new X509Certificate(held.chain).raw.toString("base64url");
  try {
    await client.api.apiResourceRequest("revokeCert", { certificate, reason: REVOKE_REASONS[opts.reason] }, [200], { includeJwsKid: false });
  } catch (e) {
    const why = (e as Error).message;
    await store.audit({ actor: opts.actor, action: "certificate.revoke-failed", target: `Certificate/${name}`, detail: { reason: opts.reason, fingerprint: held.fingerprint, error: why } });
    throw new HecateError("certificate-revoke-failed", `certificate ${name}: ${ca} did not revoke it: ${why}; nothing changed, it keeps serving`, { cause: e });
  }
  await noteRevoked(store, name, opts.reason);
  await store.audit({ actor: opts.actor, action: "certificate.revoke", target: `Certificate/${name}`, detail: { reason: opts.reason, fingerprint: held.fingerprint, notAfter: held.notAfter, hosts: held.hosts, ca } });
  return (await getIssued(store, name))!;
}
