// The DNS provider on the Hetzner Cloud API: reads every primary zone's rrsets in pages of 100,
// writes one rrset per change (waiting for each action), journals each before the next, and undoes
// a change from its record alone.
import { HecateError, type Diagnostic } from "../../diag.js";
import type { ResolvedSettings, ResolvedState } from "../../model/resolved.js";
import { changeRef, metered, type ApiUsage, type ApplyContext, type Batch, type Change, type ChangeRecord, type Provider, type ProviderContext } from "../provider.js";
import { hetznerClient, HetznerApiError, type HetznerClient, seg } from "./client.js";
import { fromApi, body, isNotFound, rrsetPath, toApi, type ApiRRSet, type ApiZone } from "./wire.js";
import { clashes, diffDns, findingsDns, hecateLabels, rrsetFields, view, type DnsActual } from "./diff.js";
import { compileDns, rrsetKey, type DnsDesired, type RRSet } from "./records.js";

/** What undo needs for one change: the rrset before (null: it did not exist) and any it displaced. */
export interface DnsUndo {
  zone: string;
  name: string;
  type: string;
  before: Omit<RRSet, "resource"> | null;
  /** Owned rrsets at the same name deleted so a CNAME could take it (or the reverse). */
  displaced?: Omit<RRSet, "resource">[];
}

export interface DnsProvider extends Provider<DnsDesired, DnsActual> {
  findings(desired: DnsDesired | undefined, actual: DnsActual): Diagnostic[];
  usage(): ApiUsage;
}

export function createDnsProvider(settings: ResolvedSettings): DnsProvider {
  const total: ApiUsage = { calls: 0, reads: 0, writes: 0, limited: 0 };
  /** Zone default TTLs from the last read: an rrset with ttl null has this one. */
  const zoneTtls = new Map<string, number>();
  const normalized = (zone: string, r: ApiRRSet) => fromApi(zone, r, zoneTtls.get(zone) ?? null);

  const withClient = <T>(ctx: ProviderContext, fn: (c: HetznerClient) => Promise<T>) => metered(total, () => hetznerClient(settings, ctx), fn);

  async function get(c: HetznerClient, r: { zone: string; name: string; type: string }): Promise<ApiRRSet | null> {
    try {
      return (await c.call<{ rrset: ApiRRSet }>("GET", rrsetPath(r))).rrset;
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
  }

  async function remove(c: HetznerClient, r: { zone: string; name: string; type: string }): Promise<void> {
    try {
      await c.write("DELETE", rrsetPath(r));
    } catch (e) {
      if (!isNotFound(e)) throw e; // already gone: undo and prune are safe twice
    }
  }

  /** Make the rrset exactly `want` (create, or set records, ttl and Hecate's labels on the existing one). */
  async function put(c: HetznerClient, want: Omit<RRSet, "resource">, now: ApiRRSet | null): Promise<void> {
    if (!now) {
      await c.write("POST", `/zones/${seg(want.zone)}/rrsets`, body(want));
      return;
    }
    const cur = normalized(want.zone, now);
    for (const f of rrsetFields(cur, want)) {
      if (f.path === "records") await c.write("POST", `${rrsetPath(want)}/actions/set_records`, { records: want.records.map((value) => ({ value })) });
      if (f.path === "ttl") await c.write("POST", `${rrsetPath(want)}/actions/change_ttl`, { ttl: want.ttl });
      if (f.path === "labels") {
        const others = Object.fromEntries(Object.entries(now.labels ?? {}).filter(([k]) => !k.startsWith("hecate.io/")));
        await c.call("PUT", rrsetPath(want), { labels: { ...others, ...hecateLabels(want.labels) } });
      }
    }
  }

  async function applyOne(c: HetznerClient, change: Change, actual: DnsActual, desired: DnsDesired, ctx: ApplyContext): Promise<void> {
    const [zone, name, type] = splitKey(change.id);
    const ref = { zone, name, type };
    const ids = { rrset: change.id };
    if (change.action === "delete") {
      const before = actual.rrsets[change.id];
      await remove(c, ref);
      await ctx.report({ change: changeRef(change), ids, undo: { ...ref, before: before ? view(before) : null } satisfies DnsUndo });
      return;
    }
    const want = desired.rrsets[change.id];
    if (!want) throw new Error(`dns: no desired rrset ${change.id} for a ${change.action}`);
    // A CNAME and other types cannot share a name: Hecate's own rrsets in the way go first.
    const displaced = Object.values(actual.rrsets).filter((a) => a.owned && a.zone === zone && a.name === name && clashes(a.type, type));
    for (const d of displaced) await remove(c, d);
    // What the plan saw: an rrset created by someone else since then makes the create fail with 409.
    const seen = actual.rrsets[change.id];
    const now: ApiRRSet | null = change.action === "update" && seen ? toApi(seen) : null;
    try {
      await put(c, view(want), now);
    } catch (e) {
      if (e instanceof HetznerApiError && e.httpStatus === 409) {
        throw new HecateError("dns-conflict", `${name === "@" ? zone : `${name}.${zone}`} ${type} was created at Hetzner by someone else since the plan; Hecate leaves it alone: plan again`, { status: 409, cause: e });
      }
      throw e;
    }
    // `before` keeps a null ttl as null: undo restores "the zone's default", not its value today.
    await ctx.report({
      change: changeRef(change),
      ids,
      undo: { ...ref, before: seen && change.action === "update" ? view(seen) : null, ...(displaced.length ? { displaced: displaced.map(view) } : {}) } satisfies DnsUndo,
    });
  }

  return {
    system: "dns",
    compile: (state: ResolvedState) => compileDns(state),

    async read(ctx) {
      return withClient(ctx, async (c) => {
        const zones = await c.listAll<ApiZone>("/zones", "zones", 50);
        const out: DnsActual = { zones: {}, rrsets: {} };
        for (const z of zones) {
          out.zones[z.name] = { id: z.id, ttl: z.ttl, mode: z.mode };
          zoneTtls.set(z.name, z.ttl);
          if (z.mode !== "primary") continue;
          for (const r of await c.listAll<ApiRRSet>(`/zones/${seg(z.name)}/rrsets`, "rrsets", 100)) {
            if (r.type === "SOA") continue;
            const s = fromApi(z.name, r, z.ttl);
            out.rrsets[rrsetKey(s)] = s;
          }
        }
        return out;
      });
    },

    diff: (desired, actual) => diffDns(desired, actual),
    findings: (desired, actual) => findingsDns(desired, actual),

    async apply(batch: Batch<DnsDesired, DnsActual>, ctx) {
      await withClient(ctx, async (c) => {
        for (const change of batch.changes) await applyOne(c, change, batch.actual, batch.desired, ctx);
      });
    },

    async undo(record: ChangeRecord, ctx) {
      const u = record.undo as DnsUndo;
      await withClient(ctx, async (c) => {
        const ref = { zone: u.zone, name: u.name, type: u.type };
        if (u.before === null) await remove(c, ref);
        else await put(c, u.before, await get(c, ref));
        for (const d of u.displaced ?? []) await put(c, d, await get(c, d));
      });
    },

    async verify(desired, records, ctx) {
      const out: Diagnostic[] = [];
      await withClient(ctx, async (c) => {
        for (const r of records) {
          const [zone, name, type] = splitKey(r.change.id);
          const now = await get(c, { zone, name, type });
          const want = desired.rrsets[r.change.id];
          const where = `${name === "@" ? zone : `${name}.${zone}`} ${type}`;
          if (!want && now && normalized(zone, now).owned) out.push({ severity: "error", code: "verify", message: `dns: ${where} is still at Hetzner after its delete` });
          if (want && !now) out.push({ severity: "error", code: "verify", message: `dns: ${where} is missing at Hetzner after the apply` });
          if (want && now) {
            const diff = rrsetFields(normalized(zone, now), want);
            if (diff.length) out.push({ severity: "error", code: "verify", message: `dns: ${where} differs at Hetzner after the apply in ${diff.map((f) => f.path).join(", ")}` });
          }
        }
      });
      return out;
    },

    usage: () => structuredClone(total),
  };
}

function splitKey(key: string): [string, string, string] {
  const i = key.indexOf("/"), j = key.lastIndexOf("/");
  return [key.slice(0, i), key.slice(i + 1, j), key.slice(j + 1)];
}

