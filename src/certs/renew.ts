// Obtaining a dns-01 certificate (`hecate cert renew NAME`, and the certs provider in an apply):
// ordered by DNS-01, kept as its name's next generation (key sealed), audited without any value. A
// failure keeps the held certificate (Caddy goes on serving it) and is remembered for `hecate list certs`.
import { HecateError } from "../diag.js";
import { obtainedByHecate, type ObtainReason, type ResolvedCertificate, type ResolvedSettings, type ResolvedState } from "../model/resolved.js";
import type { ProviderContext } from "../providers/provider.js";
import type { Fence, Store } from "../store/store.js";
import { obtainByDns01, type ObtainOptions } from "./acme.js";
import { getIssued, leafFacts, noteFailure, obtainReason, putIssued, type IssuedCertificate } from "./issued.js";

/** Why a renewal happens: asked for by hand, or what renewalReason found. */
export type RenewReason = "manual" | ObtainReason;

export interface RenewResult {
  certificate: IssuedCertificate;
  previous?: { notAfter: string; fingerprint: string };
}

/** The certificate NAME of a state, if Hecate obtains it; otherwise a clear error saying who does. */
export function heldCertificate(state: ResolvedState, name: string): ResolvedCertificate {
  const c = state.certificates.find((x) => x.name === name);
  if (!c) throw new HecateError("not-found", `no Certificate named "${name}"`, { status: 404 });
  if (c.issuer === "imported") throw new HecateError("certificate-imported", `certificate ${name} is imported: bring a new one with \`hecate cert import ${name} --cert FILE --key FILE\``);
  if (!obtainedByHecate(c)) throw new HecateError("certificate-caddy", `certificate ${name} (issuer ${c.issuer}${c.acme ? `, ${c.acme.challenge}` : ""}) is obtained and renewed by Caddy itself; Hecate renews only dns-01 certificates`);
  return c;
}

export async function renewCertificate(
  store: Store,
  state: ResolvedState,
  ctx: ProviderContext,
  name: string,
  opts: ObtainOptions & { actor: string; reason: RenewReason },
): Promise<RenewResult> {
  return obtainCertificate(store, state.settings, heldCertificate(state, name), ctx, opts);
}

/**
 * Obtain `cert` by DNS-01 and keep it as its name's next generation, audited without any value.
 * A failure stores nothing new (the held certificate keeps serving), is remembered for `hecate
 * list certs` and audited, and throws with the ACME server's reason.
 */
export async function obtainCertificate(
  store: Store,
  settings: ResolvedSettings,
  cert: ResolvedCertificate,
  ctx: ProviderContext,
  opts: ObtainOptions & { actor: string; reason: RenewReason; fence?: Fence },
): Promise<RenewResult> {
  const name = cert.name;
  const before = await getIssued(store, name);
  let obtained;
  try {
    obtained = await obtainByDns01(settings, cert, ctx, opts);
  } catch (e) {
    const why = (e as Error).message;
    await noteFailure(store, name, why);
    await store.audit({ actor: opts.actor, action: "certificate.renew-failed", target: `Certificate/${name}`, detail: { reason: opts.reason, error: why } });
    const keeps = before ? `; the current certificate (until ${before.notAfter}) keeps serving` : "";
    throw new HecateError("certificate-renew-failed", `certificate ${name}: ${why}${keeps}`, { cause: e });
  }
  // An apply that timed out or lost its lock has already begun putting things back: keep nothing.
  if (ctx.signal?.aborted) throw new HecateError("aborted", `certificate ${name}: obtained after the apply was stopped (${String(ctx.signal.reason ?? "aborted")}); not kept`);
  const facts = leafFacts(obtained.chain);
  const c = await putIssued(
    store,
    { name, hosts: facts.hosts, source: `acme ${obtained.ca}`, chain: obtained.chain, notBefore: facts.notBefore, notAfter: facts.notAfter, fingerprint: facts.fingerprint, obtainedAt: new Date().toISOString() },
    obtained.key,
    opts.fence,
  );
  await store.audit({ actor: opts.actor, action: "certificate.renew", target: `Certificate/${name}`, detail: { reason: opts.reason, notAfter: c.notAfter, fingerprint: c.fingerprint, hosts: c.hosts, generation: c.generation } });
  return { certificate: c, ...(before ? { previous: { notAfter: before.notAfter, fingerprint: before.fingerprint } } : {}) };
}

/** Why a Hecate-held certificate needs obtaining now, or undefined when it does not. */
export async function renewalReason(store: Pick<Store, "getSetting">, c: ResolvedCertificate, now = Date.now()): Promise<ObtainReason | undefined> {
  if (!obtainedByHecate(c)) return undefined;
  return obtainReason(c, await getIssued(store, c.name), now);
}
