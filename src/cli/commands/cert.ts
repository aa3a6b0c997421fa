// `hecate list certs` (what each certificate is and how long it has left), `hecate cert renew
// NAME` (a dns-01 certificate obtained again by Hecate, then loaded into Caddy) and `hecate cert
// import NAME --cert F --key F` (a PEM pair kept as store Secrets behind an imported Certificate).
import { readFile } from "node:fs/promises";
import { HecateError, UsageError } from "../../diag.js";
import { API_VERSION } from "../../model/api-version.js";
import type { Resource } from "../../model/schema.js";
import type { Context } from "../core/context.js";
import type { CommandDef, Opts } from "../core/define.js";
import { addressOf, commitEdit } from "../core/state.js";
import { MESSAGE } from "./shared-flags.js";
import { method } from "./engine.js";

const certs = () => import("../../certs/index.js");

/** One row per Certificate resource: the engine's (through the API, the server's, which holds the PEMs). */
export async function listCerts(ctx: Context): Promise<void> {
  const rows = await method(await ctx.engine(), "certificates")();
  ctx.records(rows, [
    { header: "NAME", get: (r) => r.name },
    { header: "HOSTS", get: (r) => r.hosts },
    { header: "ISSUER", get: (r) => r.issuer },
    { header: "NOT-AFTER", get: (r) => r.notAfter.replace(/\.\d+Z$/, "Z") },
    { header: "DAYS LEFT", get: (r) => (r.daysLeft === null ? "-" : String(r.daysLeft)) },
    { header: "SOURCE", get: (r) => (r.lastError ? `${r.source} (last renewal failed: ${r.lastError})` : r.source) },
  ], "no certificates");
}

export const certRenew: CommandDef = {
  name: "renew",
  args: ["<name>"],
  summary: "obtain a dns-01 certificate again now (ACME through Hecate's DNS provider) and load it into Caddy; a failure keeps the current one serving",
  examples: ["hecate cert renew wildcard"],
  async run(ctx, [name]) {
    const engine = await ctx.engine();
    const res = await method(engine, "renewCertificate")(String(name), { log: (m) => ctx.say(m) });
    ctx.say(`certificate ${String(name)}: ${res.certificate.hosts.join(", ")} until ${res.certificate.notAfter}${res.previous ? ` (was until ${res.previous.notAfter})` : ""}`);
    const applied = await engine.apply({ systems: ["caddy"] });
    if (applied.status === "failed") throw new HecateError("apply-failed", `certificate ${String(name)} was obtained but Caddy did not take it: ${applied.steps.map((s) => s.error).filter(Boolean).join("; ")}`);
    if (ctx.output === "json") ctx.json({ certificate: { ...res.certificate, chain: undefined }, apply: applied.status });
    else ctx.say(`caddy: ${applied.status === "no-op" ? "already serving it" : "serving the new certificate"}`);
  },
};

async function readPem(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (e) {
    throw new HecateError("read", `cannot read the ${what} ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

export const certImport: CommandDef = {
  name: "import",
  args: ["<name>"],
  summary: "bring a certificate and key from PEM files: both kept as store Secrets (the key encrypted), the Certificate imported, its hosts from the certificate",
  flags: [
    { flags: "--cert <file>", description: "PEM certificate chain, leaf first" },
    { flags: "--key <file>", description: "PEM private key of the leaf" },
    MESSAGE,
  ],
  examples: ["hecate cert import legacy --cert fullchain.pem --key privkey.pem && hecate apply --yes"],
  async run(ctx, [name], opts: Opts) {
    if (opts.cert === undefined || opts.key === undefined) throw new UsageError("cert import needs --cert FILE and --key FILE");
    const { checkPair } = await certs();
    const chain = await readPem(String(opts.cert), "certificate");
    const key = await readPem(String(opts.key), "key");
    const facts = checkPair(chain, key, String(name));
    const n = String(name);
    const secret = (s: string): Resource => ({ apiVersion: API_VERSION, kind: "Secret", metadata: { name: s }, spec: { from: "store" } }) as Resource;
    const cert: Resource = { apiVersion: API_VERSION, kind: "Certificate", metadata: { name: n }, spec: { hosts: facts.hosts, issuer: "imported", certificate: `secret:${n}-certificate`, key: `secret:${n}-key` } } as Resource;
    await commitEdit(ctx, async (resources) => {
      const made = [secret(`${n}-certificate`), secret(`${n}-key`), cert];
      const keep = resources.filter((r) => !made.some((m) => addressOf(m) === addressOf(r)));
      return {
        after: [...keep, ...made],
        changed: made.map(addressOf),
        message: (opts.message as string | undefined) ?? `import certificate ${n} (${facts.hosts.join(", ")}, until ${facts.notAfter})`,
        dryRun: false,
        beforeStore: [
          async (store) => {
            await store.putSecret(`${n}-certificate`, chain);
            await store.putSecret(`${n}-key`, key);
          },
        ],
      };
    });
    ctx.say(`apply to serve it: hecate apply`);
  },
};

export const CERT_COMMANDS: CommandDef[] = [certRenew, certImport];
