// TEST DOUBLE: a REST system like authentik's API (objects with server-assigned ids, paginated
// lists, one write per object) on a loopback port, and a provider for it on contract v2. It
// stands in for the system "authentik" in the order table (providers before applications, all
// before Caddy), so the engine's per-change journal, undo and ordering are exercised the way the
// real authentik provider will be. The server logs every call, and can fail or stall the k-th write.
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Diagnostic } from "../../src/diag.js";
import type { ResolvedState } from "../../src/model/resolved.js";
import type { ProviderFactory } from "../../src/engine/index.js";
import { diffKeyed } from "../../src/providers/differ.js";
import { providersFor } from "../../src/providers/index.js";
import type { Change, ChangeRecord, Provider } from "../../src/providers/provider.js";

export interface RestObject {
  pk: number;
  kind: string;
  name: string;
  spec: Record<string, unknown>;
  managed?: string;
}

export interface Call {
  method: string;
  path: string;
  /** pk the call created or addressed. */
  pk?: number;
  status: number;
  at: number;
}

/** What to do at the k-th write from now: answer 500 without doing it, or stall (before or after doing it). */
export type WriteFault = { at: number; mode: "fail" | "stall-before" | "stall-after"; onStall?: () => void };

export interface RestSystem {
  url: string;
  objects: Map<number, RestObject>;
  calls: Call[];
  /** Arm a fault at the k-th write from now (one shot). */
  arm(fault: WriteFault): void;
  /** Owned objects by "kind/name" → spec (what a user would see), ignoring ids. */
  view(): Record<string, Record<string, unknown>>;
  close(): Promise<void>;
}

const PAGE = 2; // small pages: every read follows pagination

let clock = 0;
/** One clock for every call the tests watch (REST calls and Caddy loads), so their order is total. */
export function tick(): number {
  return ++clock;
}

async function body(req: IncomingMessage): Promise<unknown> {
  let text = "";
  for await (const c of req) text += String(c);
  return text ? (JSON.parse(text) as unknown) : undefined;
}

export async function startRestSystem(): Promise<RestSystem> {
  const objects = new Map<number, RestObject>();
  const calls: Call[] = [];
  let nextPk = 100;
  let writes = 0;
  let fault: WriteFault | undefined;
  const stalled: (() => void)[] = [];
  const sys: RestSystem = {
    url: "",
    objects,
    calls,
    arm(f) {
      fault = { ...f, at: writes + f.at };
    },
    view() {
      const out: Record<string, Record<string, unknown>> = {};
      for (const o of objects.values()) if (o.managed === "hecate") out[`${o.kind}/${o.name}`] = o.spec;
      return out;
    },
    close: () =>
      new Promise((resolve) => {
        for (const s of stalled) s();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? "/", "http://x");
      const send = (status: number, value?: unknown, pk?: number) => {
        calls.push({ method: req.method ?? "", path: url.pathname, ...(pk !== undefined ? { pk } : {}), status, at: tick() });
        res.writeHead(status, { "content-type": "application/json" });
        res.end(value === undefined ? "" : JSON.stringify(value));
      };
      if (req.method === "GET" && url.pathname === "/objects/") {
        const page = Number(url.searchParams.get("page") ?? "1");
        const all = [...objects.values()].sort((a, b) => a.pk - b.pk);
        const results = all.slice((page - 1) * PAGE, page * PAGE);
        return send(200, { results, pagination: { next: page * PAGE < all.length ? page + 1 : 0 } });
      }
      const m = /^\/objects\/(?:(\d+)\/)?$/.exec(url.pathname);
      if (!m || !["POST", "PATCH", "DELETE"].includes(req.method ?? "")) return send(404, { detail: "Not found." });
      const input = (await body(req)) as Partial<RestObject> | undefined;
      const pk = m[1] ? Number(m[1]) : undefined;
      // Strict like the real API: a malformed write is a 400 naming the field.
      if (req.method === "POST" && (pk !== undefined || !input?.kind || !input.name || typeof input.spec !== "object")) return send(400, { kind: ["This field is required."] });
      if (req.method !== "POST" && (pk === undefined || !objects.has(pk))) return send(404, { detail: "Not found." }, pk);
      if (req.method === "POST" && [...objects.values()].some((o) => o.kind === input!.kind && o.name === input!.name)) {
        return send(400, { name: ["object with this name already exists."] });
      }
      writes++;
      const f = fault;
      const hit = f && writes === f.at;
      if (hit) fault = undefined;
      if (hit && f.mode === "fail") return send(500, { detail: "injected failure" }, pk);
      if (hit && f.mode === "stall-before") {
        calls.push({ method: req.method ?? "", path: url.pathname, status: 0, at: tick() });
        f.onStall?.();
        return new Promise<void>((r) => stalled.push(r)); // never answered
      }
      let done: RestObject;
      if (req.method === "POST") {
        done = { pk: nextPk++, kind: input!.kind!, name: input!.name!, spec: input!.spec!, ...(input!.managed ? { managed: input!.managed } : {}) };
        objects.set(done.pk, done);
      } else if (req.method === "PATCH") {
        done = { ...objects.get(pk!)!, spec: input?.spec ?? {} };
        objects.set(pk!, done);
      } else {
        done = objects.get(pk!)!;
        objects.delete(pk!);
      }
      if (hit && f.mode === "stall-after") {
        calls.push({ method: req.method ?? "", path: url.pathname, pk: done.pk, status: 0, at: tick() });
        f.onStall?.();
        return new Promise<void>((r) => stalled.push(r)); // done, never answered
      }
      return send(req.method === "POST" ? 201 : req.method === "DELETE" ? 204 : 200, req.method === "DELETE" ? undefined : done, done.pk);
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  sys.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return sys;
}

// ---- the provider -------------------------------------------------------------------------

type Desired = Record<string, { kind: string; name: string; spec: Record<string, unknown> }>;
interface Actual {
  objects: Desired;
  /** Server-assigned ids by "kind/name": how apply addresses what exists. */
  pks: Record<string, number>;
}

const RANK: Record<string, number> = { provider: 0, application: 1 };

async function call(base: string, method: string, path: string, value?: unknown, signal?: AbortSignal): Promise<{ status: number; body: unknown }> {
  const res = await fetch(base + path, { method, ...(value !== undefined ? { body: JSON.stringify(value), headers: { "content-type": "application/json" } } : {}), ...(signal ? { signal } : {}) });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}

function must(r: { status: number; body: unknown }, what: string): unknown {
  if (r.status >= 300) throw new Error(`${what} answered ${r.status}: ${JSON.stringify(r.body)}`);
  return r.body;
}

/** Objects of protected routes: per route an auth "provider" and an "application" naming it. */
function compileObjects(state: ResolvedState): Desired {
  const out: Desired = {};
  for (const r of state.routes) {
    if (!r.auth) continue;
    out[`provider/${r.name}`] = { kind: "provider", name: r.name, spec: { mode: "forward_single", external_host: `https://${r.hosts[0]}` } };
    out[`application/${r.name}`] = { kind: "application", name: r.name, spec: { slug: r.name, provider: r.name } };
  }
  return out;
}

export function createRestProvider(base: string): Provider<Desired, Actual> {
  const p: Provider<Desired, Actual> = {
    system: "authentik",
    compile: (state) => ({ desired: compileObjects(state), diagnostics: [] }),
    async read(ctx) {
      const actual: Actual = { objects: {}, pks: {} };
      for (let page = 1; page; ) {
        const r = must(await call(base, "GET", `/objects/?page=${page}`, undefined, ctx.signal), "list") as { results: RestObject[]; pagination: { next: number } };
        for (const o of r.results) {
          if (o.managed !== "hecate") continue; // not Hecate's: never read, never touched
          actual.objects[`${o.kind}/${o.name}`] = { kind: o.kind, name: o.name, spec: o.spec };
          actual.pks[`${o.kind}/${o.name}`] = o.pk;
        }
        page = r.pagination.next;
      }
      return actual;
    },
    diff(desired, actual) {
      const items = (objects: Desired) => Object.entries(objects).map(([id, o]) => ({ kind: o.kind, id, value: o.spec, resource: `Route/${o.name}` }));
      const { creates, updates, deletes } = diffKeyed("authentik", items(desired), items(actual.objects));
      const rank = (c: Change) => RANK[c.kind] ?? 9;
      const ups = [...creates, ...updates].sort((a, b) => rank(a) - rank(b) || a.id.localeCompare(b.id));
      return [...ups, ...deletes.sort((a, b) => rank(b) - rank(a) || a.id.localeCompare(b.id))];
    },
    async apply({ desired, actual, changes }, ctx) {
      const pks = { ...actual.pks };
      for (const c of changes) {
        const d = desired[c.id];
        let record: ChangeRecord;
        if (c.action === "create") {
          const o = must(await call(base, "POST", "/objects/", { kind: d!.kind, name: d!.name, spec: d!.spec, managed: "hecate" }, ctx.signal), `create ${c.id}`) as RestObject;
          pks[c.id] = o.pk;
          record = { change: c, ids: { pk: o.pk }, undo: { op: "delete", pk: o.pk } };
        } else if (c.action === "update") {
          must(await call(base, "PATCH", `/objects/${pks[c.id]}/`, { spec: d!.spec }, ctx.signal), `update ${c.id}`);
          record = { change: c, ids: { pk: pks[c.id]! }, undo: { op: "update", pk: pks[c.id], spec: c.before } };
        } else {
          const [kind, name] = c.id.split("/") as [string, string];
          must(await call(base, "DELETE", `/objects/${pks[c.id]}/`, undefined, ctx.signal), `delete ${c.id}`);
          record = { change: c, ids: { pk: pks[c.id]! }, undo: { op: "create", kind, name, spec: c.before } };
        }
        await ctx.report({ ...record, change: { system: c.system, action: c.action, kind: c.kind, id: c.id } });
      }
    },
    async undo(record, ctx) {
      const u = record.undo as { op: "delete" | "update" | "create"; pk?: number; kind?: string; name?: string; spec?: unknown };
      if (u.op === "delete") {
        const r = await call(base, "DELETE", `/objects/${u.pk}/`, undefined, ctx.signal);
        if (r.status !== 204 && r.status !== 404) must(r, `undo of ${record.change.id}`); // 404: already undone
      } else if (u.op === "update") must(await call(base, "PATCH", `/objects/${u.pk}/`, { spec: u.spec }, ctx.signal), `undo of ${record.change.id}`);
      else {
        const r = await call(base, "POST", "/objects/", { kind: u.kind, name: u.name, spec: u.spec, managed: "hecate" }, ctx.signal);
        if (r.status !== 201 && !(r.status === 400 && JSON.stringify(r.body).includes("already exists"))) must(r, `undo of ${record.change.id}`);
      }
    },
    async verify(desired, _records, ctx): Promise<Diagnostic[]> {
      const left = p.diff(desired, await p.read(ctx));
      return left.map((c) => ({ severity: "error", code: "verify", message: `${c.kind} ${c.id}: ${c.action} still pending` }));
    },
  };
  return p;
}

/** A provider factory: the REST double as authentik, the registry's real providers for the rest. */
export function withRest(base: string, wrap: (p: Provider) => Provider = (p) => p): ProviderFactory {
  return (state, o) => {
    const built = providersFor(state, { ...o, exclude: [...(o.exclude ?? []), "authentik", "dns"] });
    const rest = !o.systems || o.systems.includes("authentik") ? [createRestProvider(base) as Provider] : [];
    return { providers: [...rest, ...built.providers].map(wrap), diagnostics: built.diagnostics };
  };
}
