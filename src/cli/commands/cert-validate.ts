// `hecate cert validate NAME [--check-chain] [--ca-bundle F] [--check-expiry]`: findings about a
// certificate Hecate holds (dns-01) or imported (src/certs/chain.ts), exit 1 when one is an error.
import { rootCertificates } from "node:tls";
import { HecateError } from "../../diag.js";
import { obtainedByHecate } from "../../model/resolved.js";
import type { CommandDef } from "../core/define.js";
import { certs, namedCertificate, readPem } from "./cert.js";

const readRoots = (files: string[], what: string) => Promise.all(files.map((f) => readPem(f, what)));

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
    const { state, pctx, cert } = await namedCertificate(ctx, String(word));
    const name = cert.name;
    let chain: string, key: string | undefined;
    if (obtainedByHecate(cert)) {
      const { getIssued } = await certs();
      const { keyRef } = await import("../../certs/issued.js");
      const store = await ctx.store();
      const held = await getIssued(store, name);
      if (!held) throw new HecateError("not-found", `certificate ${name} has not been obtained yet: \`hecate cert renew ${name}\``, { status: 404 });
      chain = held.chain;
      key = await store.getSecret(keyRef(name));
    } else if (cert.issuer === "imported" && cert.certificate && cert.key) {
      chain = await pctx.secrets.resolve(cert.certificate);
      key = await pctx.secrets.resolve(cert.key).catch(() => undefined);
    } else {
      throw new HecateError("certificate-caddy", `certificate ${name} (issuer ${cert.issuer}${cert.acme ? `, ${cert.acme.challenge}` : ""}) is obtained by Caddy itself, which holds its chain and key: Hecate cannot check them`);
    }
    const bundle = opts.caBundle === undefined ? undefined : String(opts.caBundle);
    const trusted = state.settings.acme.trustedRoots ?? [];
    const chainCheck = bundle
      ? { roots: await readRoots([bundle], "CA bundle"), rootsFrom: bundle, strict: true }
      : opts.checkChain
        ? { roots: [...rootCertificates, ...(await readRoots(trusted, "Settings spec.acme.trustedRoots file"))], rootsFrom: `this machine's roots${trusted.length ? " and Settings spec.acme.trustedRoots" : ""}`, strict: false }
        : undefined;
    const { checkChain } = await import("../../certs/chain.js");
    const { EXPIRY_THRESHOLDS_DAYS } = await import("../../secrets/upkeep.js");
    const findings = checkChain({ chain, key, hosts: cert.hosts, ...(chainCheck ? { chainCheck } : {}), ...(opts.checkExpiry ? { expiryDays: Math.max(...EXPIRY_THRESHOLDS_DAYS) } : {}) });
    const broken = findings.some((f) => f.severity === "error");
    if (ctx.output === "json") ctx.json({ certificate: name, ok: !broken, findings });
    else {
      for (const f of findings) ctx.out(`${f.severity === "ok" ? "ok     " : f.severity === "warning" ? "warning" : "error  "} ${f.check.padEnd(6)} ${f.message}`);
      ctx.say(broken ? `certificate ${name}: broken` : `certificate ${name}: valid`);
    }
    return broken ? 1 : 0;
  },
};
