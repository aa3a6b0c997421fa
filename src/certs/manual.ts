// The certificate commands by hand (WORD: a Certificate's name or one of its hosts), as the engine
// runs them for the CLI and the API: renew (when due, missing or revoked, or at once when forced),
// revoke at the CA, validate (key, dates, hosts, chain). Nothing here answers a private key.
import { readFile } from "node:fs/promises";
import { rootCertificates } from "node:tls";
import { HecateError } from "../diag.js";
import { obtainedByHecate } from "../model/resolved.js";
import type { Engine } from "../engine/engine.js";
import type { Finding } from "./chain.js";
import { getIssued, keyRef, renewalDueAt } from "./issued.js";
import type { RevokeReason } from "./words.js";
import { certificateNamed } from "./named.js";
import { heldCertificate, renewalReason, renewCertificate, type RenewResult } from "./renew.js";

export type ManualRenewal = { renewed: false; name: string; notAfter: string; renewalDue: string } | ({ renewed: true; name: string } & RenewResult);

export async function renewByHand(engine: Engine, word: string, opts: { force?: boolean; log?: (msg: string) => void } = {}): Promise<ManualRenewal> {
  const { state, ctx } = await engine.context();
  const cert = certificateNamed(state.certificates, word);
  heldCertificate(state, cert.name);
  const reason = (await renewalReason(engine.store, cert)) ?? (opts.force ? "manual" : undefined);
  if (!reason) {
    const held = (await getIssued(engine.store, cert.name))!;
    return { renewed: false, name: cert.name, notAfter: held.notAfter, renewalDue: new Date(renewalDueAt(held)).toISOString() };
  }
  const r = await renewCertificate(engine.store, state, ctx, cert.name, { actor: engine.actor, reason, ...(opts.log ? { log: opts.log } : {}) });
  return { renewed: true, name: cert.name, ...r };
}

/** What `cert revoke` reports of the revoked certificate (public facts only). */
export interface RevokedFacts {
  name: string;
  hosts: string[];
  source: string;
  fingerprint: string;
  notAfter: string;
  revoked?: { at: string; reason: string };
}

/** `hecate cert revoke WORD --reason R`: revoked at its CA and marked; the next renewal replaces it. */
export async function revokeByHand(engine: Engine, word: string, reason: RevokeReason): Promise<RevokedFacts> {
  const { state } = await engine.context();
  const cert = certificateNamed(state.certificates, word);
  const { revokeCertificate } = await import("./revoke.js");
  const r = await revokeCertificate(engine.store, state, cert.name, { reason, actor: engine.actor });
  return { name: cert.name, hosts: r.hosts, source: r.source, fingerprint: r.fingerprint, notAfter: r.notAfter, ...(r.revoked ? { revoked: r.revoked } : {}) };
}

/** `hecate cert validate WORD`: findings about a certificate Hecate holds or imported; `caBundle`: PEM roots the chain must end at. */
export async function validateByHand(engine: Engine, word: string, opts: { checkChain?: boolean; caBundle?: { pem: string; from: string }; checkExpiry?: boolean }): Promise<{ name: string; findings: Finding[] }> {
  const { state, ctx } = await engine.context();
  const cert = certificateNamed(state.certificates, word);
  const name = cert.name;
  let chain: string, key: string | undefined;
  if (obtainedByHecate(cert)) {
    const held = await getIssued(engine.store, name);
    if (!held) throw new HecateError("not-found", `certificate ${name} has not been obtained yet: \`hecate cert renew ${name}\``, { status: 404 });
    chain = held.chain;
    key = await engine.store.getSecret(keyRef(name));
  } else if (cert.issuer === "imported" && cert.certificate && cert.key) {
    chain = await ctx.secrets.resolve(cert.certificate);
    key = await ctx.secrets.resolve(cert.key).catch(() => undefined);
  } else {
    throw new HecateError("certificate-caddy", `certificate ${name} (issuer ${cert.issuer}${cert.acme ? `, ${cert.acme.challenge}` : ""}) is obtained by Caddy itself, which holds its chain and key: Hecate cannot check them`);
  }
  const trusted = state.settings.acme.trustedRoots ?? [];
  const chainCheck = opts.caBundle
    ? { roots: [opts.caBundle.pem], rootsFrom: opts.caBundle.from, strict: true }
    : opts.checkChain
      ? { roots: [...rootCertificates, ...(await Promise.all(trusted.map((f) => readPem(f, "Settings spec.acme.trustedRoots file"))))], rootsFrom: `this machine's roots${trusted.length ? " and Settings spec.acme.trustedRoots" : ""}`, strict: false }
      : undefined;
  const { checkChain } = await import("./chain.js");
  const { EXPIRY_THRESHOLDS_DAYS } = await import("../secrets/upkeep.js");
  return { name, findings: checkChain({ chain, key, hosts: cert.hosts, ...(chainCheck ? { chainCheck } : {}), ...(opts.checkExpiry ? { expiryDays: Math.max(...EXPIRY_THRESHOLDS_DAYS) } : {}) }) };
}

/** A PEM file, or a clear error naming it. */
export async function readPem(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (e) {
    throw new HecateError("read", `cannot read the ${what} ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}
