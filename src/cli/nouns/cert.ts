// The cert noun: a certificate for some hosts, from ACME, Caddy's internal CA, or imported PEM.
// Operators name one by a host too: `create cert '*.example.com' --provider letsencrypt`,
// `read cert api.example.com`.
import { UsageError } from "../../diag.js";
import { ACME_PROVIDERS, type AcmeProvider } from "../../certs/words.js";
import { certificateByHost } from "../../certs/named.js";
import { nameForHost } from "../../model/name.js";
import type { CertificateResource } from "../../model/schema.js";
import type { Flag } from "../core/define.js";
import { spec, type NounDef } from "./noun.js";
import { edit, list, looksLikeHost, prune, type Opts } from "./parse.js";

type CertSpec = CertificateResource["spec"];

const flags: Flag[] = [
  { flags: "--host <host>", description: "host name the certificate covers (repeatable)", repeatable: true },
  { flags: "--domain <host>", description: "same as --host", repeatable: true },
  { flags: "--issuer <issuer>", description: "acme, internal or imported", choices: ["acme", "internal", "imported"] },
  { flags: "--provider <ca>", description: "an ACME CA by name: issuer acme with its directory (letsencrypt, letsencrypt-staging)", choices: Object.keys(ACME_PROVIDERS) },
  { flags: "--email <email>", description: "acme: account email" },
  { flags: "--acme-ca <url>", description: "acme: directory URL (default Let's Encrypt)" },
  { flags: "--challenge <type>", description: "acme: challenge type", choices: ["http-01", "tls-alpn-01", "dns-01"] },
  { flags: "--dns-challenge", description: "acme: the same as --challenge dns-01 (Hecate obtains it through its DNS provider; implied by a wildcard host)" },
  { flags: "--certificate <ref>", description: "imported: PEM chain reference (secret:NAME, env:VAR, file:/path)" },
  { flags: "--key <ref>", description: "imported: PEM key reference (secret:NAME, env:VAR, file:/path)" },
];
const updateFlags: Flag[] = [
  { flags: "--add-host <host>", description: "add a host", repeatable: true },
  { flags: "--remove-host <host>", description: "remove a host", repeatable: true },
];

const hostsOf = (o: Opts) => [...(list(o.host) ?? []), ...(list(o.domain) ?? [])];

/** --provider and --dns-challenge in the spec's own words, refusing what contradicts them. */
function acmeWords(o: Opts): Opts {
  const out = { ...o };
  if (o.provider !== undefined) {
    if (o.issuer !== undefined && o.issuer !== "acme") throw new UsageError(`--provider ${String(o.provider)} is an ACME CA: it goes with --issuer acme, not ${String(o.issuer)}`);
    if (o.acmeCa !== undefined) throw new UsageError("give --provider or --acme-ca, not both");
    out.issuer = "acme";
    out.acmeCa = ACME_PROVIDERS[o.provider as AcmeProvider];
  }
  if (o.dnsChallenge) {
    if (o.challenge !== undefined && o.challenge !== "dns-01") throw new UsageError(`--dns-challenge and --challenge ${String(o.challenge)} contradict each other`);
    out.challenge = "dns-01";
  }
  return out;
}

function apply(s: Partial<CertSpec>, o: Opts): CertSpec {
  const next = structuredClone(s);
  const set = hostsOf(o);
  next.hosts = edit(next.hosts, set.length ? set : undefined, list(o.addHost), list(o.removeHost)) as CertSpec["hosts"];
  if (o.issuer !== undefined) next.issuer = o.issuer as CertSpec["issuer"];
  if (o.email !== undefined) next.acme = { ...next.acme, email: String(o.email) };
  if (o.acmeCa !== undefined) next.acme = { ...next.acme, ca: String(o.acmeCa) };
  if (o.challenge !== undefined) next.acme = { ...next.acme, challenge: o.challenge as "http-01" };
  if (o.certificate !== undefined) next.certificate = String(o.certificate);
  if (o.key !== undefined) next.key = String(o.key);
  return prune(next) as CertSpec;
}

export const cert: NounDef = {
  noun: "cert",
  plural: "certs",
  kind: "Certificate",
  aliases: ["certificate", "certificates"],
  summary: "a TLS certificate for some hosts",
  flags,
  updateFlags,
  /** `renew cert *.example.com`, `read cert api.example.com`: the one Certificate listing that host. */
  findOther(resources, word) {
    const certs = resources.filter((r): r is CertificateResource => r.kind === "Certificate").map((r) => ({ name: r.metadata.name, hosts: r.spec.hosts, r }));
    return certificateByHost(certs, word)?.r;
  },
  /** `create cert '*.example.com' ...`: a NAME that is a host name (and no --host) is the host, the name derived from it. */
  fromWord(word, o) {
    if (hostsOf(o).length || !looksLikeHost(word.toLowerCase())) return undefined;
    const name = nameForHost(word);
    return name ? { name, opts: { ...o, host: [word] } } : undefined;
  },
  defaultName: (o) => {
    const first = hostsOf(o)[0];
    return first === undefined ? undefined : nameForHost(first);
  },
  create(name, o, ctx) {
    const words = acmeWords(o);
    const hosts = hostsOf(words);
    if (!hosts.length) throw new UsageError(`create cert ${name} needs --host (or --domain)`);
    if (words.issuer === undefined) throw new UsageError(`create cert ${name} needs --issuer (or --provider letsencrypt)`);
    // Caddy here has no DNS provider modules: only Hecate can answer a wildcard's challenge (dns-01).
    const wild = hosts.filter((h) => h.startsWith("*."));
    if (wild.length && words.issuer === "acme" && words.challenge === undefined) {
      words.challenge = "dns-01";
      ctx.say(`${wild.join(", ")}: a wildcard is obtained by dns-01, through Hecate's DNS provider`);
    }
    return { spec: apply({}, words) };
  },
  update: (current, o) => ({ spec: apply(current.spec as CertSpec, acmeWords(o)) }),
  // Always from the store and the PEM itself: not-after and days left are what a list of certificates is for.
  live: {
    flags: [
      { flags: "--expiring-within <duration>", description: "only certificates whose not-after is within this time (e.g. 30d; expired ones too)" },
      { flags: "--expiring-soon", description: "only certificates within 30 days of not-after: the first threshold of the reconcile loop's cert.expiring warning" },
    ],
    wants: () => true,
    list: async (ctx, opts) => (await import("../commands/cert.js")).listCerts(ctx, opts),
  },
  columns: [
    { header: "NAME", get: (r) => r.metadata.name },
    { header: "HOSTS", get: (r) => spec<CertSpec>(r).hosts.join(",") },
    { header: "ISSUER", get: (r) => spec<CertSpec>(r).issuer },
  ],
  examples: {
    create: [
      "hecate create cert api --host api.example.com --issuer acme --email ops@example.com",
      "hecate create cert '*.example.com' --provider letsencrypt --dns-challenge",
      "hecate create cert legacy --host legacy.example.com --issuer imported --certificate secret:legacy-crt --key secret:legacy-key",
    ],
    update: ["hecate update cert api --add-host api2.example.com"],
  },
};
