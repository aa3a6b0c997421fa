// `hecate cert revoke NAME --reason R`: a dns-01 certificate Hecate holds, revoked at its ACME CA
// (src/certs/revoke.ts), then replaced at once (obtained again and loaded into Caddy) unless
// --no-renew says to leave that to `hecate cert renew` or the reconcile loop.
import { HecateError } from "../../diag.js";
import { REVOKE_REASONS, type RevokeReason } from "../../certs/words.js";
import type { CommandDef } from "../core/define.js";
import { isoSecond, loadIntoCaddy } from "./cert.js";
import { method } from "./engine.js";

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
    const engine = await ctx.engine();
    const reason = opts.reason as RevokeReason;
    const r = await method(engine, "revokeCertificate")(String(word), reason);
    const name = r.name;
    const facts = { name, fingerprint: r.fingerprint, notAfter: r.notAfter, revoked: r.revoked };
    ctx.say(`certificate ${name} (${r.hosts.join(", ")}, until ${isoSecond(r.notAfter)}) revoked at ${r.source.replace(/^acme /, "")}: ${reason}`);
    if (opts.renew === false) {
      if (ctx.output === "json") ctx.json({ revoked: facts, renewed: false });
      else ctx.say(`Caddy serves it until it is replaced: \`hecate cert renew ${name}\` now, or the reconcile loop (hecate serve) on its next round`);
      return;
    }
    // Revoked, so due: the renewal obtains a new one (reason "revoked").
    let res;
    try {
      res = await method(engine, "renewCertificate")(name, { log: (m) => ctx.say(m) });
    } catch (e) {
      throw new HecateError("certificate-renew-failed", `certificate ${name} was revoked, but no new one was obtained: ${(e as Error).message}; \`hecate cert renew ${name}\` tries again (so does the reconcile loop)`, { cause: e });
    }
    if (!res.renewed) throw new HecateError("certificate-renew-failed", `certificate ${name} was revoked, but no new one was obtained; \`hecate cert renew ${name} --force\` obtains one`);
    ctx.say(`certificate ${name}: a new one until ${isoSecond(res.certificate.notAfter)}`);
    await loadIntoCaddy(ctx, engine, name, res.certificate, { revoked: facts });
  },
};
