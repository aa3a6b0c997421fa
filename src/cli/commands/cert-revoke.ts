// `hecate cert revoke NAME --reason R`: a dns-01 certificate Hecate holds, revoked at its ACME CA
// (src/certs/revoke.ts), then replaced at once (obtained again and loaded into Caddy) unless
// --no-renew says to leave that to `hecate cert renew` or the reconcile loop.
import { HecateError } from "../../diag.js";
import { REVOKE_REASONS, type RevokeReason } from "../../certs/words.js";
import type { CommandDef } from "../core/define.js";
import { certs, isoSecond, loadIntoCaddy, namedCertificate } from "./cert.js";

export const certRevoke: CommandDef = {
  name: "revoke",
  args: ["<name>"],
  summary: "revoke a dns-01 certificate Hecate holds at the ACME CA that issued it (signed with the certificate's own key), then obtain a new one and load it into Caddy",
  flags: [
    { flags: "--reason <reason>", description: "why, as RFC 5280 names it", choices: Object.keys(REVOKE_REASONS), default: "unspecified" },
    { flags: "--no-renew", description: "only revoke and mark it: Caddy serves the revoked certificate until `hecate cert renew NAME` or the reconcile loop's next round replaces it" },
  ],
  examples: ["hecate cert revoke wildcard --reason key-compromise", "hecate cert revoke '*.example.com' --reason superseded --no-renew"],
  async run(ctx, [word], opts) {
    const { engine, state, pctx, cert } = await namedCertificate(ctx, String(word));
    const name = cert.name;
    const reason = opts.reason as RevokeReason;
    const { revokeCertificate } = await import("../../certs/revoke.js");
    const store = await ctx.store();
    const revoked = await revokeCertificate(store, state, name, { reason, actor: ctx.author });
    const facts = { name, fingerprint: revoked.fingerprint, notAfter: revoked.notAfter, revoked: revoked.revoked };
    ctx.say(`certificate ${name} (${revoked.hosts.join(", ")}, until ${isoSecond(revoked.notAfter)}) revoked at ${revoked.source.replace(/^acme /, "")}: ${reason}`);
    if (opts.renew === false) {
      if (ctx.output === "json") ctx.json({ revoked: facts, renewed: false });
      else ctx.say(`Caddy serves it until it is replaced: \`hecate cert renew ${name}\` now, or the reconcile loop (hecate serve) on its next round`);
      return;
    }
    const { renewCertificate } = await certs();
    let res;
    try {
      res = await renewCertificate(store, state, pctx, name, { actor: ctx.author, reason: "revoked", log: (m) => ctx.say(m) });
    } catch (e) {
      throw new HecateError("certificate-renew-failed", `certificate ${name} was revoked, but no new one was obtained: ${(e as Error).message}; \`hecate cert renew ${name}\` tries again (so does the reconcile loop)`, { cause: e });
    }
    ctx.say(`certificate ${name}: a new one until ${isoSecond(res.certificate.notAfter)}`);
    await loadIntoCaddy(ctx, engine, name, res.certificate, { revoked: facts });
  },
};
