// `hecate list certs` (what each certificate is and how long it has left), `hecate cert renew
// NAME` (a dns-01 certificate obtained again by Hecate, then loaded into Caddy) and `hecate cert
// import NAME --cert F --key F` (a PEM pair kept as store Secrets behind an imported Certificate).
import { readFile } from "node:fs/promises";
import { HecateError, UsageError } from "../../diag.js";
import { API_VERSION } from "../../model/api-version.js";
import type { CertificateResource, Resource } from "../../model/schema.js";
import type { Context } from "../core/context.js";
import type { CommandDef, Opts } from "../core/define.js";
import { addressOf, commitEdit, headResources } from "../core/state.js";
import { MESSAGE } from "./shared-flags.js";

const certs = () => import("../../certs/index.js");

export interface CertRow {
  name: string;
  hosts: string;
  issuer: string;
  notAfter: string;
  daysLeft: number | null;
  source: string;
  /** Why the last renewal failed, when it did. */
  lastError?: string;
}

/** One row per Certificate resource: held ones from the store, imported ones from their PEM, Caddy's as Caddy's. */
export async function listCertRows(ctx: Context): Promise<CertRow[]> {
  const store = await ctx.store();
  const { resources } = await headResources(store);
  const { getIssued, leafFacts } = await certs();
  const engine = await ctx.engine();
  const rows: CertRow[] = [];
  const now = Date.now();
  const days = (notAfter: string) => Math.floor((Date.parse(notAfter) - now) / 86_400_000);
  for (const r of resources.filter((x): x is CertificateResource => x.kind === "Certificate").sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1))) {
    const s = r.spec;
    const name = r.metadata.name;
    const base = { name, hosts: s.hosts.join(","), issuer: s.issuer === "acme" ? `acme ${s.acme?.challenge ?? "http-01"}` : s.issuer };
    if (s.issuer === "acme" && s.acme?.challenge === "dns-01") {
      const held = await getIssued(store, name);
      rows.push(held ? { ...base, notAfter: held.notAfter, daysLeft: days(held.notAfter), source: held.source, ...(held.lastError ? { lastError: held.lastError.message } : {}) } : { ...base, notAfter: "-", daysLeft: null, source: `not obtained yet (hecate cert renew ${name})` });
    } else if (s.issuer === "imported" && s.certificate) {
      try {
        const { ctx: pctx } = await engine.context();
        const f = leafFacts(await pctx.secrets.resolve(s.certificate));
        rows.push({ ...base, notAfter: f.notAfter, daysLeft: days(f.notAfter), source: s.certificate });
      } catch (e) {
        rows.push({ ...base, notAfter: "-", daysLeft: null, source: s.certificate, lastError: (e as Error).message });
      }
    } else rows.push({ ...base, notAfter: "-", daysLeft: null, source: "Caddy (obtains and renews it itself)" });
  }
  return rows;
}

export async function listCerts(ctx: Context): Promise<void> {
  const rows = await listCertRows(ctx);
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
    const { renewCertificate } = await certs();
    const { state, ctx: pctx } = await engine.context();
    const res = await renewCertificate(await ctx.store(), state, pctx, String(name), { actor: ctx.author, reason: "manual", log: (m) => ctx.say(m) });
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
