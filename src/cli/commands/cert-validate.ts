// `hecate cert validate NAME [--check-chain] [--ca-bundle F] [--check-expiry]`: findings about a
// certificate Hecate holds (dns-01) or imported (src/certs/chain.ts), exit 1 when one is an error.
import type { CommandDef } from "../core/define.js";
import { readPem } from "./cert.js";
import { method } from "./engine.js";

export const certValidate: CommandDef = {
  name: "validate",
  args: ["<name>"],
  summary: "check a certificate Hecate holds or imported: the key is the leaf's, dates, hosts covered; with --check-chain each link and the root; exit 1 when something is broken",
  flags: [
    { flags: "--check-chain", description: "also: each certificate signed by the next, each in date, the last one a trusted root or signed by one" },
    { flags: "--ca-bundle <file>", description: "PEM roots the chain must end at (implies --check-chain; default: this machine's roots and Settings spec.acme.trustedRoots, a miss only warned)" },
    { flags: "--check-expiry", description: "also: an error when the leaf expires within 30 days (the first threshold of the cert.expiring warning)" },
  ],
  examples: ["hecate cert validate legacy --check-chain", "hecate cert validate custom.example.com --check-chain --ca-bundle corp-root.pem"],
  async run(ctx, [word], opts) {
    // A bundle named here is read here; Settings spec.acme.trustedRoots are files where the store is.
    const bundle = opts.caBundle === undefined ? undefined : String(opts.caBundle);
    const caBundle = bundle ? { pem: await readPem(bundle, "CA bundle"), from: bundle } : undefined;
    const { name, findings } = await method(await ctx.engine(), "validateCertificate")(String(word), { checkChain: Boolean(opts.checkChain), ...(caBundle ? { caBundle } : {}), checkExpiry: Boolean(opts.checkExpiry) });
    const broken = findings.some((f) => f.severity === "error");
    if (ctx.output === "json") ctx.json({ certificate: name, ok: !broken, findings });
    else {
      for (const f of findings) ctx.out(`${f.severity === "ok" ? "ok     " : f.severity === "warning" ? "warning" : "error  "} ${f.check.padEnd(6)} ${f.message}`);
      ctx.say(broken ? `certificate ${name}: broken` : `certificate ${name}: valid`);
    }
    return broken ? 1 : 0;
  },
};
