// `hecate cert renew WORD` by hand (WORD: a Certificate's name or one of its hosts): obtained again
// when it is due, missing or revoked, or at once when forced; otherwise when it will be due.
import type { Engine } from "../engine/engine.js";
import { getIssued, renewalDueAt } from "./issued.js";
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
