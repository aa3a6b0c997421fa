// What the reconcile loop does for secrets and certificates each round, before its apply (kept
// apart from the loop itself): close grace windows that ended (the old value removed, audited; API
// tokens' old secrets too),
// rotate Secrets whose `rotateEvery` is due, and find certificates that crossed an expiry warning
// threshold (each certificate warned once per threshold, again only for a new certificate).
import { randomBytes } from "node:crypto";
import { leafFacts, listIssued } from "../certs/issued.js";
import { parseDuration } from "../model/net.js";
import type { ResolvedState } from "../model/resolved.js";
import type { CertificateResource, Resource } from "../model/schema.js";
import type { SecretResolver } from "../providers/provider.js";
import type { Store } from "../store/store.js";
import { authentikTokenSecret, rotateAuthentikToken } from "./authentik-token.js";
import { endTokenGraces } from "../server/tokens.js";
import { endGraces, lastRotatedKey, rotateStoreSecret } from "./rotate.js";

/** Days before not-after at which a certificate is reported expiring (each once). */
export const EXPIRY_THRESHOLDS_DAYS = [30, 7, 1] as const;
export const DEFAULT_GRACE = "10m";
const notifiedKey = (name: string) => `certificate.expiring.${name}`;

export interface ExpiringCertificate {
  name: string;
  hosts: string[];
  notAfter: string;
  daysLeft: number;
  /** The threshold crossed (days). */
  thresholdDays: number;
  fingerprint: string;
}

export interface UpkeepReport {
  gracesEnded: string[];
  /** API tokens whose old secret is refused from now on. */
  tokenGracesEnded: string[];
  rotated: string[];
  failed: { name: string; error: string }[];
  expiring: ExpiringCertificate[];
}

export interface UpkeepInput {
  store: Store;
  actor: string;
  /** The last applied revision's resources and state, and a resolver for their secrets. */
  resources: readonly Resource[];
  state: ResolvedState;
  secrets: SecretResolver;
  now?: number;
  thresholdsDays?: readonly number[];
}

export async function upkeep(i: UpkeepInput): Promise<UpkeepReport> {
  const now = i.now ?? Date.now();
  const report: UpkeepReport = { ...(await endAllGraces(i.store, i.actor, now)), rotated: [], failed: [], expiring: [] };
  await rotateDue(i, now, report);
  report.expiring = await expiring(i, now);
  return report;
}

/** Every grace window past its end closed: Secrets' (webhook signing secrets among them) and API tokens'. */
export async function endAllGraces(store: Store, actor: string, now = Date.now()): Promise<Pick<UpkeepReport, "gracesEnded" | "tokenGracesEnded">> {
  return { gracesEnded: await endGraces(store, actor, now), tokenGracesEnded: await endTokenGraces(store, actor, now) };
}

/** Secrets with rotateEvery: the first round only notes the time; a later one past it rotates. */
async function rotateDue(i: UpkeepInput, now: number, report: UpkeepReport): Promise<void> {
  const akToken = authentikTokenSecret(i.resources);
  for (const s of i.state.secrets) {
    if (!s.rotateEvery || s.from !== "store") continue;
    const last = await i.store.getSetting(lastRotatedKey(s.name));
    if (!last) {
      await i.store.setSetting(lastRotatedKey(s.name), new Date(now).toISOString());
      continue;
    }
    if (now < Date.parse(last) + parseDuration(s.rotateEvery)) continue;
    try {
      if (s.name === akToken) await rotateAuthentikToken(i.store, i.state, s.name, { actor: i.actor });
      else await rotateStoreSecret(i.store, s.name, randomBytes(32).toString("base64url"), { graceMs: parseDuration(s.grace ?? DEFAULT_GRACE), actor: i.actor, reason: `rotateEvery ${s.rotateEvery}`, now });
      report.rotated.push(s.name);
    } catch (e) {
      const error = (e as Error).message;
      report.failed.push({ name: s.name, error });
      await i.store.audit({ actor: i.actor, action: "secret.rotate-failed", target: `Secret/${s.name}`, detail: { reason: `rotateEvery ${s.rotateEvery}`, error } });
    }
  }
}

/** Every Certificate of `resources` whose not-after Hecate knows: the ones it holds, and imported ones. */
export async function certificateExpiries(store: Pick<Store, "getSetting">, resources: readonly Resource[], secrets: SecretResolver): Promise<Omit<ExpiringCertificate, "daysLeft" | "thresholdDays">[]> {
  const certs = resources.filter((r): r is CertificateResource => r.kind === "Certificate");
  if (!certs.length) return [];
  const names = new Set(certs.map((c) => c.metadata.name));
  const out = (await listIssued(store)).filter((c) => names.has(c.name)).map((c) => ({ name: c.name, hosts: c.hosts, notAfter: c.notAfter, fingerprint: c.fingerprint }));
  for (const c of certs) {
    if (c.spec.issuer !== "imported" || !c.spec.certificate) continue;
    try {
      const f = leafFacts(await secrets.resolve(c.spec.certificate));
      out.push({ name: c.metadata.name, hosts: f.hosts, notAfter: f.notAfter, fingerprint: f.fingerprint });
    } catch {
      // unreadable now: `hecate list certs` says why; no warning rather than a wrong one
    }
  }
  return out;
}

async function expiring(i: UpkeepInput, now: number): Promise<ExpiringCertificate[]> {
  const thresholds = [...(i.thresholdsDays ?? EXPIRY_THRESHOLDS_DAYS)].sort((a, b) => a - b);
  const out: ExpiringCertificate[] = [];
  for (const c of await certificateExpiries(i.store, i.resources, i.secrets)) {
    const daysLeft = (Date.parse(c.notAfter) - now) / 86_400_000;
    const crossed = thresholds.find((t) => daysLeft <= t);
    if (crossed === undefined) continue;
    const raw = await i.store.getSetting(notifiedKey(c.name));
    const seen = raw ? (JSON.parse(raw) as { fingerprint: string; thresholds: number[] }) : undefined;
    const already = seen && seen.fingerprint === c.fingerprint ? seen.thresholds : [];
    if (already.includes(crossed)) continue;
    await i.store.setSetting(notifiedKey(c.name), JSON.stringify({ fingerprint: c.fingerprint, thresholds: [...already, crossed] }));
    out.push({ ...c, daysLeft: Math.floor(daysLeft), thresholdDays: crossed });
  }
  return out;
}
