// `hecate cert validate NAME`: what is wrong with a certificate Hecate holds or imports, as
// findings an operator can act on. Always: the key is the leaf's, the leaf is in date, it covers
// the Certificate's hosts. With the chain check: each certificate is signed by the next, each is in
// date, and the last one is (or is signed by) a trusted root. With the expiry check: not within
// the expiry warning's first threshold. Pure: the caller gathers the PEM and the roots.
import { X509Certificate, createPrivateKey } from "node:crypto";
import { covers } from "./named.js";

export interface Finding {
  check: "key" | "dates" | "hosts" | "chain" | "root" | "expiry";
  severity: "ok" | "warning" | "error";
  message: string;
}

export interface ChainInput {
  /** PEM chain, leaf first. */
  chain: string;
  /** PEM key of the leaf; undefined when it cannot be read (an error finding). */
  key?: string;
  /** The hosts the Certificate resource names. */
  hosts: readonly string[];
  now?: number;
  /** Check each link and the root. */
  chainCheck?: { roots: readonly string[]; rootsFrom: string; strict: boolean };
  /** An error when the leaf expires within this many days. */
  expiryDays?: number;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Every certificate of a PEM bundle, in order. */
export function parsePemCertificates(pem: string): X509Certificate[] {
  return (pem.match(PEM_CERT) ?? []).map((p) => new X509Certificate(p));
}

/** A certificate as findings name it: its subject CN, else its whole subject. */
function label(c: X509Certificate): string {
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(c.subject)?.[1];
  return `"${cn ?? c.subject.replace(/\n/g, ", ")}"`;
}

function sans(c: X509Certificate): string[] {
  return (c.subjectAltName ?? "").split(/,\s*/).filter((s) => s.startsWith("DNS:")).map((s) => s.slice(4));
}

const day = 86_400_000;
const iso = (d: string) => new Date(d).toISOString().replace(/\.\d+Z$/, "Z");

function dates(c: X509Certificate, now: number, role: string): Finding | undefined {
  if (now < Date.parse(c.validFrom)) return { check: "dates", severity: "error", message: `${role} ${label(c)} is not valid before ${iso(c.validFrom)}` };
  if (now > Date.parse(c.validTo)) return { check: "dates", severity: "error", message: `${role} ${label(c)} expired at ${iso(c.validTo)}` };
  return undefined;
}

function keyFinding(leaf: X509Certificate, key: string | undefined): Finding {
  if (key === undefined) return { check: "key", severity: "error", message: "the private key cannot be read" };
  try {
    if (leaf.checkPrivateKey(createPrivateKey(key))) return { check: "key", severity: "ok", message: "the private key belongs to the leaf" };
    return { check: "key", severity: "error", message: "the private key does not belong to the leaf" };
  } catch {
    return { check: "key", severity: "error", message: "the key is not a PEM private key" };
  }
}

function rootFinding(last: X509Certificate, c: NonNullable<ChainInput["chainCheck"]>): Finding {
  const roots = c.roots.flatMap(parsePemCertificates);
  const root = roots.find((r) => r.fingerprint256 === last.fingerprint256) ?? roots.find((r) => last.checkIssued(r) && last.verify(r.publicKey));
  if (root) return { check: "root", severity: "ok", message: `${root.fingerprint256 === last.fingerprint256 ? "ends at" : "signed by"} trusted root ${label(root)} (${c.rootsFrom})` };
  return {
    check: "root",
    severity: c.strict ? "error" : "warning",
    message: `${label(last)} is not a root of ${c.rootsFrom}, nor signed by one${c.strict ? "" : " (give --ca-bundle FILE to check against your CA)"}`,
  };
}

export function checkChain(i: ChainInput): Finding[] {
  const certs = parsePemCertificates(i.chain);
  const leaf = certs[0];
  if (!leaf) return [{ check: "chain", severity: "error", message: "no PEM certificate in the chain" }];
  const now = i.now ?? Date.now();
  const out: Finding[] = [keyFinding(leaf, i.key)];

  const roles = certs.map((_, n) => (n === 0 ? "leaf" : "intermediate"));
  const late = (i.chainCheck ? certs : [leaf]).flatMap((c, n) => dates(c, now, roles[n]!) ?? []);
  out.push(...(late.length ? late : [{ check: "dates" as const, severity: "ok" as const, message: `${i.chainCheck ? "every certificate is" : "the leaf is"} valid now (leaf until ${iso(leaf.validTo)})` }]));

  const names = sans(leaf);
  const uncovered = i.hosts.filter((h) => !names.some((s) => covers(s, h)));
  out.push(uncovered.length ? { check: "hosts", severity: "error", message: `the leaf (${names.join(", ") || "no DNS names"}) does not cover ${uncovered.join(", ")}` } : { check: "hosts", severity: "ok", message: `the leaf covers ${i.hosts.join(", ")}` });

  if (i.chainCheck) {
    const broken = certs.slice(0, -1).flatMap((c, n): Finding[] => {
      const next = certs[n + 1]!;
      return c.checkIssued(next) && c.verify(next.publicKey) ? [] : [{ check: "chain", severity: "error", message: `${label(c)} is not signed by the next certificate in the chain, ${label(next)}` }];
    });
    out.push(...(broken.length ? broken : [{ check: "chain" as const, severity: "ok" as const, message: certs.length > 1 ? `each of ${certs.length} certificates is signed by the next` : "a single certificate (no intermediates)" }]));
    out.push(rootFinding(certs[certs.length - 1]!, i.chainCheck));
  }

  if (i.expiryDays !== undefined) {
    const left = Math.floor((Date.parse(leaf.validTo) - now) / day);
    out.push(left <= i.expiryDays ? { check: "expiry", severity: "error", message: `the leaf expires in ${left} days (at most ${i.expiryDays} asked)` } : { check: "expiry", severity: "ok", message: `the leaf has ${left} days left` });
  }
  return out;
}
