// startAuthentikSandbox: an authentik stand-in (API v3 subset, embedded outpost, OAuth2/OpenID and SAML provider endpoints) on a loopback port.

import { serve, type ServerType } from "@hono/node-server";
import { Hono } from "hono";
import type { AddressInfo } from "node:net";
import { apiApp, KINDS } from "./api.js";
import { handleError } from "./errors.js";
import { mountFlows } from "./flow-ui.js";
import type { Ctx } from "./kind.js";
import { RequestLog, type FaultFilter, type LoggedRequest } from "./log.js";
import { mountOAuth2 } from "./oauth2.js";
import { mountOutpost } from "./outpost.js";
import { mountSaml } from "./saml.js";
import { DEFAULT_FLOWS, flowRow } from "./resources/flows.js";
import { groups as groupKind } from "./resources/groups.js";
import { seedManaged } from "./resources/mappings.js";
import { embeddedOutpost } from "./resources/outposts.js";
import { newUser } from "./resources/users.js";
import { checkSeed, loadSeed, type Seed } from "./seed.js";
import { Sessions } from "./sessions.js";
import { Store, type Obj } from "./store.js";
import { randomSecret } from "./tokens.js";
import { features } from "./version.js";

export { loadSeed, checkSeed, SeedError, type Seed, type SeedUser, type SeedGroup } from "./seed.js";
export type { LoggedRequest, FaultFilter } from "./log.js";
export { DEFAULT_VERSION } from "./version.js";

export interface AuthentikSandboxOptions {
  /** Interface to listen on; 127.0.0.1 by default. */
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** The admin API token (Authorization: Bearer <token>); belongs to user akadmin. */
  token: string;
  /** authentik version to imitate, e.g. "2024.8", "2025.10", "2026.8" (default: the client's, 2026.8.3). */
  version?: string;
  /** Users and groups: a seed object or the path of a seed YAML file. */
  seed?: Seed | string;
  /** Default list page size (authentik: 100). Also caps ?page_size=, so clients must follow pages. */
  pageSize?: number;
  /** Called with diagnostics (unsupported expressions, missing forward headers); default: none. */
  log?: (msg: string) => void;
}

export interface AuthentikSandbox {
  /** Base URL, e.g. http://127.0.0.1:34567 */
  readonly url: string;
  /** url + "/api/v3" */
  readonly apiUrl: string;
  /** Every answered request so far: method, path, status (no headers, no bodies). */
  requests(): LoggedRequest[];
  /** Request number k (1-based, counting all requests) answers 500. */
  failRequest(k: number): void;
  /** The next `count` requests matching `filter` answer 500. */
  failNext(count?: number, filter?: FaultFilter): void;
  /** A snapshot of every object as the API would show it, by kind. */
  readonly objects: Record<string, Obj[]>;
  close(): Promise<void>;
}

function applySeed(ctx: Ctx, seed: Seed): void {
  const store = ctx.store;
  const byName = new Map<string, Obj>();
  for (const g of seed.groups) {
    const row = { ...groupKind.defaults(ctx), pk: store.uuid(), name: g.name, is_superuser: g.is_superuser };
    store.groups.put(row);
    byName.set(g.name, row);
  }
  for (const g of seed.groups) {
    const row = byName.get(g.name) as Obj;
    const parents = g.parents.map((p) => String(byName.get(p)?.pk));
    if (ctx.f.groupParents) row.parents = parents;
    else row.parent = parents[0] ?? null;
  }
  for (const u of seed.users) {
    let row = store.users.find((x) => x.username === u.username);
    if (!row) {
      row = newUser(ctx, { username: u.username, name: u.name ?? u.username, email: u.email ?? "" });
      store.users.put(row);
    } else {
      if (u.name !== undefined) row.name = u.name;
      if (u.email !== undefined) row.email = u.email;
    }
    for (const name of u.groups) (byName.get(name)?.users as number[]).push(row.pk as number);
    store.credentials.set(row.pk as number, { password: u.password, staticCodes: [...(u.mfa?.static ?? [])] });
  }
}

export async function startAuthentikSandbox(opts: AuthentikSandboxOptions): Promise<AuthentikSandbox> {
  if (typeof opts.token !== "string" || opts.token.length < 8) throw new Error("authentik sandbox: token must be a string of at least 8 characters");
  const pageSize = opts.pageSize ?? 100;
  if (!Number.isInteger(pageSize) || pageSize < 1) throw new Error("authentik sandbox: pageSize must be a positive integer");
  const f = features(opts.version);
  const seed = typeof opts.seed === "string" ? loadSeed(opts.seed) : checkSeed(opts.seed ?? {});
  const log = opts.log ?? (() => {});
  let baseUrl = "";
  const ctx: Ctx = { store: new Store(f), f, baseUrl: () => baseUrl };
  const sessions = new Sessions();
  const requestLog = new RequestLog();

  // What a fresh authentik has: akadmin in "authentik Admins", the default flows, managed mappings, the self-signed key pair, the embedded outpost.
  const admins: Obj = { ...groupKind.defaults(ctx), pk: ctx.store.uuid(), name: "authentik Admins", is_superuser: true };
  ctx.store.groups.put(admins);
  const akadmin = newUser(ctx, { username: "akadmin", name: "authentik Default Admin", email: "" });
  ctx.store.users.put(akadmin);
  (admins.users as number[]).push(akadmin.pk as number);
  ctx.store.credentials.set(akadmin.pk as number, { password: randomSecret(), staticCodes: [] });
  for (const [slug, designation, title] of DEFAULT_FLOWS) ctx.store.flows.put(flowRow(ctx, slug, designation, title));
  seedManaged(ctx);
  // The bootstrap token (AUTHENTIK_BOOTSTRAP_TOKEN): akadmin's, never expiring.
  ctx.store.tokens.put({ pk: ctx.store.uuid(), identifier: "authentik-bootstrap-token", key: opts.token, intent: "api", user: akadmin.pk, description: "", expiring: false, expires: null, managed: null });
  applySeed(ctx, seed);

  let pendingIgnored: string[] = [];
  const app = new Hono();
  app.onError(handleError);
  app.use("*", async (c, next) => {
    const path = new URL(c.req.url).pathname;
    const { seq, fail } = requestLog.begin(c.req.method, path);
    pendingIgnored = [];
    if (fail) {
      requestLog.record({ seq, method: c.req.method, path, status: 500 });
      return c.json({ detail: "Injected fault (authentik sandbox)." }, 500);
    }
    await next();
    const entry: LoggedRequest = { seq, method: c.req.method, path, status: c.res.status };
    if (pendingIgnored.length) entry.ignoredFields = pendingIgnored;
    requestLog.record(entry);
  });
  app.route(
    "/api/v3",
    apiApp({
      ctx,
      list: { pageSize, maxPageSize: opts.pageSize ?? 1000 },
      onIgnored: (fields) => void (pendingIgnored = fields),
    }),
  );
  mountOutpost(app, { ctx, sessions, log });
  mountFlows(app, { ctx, sessions, log });
  mountOAuth2(app, { ctx, sessions, log });
  mountSaml(app, { ctx, sessions, log });
  app.notFound((c) => c.json({ detail: "Not found." }, 404));

  const host = opts.host ?? "127.0.0.1";
  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: host, port: opts.port ?? 0 }, () => resolve(s));
    s.once("error", reject);
  });
  const addr = server.address() as AddressInfo;
  baseUrl = `http://${host.includes(":") ? `[${host}]` : host}:${addr.port}`;
  ctx.store.outposts.put(embeddedOutpost(ctx));

  return {
    url: baseUrl,
    apiUrl: `${baseUrl}/api/v3`,
    requests: () => requestLog.list(),
    failRequest: (k) => requestLog.failRequest(k),
    failNext: (count, filter) => requestLog.failNext(count, filter),
    get objects() {
      const out: Record<string, Obj[]> = {};
      for (const [name, kind] of Object.entries(KINDS)) out[name] = kind.table(ctx).all().map((o) => kind.present(ctx, o));
      return out;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        const s = server as ServerType & { closeAllConnections?: () => void };
        s.close((err) => (err ? reject(err) : resolve()));
        s.closeAllConnections?.();
      }),
  };
}
