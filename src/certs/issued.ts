// Certificates Hecate holds itself (obtained by DNS-01, or imported from files): the chain and
// facts in the store's settings, the private key sealed in the store's secrets, never elsewhere.
// Caddy gets both through secret markers `certificate:NAME:chain` / `certificate:NAME:key`.
import { X509Certificate, createHash, createPrivateKey } from "node:crypto";
import { HecateError } from "../diag.js";
import type { ObtainReason } from "../model/resolved.js";
import type { Fence, Store } from "../store/store.js";

export interface IssuedCertificate {
  name: string;
  hosts: string[];
  /** "acme <directory>" or "imported". */
  source: string;
  /** PEM chain, leaf first (public). */
  chain: string;
  notBefore: string;
  notAfter: string;
  /** sha256 of the leaf (DER), hex: what tells one certificate from its renewal. */
  fingerprint: string;
  obtainedAt: string;
  /**
   * How many times this name was obtained (1 the first time; absent in certificates held before
   * generations were counted: 0). Caddy's config names it, so a plan knows the certificate it
   * is about to obtain before it exists.
   */
  generation?: number;
  /** The last renewal that failed, and why (the certificate above keeps serving). */
  lastError?: { at: string; message: string };
  /** Revoked at its CA (`hecate cert revoke`): the next renewal replaces it. */
  revoked?: { at: string; reason: string };
}

const META = (name: string) => `certificate:${name}`;
/** The secret-marker refs Caddy's compiled config holds for a held certificate. */
export const chainRef = (name: string) => `certificate:${name}:chain`;
export const keyRef = (name: string) => `certificate:${name}:key`;
const INDEX = "certificates";

/** Facts of a PEM chain's leaf; a clear error when it is not a certificate. */
export function leafFacts(chain: string): Pick<IssuedCertificate, "notBefore" | "notAfter" | "fingerprint" | "hosts"> {
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(chain);
  } catch (e) {
    throw new HecateError("certificate-invalid", `not a PEM certificate: ${(e as Error).message}`);
  }
  const hosts = (leaf.subjectAltName ?? "")
    .split(/,\s*/)
    .filter((s) => s.startsWith("DNS:"))
    .map((s) => s.slice(4).toLowerCase())
    .sort();
  return {
    notBefore: new Date(leaf.validFrom).toISOString(),
    notAfter: new Date(leaf.validTo).toISOString(),
    fingerprint: createHash("sha256").update(leaf.raw).digest("hex"),
    hosts,
  };
}

/** A PEM chain and key that belong together, with the leaf's facts; errors name the file's role, never the key. */
export function checkPair(chain: string, key: string, name: string): ReturnType<typeof leafFacts> {
  const facts = leafFacts(chain);
  let k;
  try {
    k = createPrivateKey(key);
  } catch {
    throw new HecateError("certificate-invalid", `certificate ${name}: the key file holds no PEM private key`);
  }
  if (!new X509Certificate(chain).checkPrivateKey(k)) throw new HecateError("certificate-invalid", `certificate ${name}: the key does not belong to the certificate`);
  if (!facts.hosts.length) throw new HecateError("certificate-invalid", `certificate ${name}: the certificate names no DNS hosts (subjectAltName)`);
  return facts;
}

async function names(store: Pick<Store, "getSetting">): Promise<string[]> {
  const raw = await store.getSetting(INDEX);
  return raw ? (JSON.parse(raw) as string[]) : [];
}

export async function getIssued(store: Pick<Store, "getSetting">, name: string): Promise<IssuedCertificate | undefined> {
  const raw = await store.getSetting(META(name));
  return raw ? (JSON.parse(raw) as IssuedCertificate) : undefined;
}

export async function listIssued(store: Pick<Store, "getSetting">): Promise<IssuedCertificate[]> {
  const out: IssuedCertificate[] = [];
  for (const n of await names(store)) {
    const c = await getIssued(store, n);
    if (c) out.push(c);
  }
  return out;
}

/** The generation a held certificate counts as (0 before generations were counted). */
export function generationOf(c: Pick<IssuedCertificate, "generation"> | undefined): number {
  return c?.generation ?? 0;
}

/**
 * Keep a certificate and its key (the key sealed) as the next generation of its name; the
 * previous one is replaced only now, whole. `fence`: the apply lock's, when an apply obtains it.
 */
export async function putIssued(store: IssuedStore, c: Omit<IssuedCertificate, "lastError" | "revoked" | "generation">, key: string, fence?: Fence): Promise<IssuedCertificate> {
  checkPair(c.chain, key, c.name);
  const kept: IssuedCertificate = { ...c, generation: generationOf(await getIssued(store, c.name)) + 1 };
  await keepIssued(store, kept, key, fence);
  return kept;
}

/** The store calls held certificates take. */
export type IssuedStore = Pick<Store, "getSetting" | "setSetting" | "putSecret" | "getSecret" | "deleteSecret">;

/** Write a held certificate exactly as given (an undo puts the previous one back this way). */
export async function keepIssued(store: IssuedStore, c: IssuedCertificate, key: string, fence?: Fence): Promise<void> {
  // Key first: a crash between the two leaves the old chain with a key it does not match only if
  // the chain write is lost, and the next renewal overwrites both.
  await store.putSecret(keyRef(c.name), key, fence);
  await store.setSetting(META(c.name), JSON.stringify(c));
  const all = await names(store);
  if (!all.includes(c.name)) await store.setSetting(INDEX, JSON.stringify([...all, c.name].sort()));
}

/** Forget a held certificate and its key (an undo of its first obtain). Safe to call twice. */
export async function dropIssued(store: IssuedStore, name: string, fence?: Fence): Promise<void> {
  await store.setSetting(META(name), undefined);
  const all = await names(store);
  if (all.includes(name)) await store.setSetting(INDEX, JSON.stringify(all.filter((n) => n !== name)));
  await store.deleteSecret(keyRef(name), fence);
}

async function note(store: Pick<Store, "getSetting" | "setSetting">, name: string, fact: Pick<IssuedCertificate, "lastError" | "revoked">): Promise<void> {
  const c = await getIssued(store, name);
  if (c) await store.setSetting(META(name), JSON.stringify({ ...c, ...fact }));
}

/** Say why the last renewal failed, keeping the certificate as it is. */
export const noteFailure = (store: Pick<Store, "getSetting" | "setSetting">, name: string, message: string) => note(store, name, { lastError: { at: new Date().toISOString(), message } });

/** Mark the held certificate revoked at its CA (it keeps serving until it is replaced). */
export const noteRevoked = (store: Pick<Store, "getSetting" | "setSetting">, name: string, reason: string) => note(store, name, { revoked: { at: new Date().toISOString(), reason } });

/** When two thirds of its lifetime have passed (ms since the epoch). */
export function renewalDueAt(c: Pick<IssuedCertificate, "notBefore" | "notAfter">): number {
  const from = Date.parse(c.notBefore), to = Date.parse(c.notAfter);
  return from + ((to - from) * 2) / 3;
}

/** Due for renewal: two thirds of its lifetime have passed. */
export function renewalDue(c: Pick<IssuedCertificate, "notBefore" | "notAfter">, now = Date.now()): boolean {
  return now >= renewalDueAt(c);
}

/** Pure: why a certificate for `hosts` must be obtained, given what is held under its name (undefined: it need not). */
export function obtainReason(c: { hosts: readonly string[] }, held: Pick<IssuedCertificate, "hosts" | "notBefore" | "notAfter" | "revoked"> | undefined, now = Date.now()): ObtainReason | undefined {
  if (!held) return "missing";
  if (held.revoked) return "revoked";
  if ([...held.hosts].sort().join(",") !== [...c.hosts].sort().join(",")) return "hosts";
  return renewalDue(held, now) ? "due" : undefined;
}

/** `certificate:NAME:chain|key` from the store, for the secret resolver. */
export async function resolveIssuedRef(store: Pick<Store, "getSetting" | "getSecret">, ref: string): Promise<string> {
  const m = /^certificate:(.+):(chain|key)$/.exec(ref);
  if (!m) throw new HecateError("secret-unresolved", `${ref} is not a certificate reference`);
  const name = m[1]!;
  const c = await getIssued(store, name);
  if (!c) throw new HecateError("secret-unresolved", `certificate ${name} has not been obtained yet: run \`hecate cert renew ${name}\``);
  if (m[2] === "chain") return c.chain;
  const key = await store.getSecret(keyRef(name));
  if (key === undefined) throw new HecateError("secret-unresolved", `certificate ${name}: its key is missing from the store; run \`hecate cert renew ${name}\``);
  return key;
}
