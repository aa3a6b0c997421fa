// The cert noun: a certificate for some hosts, from ACME, Caddy's internal CA, or imported PEM.
import { UsageError } from "../../diag.js";
import type { CertificateResource } from "../../model/schema.js";
import type { Flag } from "../core/define.js";
import { spec, type NounDef } from "./noun.js";
import { edit, list, prune, type Opts } from "./parse.js";

type CertSpec = CertificateResource["spec"];

const flags: Flag[] = [
  { flags: "--host <host>", description: "host name the certificate covers (repeatable)", repeatable: true },
  { flags: "--issuer <issuer>", description: "acme, internal or imported", choices: ["acme", "internal", "imported"] },
  { flags: "--email <email>", description: "acme: account email" },
  { flags: "--acme-ca <url>", description: "acme: directory URL (default Let's Encrypt)" },
  { flags: "--challenge <type>", description: "acme: challenge type", choices: ["http-01", "tls-alpn-01", "dns-01"] },
  { flags: "--certificate <ref>", description: "imported: PEM chain reference (secret:NAME, env:VAR, file:/path)" },
  { flags: "--key <ref>", description: "imported: PEM key reference (secret:NAME, env:VAR, file:/path)" },
];
const updateFlags: Flag[] = [
  { flags: "--add-host <host>", description: "add a host", repeatable: true },
  { flags: "--remove-host <host>", description: "remove a host", repeatable: true },
];

function apply(s: Partial<CertSpec>, o: Opts): CertSpec {
  const next = structuredClone(s);
  next.hosts = edit(next.hosts, list(o.host), list(o.addHost), list(o.removeHost)) as CertSpec["hosts"];
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
  create(name, o) {
    if (o.host === undefined) throw new UsageError(`create cert ${name} needs --host`);
    if (o.issuer === undefined) throw new UsageError(`create cert ${name} needs --issuer`);
    return { spec: apply({}, o) };
  },
  update: (current, o) => ({ spec: apply(current.spec as CertSpec, o) }),
  // Always from the store and the PEM itself: not-after and days left are what a list of certificates is for.
  live: { flags: [], wants: () => true, list: async (ctx) => (await import("../commands/cert.js")).listCerts(ctx) },
  columns: [
    { header: "NAME", get: (r) => r.metadata.name },
    { header: "HOSTS", get: (r) => spec<CertSpec>(r).hosts.join(",") },
    { header: "ISSUER", get: (r) => spec<CertSpec>(r).issuer },
  ],
  examples: {
    create: [
      "hecate create cert api --host api.example.com --issuer acme --email ops@example.com",
      "hecate create cert legacy --host legacy.example.com --issuer imported --certificate secret:legacy-crt --key secret:legacy-key",
    ],
    update: ["hecate update cert api --add-host api2.example.com"],
  },
};
