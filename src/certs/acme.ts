// DNS-01 by Hecate itself (Debian's Caddy has no DNS provider modules): an ACME order through
// acme-client, each `_acme-challenge` TXT rrset written through the Hetzner DNS client, waited for
// with real DNS queries to the zone's authoritative servers, the order finalized, the TXT rrsets
// removed whatever happened. Returns the chain and the new key; storing them is the caller's.
import { Agent, request as httpsRequest } from "node:https";
import { rootCertificates } from "node:tls";
import { readFile } from "node:fs/promises";
import * as acme from "acme-client";
import { HecateError } from "../diag.js";
import { ACME_PROVIDERS } from "./words.js";
import type { ResolvedCertificate, ResolvedSettings } from "../model/resolved.js";
import { zoneOf } from "../model/net.js";
import type { ProviderContext } from "../providers/provider.js";
import { hetznerClient, seg, type HetznerClient } from "../providers/dns/client.js";
import { authoritativeServers } from "../providers/dns/ops.js";
import { query } from "../providers/dns/query.js";
import { relativeName, txtValue } from "../providers/dns/records.js";

/** Let's Encrypt production, as Caddy's default. */
export const DEFAULT_ACME_CA = ACME_PROVIDERS.letsencrypt;

/**
 * The label of challenge rrsets: not Hecate's ownership value, so the DNS provider never plans
 * them away mid-order; they are removed by the order that wrote them.
 */
const CHALLENGE_LABELS = { "hecate.io/managed-by": "hecate-acme" };

export interface ObtainOptions {
  /** How long to wait for every authoritative server to answer the TXT values. */
  propagationTimeoutMs?: number;
  log?: (msg: string) => void;
}

export interface Obtained {
  chain: string;
  key: string;
  ca: string;
}

/** acme-client talks through one axios instance: trust the system's roots plus Settings' acme.trustedRoots. */
export async function trustFor(settings: ResolvedSettings): Promise<Agent> {
  const extra = await Promise.all((settings.acme.trustedRoots ?? []).map((f) => readFile(f, "utf8").catch((e: Error) => {
    throw new HecateError("acme-trust", `Settings spec.acme.trustedRoots: cannot read ${f}: ${e.message}`);
  })));
  const agent = new Agent({ ca: [...rootCertificates, ...extra], keepAlive: false });
  acme.axios.defaults.httpsAgent = agent;
  return agent;
}

/**
 * One GET of the directory before the order: acme-client retries a request that got no answer
 * for over a minute and then fails with no reason at all, so an unreachable CA is told here.
 */
function reachable(ca: string, agent: Agent, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const fail = (why: string) => reject(new HecateError("acme-unreachable", `ACME server ${ca} cannot be reached: ${why}`));
    const req = httpsRequest(ca, { agent, ...(signal ? { signal } : {}) }, (res) => {
      res.resume();
      if ((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300) resolve();
      else fail(`its directory answered HTTP ${res.statusCode}`);
    });
    req.setTimeout(15_000, () => req.destroy(new Error("no answer within 15 s")));
    req.on("error", (e) => fail(e.message));
    req.end();
  });
}

/** "_acme-challenge.<base>" per authorization, its values grouped: a wildcard and its base share one name. */
function challengeNames(items: { fqdn: string; value: string }[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const i of items) out.set(i.fqdn, [...new Set([...(out.get(i.fqdn) ?? []), i.value])].sort());
  return out;
}

async function writeTxt(c: HetznerClient, fqdn: string, values: string[]): Promise<void> {
  const zone = zoneOf(fqdn)!;
  const name = relativeName(fqdn, zone);
  const records = values.map((v) => ({ value: txtValue(v) }));
  try {
    await c.write("POST", `/zones/${seg(zone)}/rrsets`, { name, type: "TXT", ttl: 60, records, labels: CHALLENGE_LABELS });
  } catch (e) {
    // Left over from an order that died before its cleanup: take it over with this order's values.
    if ((e as { status?: number }).status !== 409) throw e;
    await c.write("POST", `/zones/${seg(zone)}/rrsets/${seg(name)}/TXT/actions/set_records`, { records });
  }
}

async function removeTxt(c: HetznerClient, fqdn: string): Promise<void> {
  const zone = zoneOf(fqdn)!;
  try {
    await c.write("DELETE", `/zones/${seg(zone)}/rrsets/${seg(relativeName(fqdn, zone))}/TXT`);
  } catch (e) {
    if ((e as { status?: number }).status !== 404) throw e;
  }
}

/** Wait until every authoritative server of the zone answers exactly these TXT values. */
async function waitPropagated(settings: ResolvedSettings, ctx: ProviderContext, fqdn: string, values: string[], timeoutMs: number): Promise<void> {
  const servers = await authoritativeServers(settings, ctx, zoneOf(fqdn)!);
  const want = values.map((v) => txtValue(v)).sort().join("\n");
  const deadline = Date.now() + timeoutMs;
  for (let delay = 200; ; delay = Math.min(delay * 2, 5000)) {
    const answers = await Promise.all(servers.map((s) => query(s, fqdn, "TXT")));
    if (answers.every((a) => a.rcode === "NOERROR" && a.values.join("\n") === want)) return;
    if (Date.now() > deadline) {
      const late = answers.filter((a) => a.values.join("\n") !== want).map((a) => `${a.server} (${a.rcode}${a.values.length ? `: ${a.values.length} values` : ""})`);
      throw new HecateError("acme-dns-propagation", `TXT ${fqdn} not answered by ${late.join(", ")} after ${Math.round(timeoutMs / 1000)} s`);
    }
    await new Promise((r) => setTimeout(r, delay));
  }
}

/** Obtain a certificate for cert.hosts by DNS-01 through the Hetzner DNS client. */
export async function obtainByDns01(settings: ResolvedSettings, cert: ResolvedCertificate, ctx: ProviderContext, opts: ObtainOptions = {}): Promise<Obtained> {
  const ca = cert.acme?.ca ?? settings.acme.ca ?? DEFAULT_ACME_CA;
  const email = cert.acme?.email ?? settings.acme.email;
  const log = opts.log ?? (() => undefined);
  await reachable(ca, await trustFor(settings), ctx.signal);
  const dns = await hetznerClient(settings, ctx);
  const client = new acme.Client({ directoryUrl: ca, accountKey: await acme.crypto.createPrivateEcdsaKey() });
  const written = new Set<string>();
  try {
    await client.createAccount({ termsOfServiceAgreed: true, ...(email ? { contact: [`mailto:${email}`] } : {}) });
    const order = await client.createOrder({ identifiers: cert.hosts.map((h) => ({ type: "dns", value: h })) });
    const authzs = await client.getAuthorizations(order);
    const pending: { fqdn: string; value: string; challenge: acme.Authorization["challenges"][number] }[] = [];
    for (const a of authzs) {
      if (a.status === "valid") continue;
      const ch = a.challenges.find((c) => c.type === "dns-01");
      if (!ch) throw new HecateError("acme-challenge", `${ca} offers no dns-01 challenge for ${a.identifier.value}`);
      pending.push({ fqdn: `_acme-challenge.${a.identifier.value}`, value: await client.getChallengeKeyAuthorization(ch), challenge: ch });
    }
    const byName = challengeNames(pending);
    for (const [fqdn, values] of byName) {
      await writeTxt(dns, fqdn, values);
      written.add(fqdn);
      log(`acme: TXT ${fqdn} written`);
    }
    for (const [fqdn, values] of byName) await waitPropagated(settings, ctx, fqdn, values, opts.propagationTimeoutMs ?? 120_000);
    for (const p of pending) {
      await client.completeChallenge(p.challenge);
      await client.waitForValidStatus(p.challenge);
    }
    const [key, csr] = await acme.crypto.createCsr({ altNames: cert.hosts }, await acme.crypto.createPrivateEcdsaKey());
    const done = await client.finalizeOrder(order, csr);
    const chain = await client.getCertificate(done);
    return { chain, key: key.toString(), ca };
  } catch (e) {
    if (e instanceof HecateError) throw e;
    // acme-client's errors carry the server's problem detail; never a key or token. A request
    // that never got an answer ends, after its retries, in a TypeError about a missing response.
    const why = e instanceof TypeError && /reading 'config'/.test(e.message) ? "the ACME server stopped answering (no response after retries)" : (e as Error).message;
    throw new HecateError("acme-failed", `ACME order at ${ca} for ${cert.hosts.join(", ")} failed: ${why}`);
  } finally {
    for (const fqdn of written) {
      try {
        await removeTxt(dns, fqdn);
        log(`acme: TXT ${fqdn} removed`);
      } catch (e) {
        log(`acme: TXT ${fqdn} could not be removed: ${(e as Error).message}`);
      }
    }
  }
}
