// The sandbox Hetzner Cloud DNS API (/v1 zones, rrsets, actions) as a Hono app over the store, with auth and rate limits.
import { Hono, type Context } from "hono";
import type { Actions } from "./actions.js";
import * as bodies from "./bodies.js";
import { ApiError, invalidField } from "./errors.js";
import type { Faults } from "./faults.js";
import { matches, parseSelector } from "./labels.js";
import type { RateLimiter } from "./ratelimit.js";
import type { RequestLog } from "./requestlog.js";
import type { HetznerStore, RRSet, Zone } from "./store.js";
import type { RRSetType } from "./values.js";
import { parseZonefile, renderZonefile } from "./zonefile.js";

export interface ApiDeps {
  store: HetznerStore;
  actions: Actions;
  limiter: RateLimiter;
  faults: Faults;
  log: RequestLog;
  /** Constant-time check of a bearer token. */
  tokenMatches: (token: string) => boolean;
}

const ZONES_MAX_PER_PAGE = 50;
const RRSETS_MAX_PER_PAGE = 100;

function errorJson(c: Context, err: ApiError): Response {
  return c.json(err.toBody(), err.status as 400);
}

function bearer(c: Context): string | null {
  const m = /^Bearer (\S+)$/.exec(c.req.header("authorization") ?? "");
  return m ? m[1]! : null;
}

/** One page of a list and its meta.pagination, as the real API shapes it. */
function paginate<T>(c: Context, items: T[], max: number): { items: T[]; meta: { pagination: Record<string, number | null> } } {
  const { page, perPage } = bodies.paging(c.req.query("page"), c.req.query("per_page"), max);
  const last = Math.max(1, Math.ceil(items.length / perPage));
  return {
    items: items.slice((page - 1) * perPage, page * perPage),
    meta: {
      pagination: {
        page,
        per_page: perPage,
        previous_page: page > 1 ? Math.min(page - 1, last) : null,
        next_page: page < last ? page + 1 : null,
        last_page: last,
        total_entries: items.length,
      },
    },
  };
}

function selectorOf(c: Context): (labels: Record<string, string>) => boolean {
  const raw = c.req.query("label_selector");
  if (raw === undefined) return () => true;
  const sel = parseSelector(raw);
  return (labels) => matches(sel, labels);
}

// Route params are always there on the routes that use this; the generic Context just cannot know it.
const param = (c: Context, k: string): string => c.req.param(k) ?? "";

async function jsonBody(c: Context): Promise<bodies.Body> {
  return bodies.parseBody(await c.req.text());
}

export function hetznerApi(deps: ApiDeps): Hono {
  const { store, actions, limiter, faults, log } = deps;
  const app = new Hono();

  app.onError((err, c) => {
    if (err instanceof ApiError) return errorJson(c, err);
    // A bug in the sandbox is still an API-shaped error, so clients see what they would see from a 500.
    return errorJson(c, new ApiError(500, "server_error", `sandbox error: ${err.message}`));
  });
  app.notFound((c) => errorJson(c, new ApiError(404, "not_found", `no route for ${c.req.method} ${c.req.path}`)));

  // Log, authenticate, rate-limit and fault-inject every /v1 request, in that order.
  app.use("/v1/*", async (c, next) => {
    const n = log.next();
    const time = new Date().toISOString();
    const token = bearer(c);
    const valid = token !== null && deps.tokenMatches(token);
    // Unauthenticated requests share one bucket, so random tokens cannot grow the limiter without bound.
    const rate = limiter.take(valid ? "project" : "anonymous");
    if (!valid) c.res = errorJson(c, new ApiError(401, "unauthorized", "missing or invalid bearer token"));
    else if (!rate.allowed) c.res = errorJson(c, new ApiError(429, "rate_limit_exceeded", "rate limit exceeded; retry after RateLimit-Reset"));
    else {
      try {
        faults.check(n);
        await next();
      } catch (e) {
        if (!(e instanceof ApiError)) throw e;
        c.res = errorJson(c, e);
      }
    }
    c.res.headers.set("RateLimit-Limit", String(rate.limit));
    c.res.headers.set("RateLimit-Remaining", String(rate.remaining));
    c.res.headers.set("RateLimit-Reset", String(rate.reset));
    const url = new URL(c.req.url);
    log.add({ n, method: c.req.method, path: url.pathname, query: url.search.slice(1), status: c.res.status, time, write: !["GET", "HEAD"].includes(c.req.method) });
  });

  app.get("/__sandbox/requests", (c) => {
    const token = bearer(c);
    if (token === null || !deps.tokenMatches(token)) return errorJson(c, new ApiError(401, "unauthorized", "missing or invalid bearer token"));
    return c.json({ requests: log.all() });
  });

  // ---- actions (before /zones/:zone, which would otherwise take "actions" as a zone name)

  const listActions = (c: Context, only?: number): Response => {
    const ids = c.req.queries("id");
    const status = c.req.query("status");
    if (status !== undefined && !["running", "success", "error"].includes(status)) throw invalidField("status", "must be running, success or error");
    const list = actions
      .list()
      .filter((a) => only === undefined || a.resources.some((r) => r.id === only))
      .filter((a) => !ids || ids.includes(String(a.id)))
      .filter((a) => status === undefined || a.status === status);
    const { items, meta } = paginate(c, list, ZONES_MAX_PER_PAGE);
    return c.json({ actions: items, meta });
  };
  app.get("/v1/zones/actions", (c) => listActions(c));
  app.get("/v1/zones/actions/:id", (c) => c.json({ action: actions.get(c.req.param("id")) }));

  // ---- zones

  app.get("/v1/zones", (c) => {
    const name = c.req.query("name");
    const mode = c.req.query("mode");
    if (mode !== undefined && mode !== "primary" && mode !== "secondary") throw invalidField("mode", "must be primary or secondary");
    const sel = selectorOf(c);
    const list = store.listZones().filter((z) => (name === undefined || z.name === name) && (mode === undefined || z.mode === mode) && sel(z.labels));
    const { items, meta } = paginate(c, list, ZONES_MAX_PER_PAGE);
    return c.json({ zones: items, meta });
  });

  app.post("/v1/zones", async (c) => {
    const input = bodies.zoneCreate(await jsonBody(c));
    const imported = input.zonefile === undefined ? undefined : parseZonefile(input.zonefile, input);
    let zone: Zone | undefined;
    const action = actions.run("create_zone", () => {
      zone = store.createZone(input);
      if (imported) store.replaceRrsets(zone.id, imported);
      return zone.id;
    });
    return c.json({ zone: store.zone(zone!.id), action }, 201);
  });

  app.get("/v1/zones/:zone", (c) => c.json({ zone: store.zone(c.req.param("zone")) }));

  app.put("/v1/zones/:zone", async (c) => {
    const id = store.zoneId(c.req.param("zone"));
    const labels = bodies.labelsOnly(await jsonBody(c));
    actions.assertUnlocked(id);
    return c.json({ zone: store.setZoneLabels(id, labels) });
  });

  app.delete("/v1/zones/:zone", (c) => {
    const id = store.zoneId(c.req.param("zone"));
    return c.json({ action: actions.run("delete_zone", () => (store.deleteZone(id), id), id) }, 201);
  });

  app.get("/v1/zones/:zone/zonefile", (c) => {
    const zone = store.zone(c.req.param("zone"));
    return c.json({ zonefile: renderZonefile(zone, store.listRrsets(zone.id)) });
  });

  app.get("/v1/zones/:zone/actions", (c) => listActions(c, store.zoneId(c.req.param("zone"))));

  app.post("/v1/zones/:zone/actions/change_ttl", async (c) => {
    const zone = store.zone(c.req.param("zone"));
    const ttl = bodies.ttlChange(await jsonBody(c), false) as number;
    return c.json({ action: actions.run("change_zone_ttl", () => (store.setZoneTtl(zone.id, ttl), zone.id), zone.id) }, 201);
  });
  app.post("/v1/zones/:zone/actions/change_protection", async (c) => {
    const zone = store.zone(c.req.param("zone"));
    const del = bodies.protectionChange(await jsonBody(c), "delete");
    return c.json({ action: actions.run("change_zone_protection", () => (store.setZoneProtection(zone.id, del), zone.id), zone.id) }, 201);
  });
  app.post("/v1/zones/:zone/actions/import_zonefile", async (c) => {
    const zone = store.zone(c.req.param("zone"));
    if (zone.mode !== "primary") throw new ApiError(422, "incorrect_zone_mode", `zone ${zone.name} is a secondary zone`);
    const rrsets = parseZonefile(bodies.zonefileImport(await jsonBody(c)), zone);
    return c.json({ action: actions.run("import_zonefile", () => (store.replaceRrsets(zone.id, rrsets), zone.id), zone.id) }, 201);
  });

  // ---- rrsets

  app.get("/v1/zones/:zone/rrsets", (c) => {
    const zone = store.zone(c.req.param("zone"));
    const name = c.req.query("name");
    const types = c.req.queries("type");
    for (const t of types ?? []) {
      const p = bodies.typeProblem(t);
      if (p) throw invalidField("type", p);
    }
    const sel = selectorOf(c);
    const list = store.listRrsets(zone.id).filter((r) => (name === undefined || r.name === name) && (!types || types.includes(r.type)) && sel(r.labels));
    const { items, meta } = paginate(c, list, RRSETS_MAX_PER_PAGE);
    return c.json({ rrsets: items, meta });
  });

  app.post("/v1/zones/:zone/rrsets", async (c) => {
    const zone = store.zone(c.req.param("zone"));
    const input = bodies.rrsetCreate(await jsonBody(c), zone.name);
    let rrset: RRSet | undefined;
    const action = actions.run("create_rrset", () => ((rrset = store.createRrset(zone.id, input)), zone.id), zone.id);
    return c.json({ rrset: rrset!, action }, 201);
  });

  /** The zone and checked rrset type of a /rrsets/:name/:type path. */
  const rrsetRef = (c: Context) => {
    const zone = store.zone(param(c, "zone"));
    const name = param(c, "name");
    return { zone, name, type: bodies.rrsetPath(name, param(c, "type"), zone.name) };
  };

  app.get("/v1/zones/:zone/rrsets/:name/:type", (c) => {
    const { zone, name, type } = rrsetRef(c);
    return c.json({ rrset: store.rrset(zone.id, name, type) });
  });

  app.put("/v1/zones/:zone/rrsets/:name/:type", async (c) => {
    const { zone, name, type } = rrsetRef(c);
    const labels = bodies.labelsOnly(await jsonBody(c));
    store.rrset(zone.id, name, type);
    actions.assertUnlocked(zone.id);
    return c.json({ rrset: store.setRrsetLabels(zone.id, name, type, labels) });
  });

  app.delete("/v1/zones/:zone/rrsets/:name/:type", (c) => {
    const { zone, name, type } = rrsetRef(c);
    store.rrset(zone.id, name, type);
    return c.json({ action: actions.run("delete_rrset", () => (store.deleteRrset(zone.id, name, type), zone.id), zone.id) }, 201);
  });

  const rrsetAction = (command: string, apply: (zone: Zone, name: string, type: RRSetType, body: bodies.Body) => () => void, mustExist = true) =>
    async (c: Context): Promise<Response> => {
      const { zone, name, type } = rrsetRef(c);
      if (mustExist) store.rrset(zone.id, name, type);
      const body = await jsonBody(c);
      const write = apply(zone, name, type, body);
      return c.json({ action: actions.run(command, () => (write(), zone.id), zone.id) }, 201);
    };

  app.post("/v1/zones/:zone/rrsets/:name/:type/actions/set_records", rrsetAction("set_rrset_records", (z, n, t, b) => {
    const { records } = bodies.recordsChange(b, t, "set");
    return () => store.setRecords(z.id, n, t, records);
  }));
  app.post("/v1/zones/:zone/rrsets/:name/:type/actions/add_records", rrsetAction("add_rrset_records", (z, n, t, b) => {
    const { records, ttl } = bodies.recordsChange(b, t, "add");
    return () => store.addRecords(z.id, n, t, records, ttl);
  }, false));
  app.post("/v1/zones/:zone/rrsets/:name/:type/actions/remove_records", rrsetAction("remove_rrset_records", (z, n, t, b) => {
    const { records } = bodies.recordsChange(b, t, "remove");
    return () => store.removeRecords(z.id, n, t, records.map((r) => r.value));
  }));
  app.post("/v1/zones/:zone/rrsets/:name/:type/actions/change_ttl", rrsetAction("change_rrset_ttl", (z, n, t, b) => {
    const ttl = bodies.ttlChange(b, true);
    return () => store.setRrsetTtl(z.id, n, t, ttl);
  }));
  app.post("/v1/zones/:zone/rrsets/:name/:type/actions/change_protection", rrsetAction("change_rrset_protection", (z, n, t, b) => {
    const change = bodies.protectionChange(b, "change");
    return () => store.setRrsetProtection(z.id, n, t, change);
  }));

  return app;
}
