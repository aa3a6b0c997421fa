// authentik's API v3 through the official client (@goauthentik/api): one place that builds the
// clients, follows pages, counts calls, and turns authentik's error bodies ({field: [msg]},
// {detail}) into errors that name the object, the field and the reason.
import type { AdminApi, CoreApi, CryptoApi, FetchAPI, FlowsApi, OutpostsApi, PoliciesApi, PropertymappingsApi, ProvidersApi, StagesApi } from "@goauthentik/api";
import { HecateError } from "../../diag.js";
import type { ResolvedSettings } from "../../model/resolved.js";
import type { ApiUsage, ProviderContext } from "../provider.js";

export interface AkApis {
  admin: AdminApi;
  core: CoreApi;
  crypto: CryptoApi;
  flows: FlowsApi;
  outposts: OutpostsApi;
  policies: PoliciesApi;
  propertyMappings: PropertymappingsApi;
  providers: ProvidersApi;
  stages: StagesApi;
  usage: ApiUsage;
}

/** The clients for Settings spec.authentik, the token resolved from its secret reference now. */
export async function authentikApis(settings: ResolvedSettings, ctx: ProviderContext): Promise<AkApis> {
  const a = settings.authentik;
  if (!a) throw new HecateError("not-configured", "authentik needs Settings spec.authentik.url and spec.authentik.token");
  const accessToken = await ctx.secrets.resolve(a.token);
  const usage: ApiUsage = { calls: 0, reads: 0, writes: 0, limited: 0 };
  const counting: FetchAPI = async (input, init) => {
    usage.calls++;
    if ((init?.method ?? "GET") === "GET") usage.reads++;
    else usage.writes++;
    return fetch(input, { ...init, ...(ctx.signal ? { signal: ctx.signal } : {}) });
  };
  // Loaded here, not at import: the generated client is large, and only API calls need it.
  const { AdminApi, Configuration, CoreApi, CryptoApi, FlowsApi, OutpostsApi, PoliciesApi, PropertymappingsApi, ProvidersApi, StagesApi } = await import("@goauthentik/api");
  const config = new Configuration({ basePath: `${a.url.replace(/\/+$/, "")}/api/v3`, accessToken, fetchApi: counting });
  return {
    admin: new AdminApi(config),
    core: new CoreApi(config),
    crypto: new CryptoApi(config),
    flows: new FlowsApi(config),
    outposts: new OutpostsApi(config),
    policies: new PoliciesApi(config),
    propertyMappings: new PropertymappingsApi(config),
    providers: new ProvidersApi(config),
    stages: new StagesApi(config),
    usage,
  };
}

interface Page<T> {
  pagination: { next: number };
  results: T[];
}

/** Every item of a list, following pagination.next until it is 0. */
export async function listAll<T>(fetchPage: (page: number) => Promise<Page<T>>): Promise<T[]> {
  const out: T[] = [];
  for (let page = 1; page > 0; ) {
    const p = await fetchPage(page);
    out.push(...p.results);
    page = p.pagination.next > page ? p.pagination.next : 0;
  }
  return out;
}

/** authentik's answer to a failed call as one readable line: "HTTP 400: slug: Application with this slug already exists." */
export async function describeError(e: unknown): Promise<{ status?: number; text: string }> {
  // The client's ResponseError, known by its shape so this module need not load the client.
  if (e instanceof Error && e.name === "ResponseError" && (e as { response?: unknown }).response instanceof Response) {
    const res = (e as Error & { response: Response }).response;
    const status = res.status;
    let body = "";
    try {
      body = await res.text();
    } catch {
      // already read
    }
    let text = body.slice(0, 300);
    try {
      const j = JSON.parse(body) as Record<string, unknown>;
      text =
        typeof j["detail"] === "string"
          ? (j["detail"] as string)
          : Object.entries(j)
              .map(([k, v]) => `${k}: ${Array.isArray(v) ? v.map((x) => (typeof x === "string" ? x : JSON.stringify(x))).join("; ") : JSON.stringify(v)}`)
              .join(", ");
    } catch {
      // not JSON: the start of the body
    }
    return { status, text: `HTTP ${status}: ${text}${status === 403 ? " (check Settings spec.authentik.token: an API token of a user allowed to manage providers and applications)" : ""}` };
  }
  const err = e as Error & { cause?: { code?: string } };
  return { text: `${err.message}${err.cause?.code ? ` (${err.cause.code})` : ""}` };
}

/** Run one call; a failure becomes a HecateError naming what was being done. */
export async function call<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof HecateError) throw e;
    const d = await describeError(e);
    throw new HecateError("authentik-api", `authentik: ${what}: ${d.text}`, { status: d.status === 404 ? 404 : d.status && d.status < 500 ? 400 : 502 });
  }
}

export const isNotFound = (e: unknown): boolean => e instanceof HecateError && e.status === 404;
