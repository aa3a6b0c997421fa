// Generic list/create/retrieve/update/patch/delete routes for one Kind, in authentik's shapes.

import type { Context, Hono } from "hono";
import { addError, ApiError, badRequest, notFound, type FieldErrors } from "./errors.js";
import type { Ctx, Kind } from "./kind.js";
import { genericFilter, order, paginate } from "./pagination.js";
import { openApiDoc, queryParameters } from "./schema.js";
import type { Obj } from "./store.js";
import { isUuid, knownFields, validateBody } from "./validate.js";

export interface ListOptions {
  pageSize: number;
  maxPageSize: number;
}

const PAGING = new Set(["page", "page_size", "ordering", "search"]);
/** Query parameters that shape each row of the answer (include_users=false leaves out member lists); they filter nothing. */
const SHAPING = /^include_/;

/** The JSON object of a write request, or the DRF error for what arrived instead. */
export async function readJson(c: Context): Promise<unknown> {
  const type = (c.req.header("content-type") ?? "").split(";")[0]?.trim() ?? "";
  const raw = await c.req.text();
  if (type !== "application/json") {
    if (raw === "" && type === "") return {};
    throw new ApiError(415, { detail: `Unsupported media type "${type}" in request.` });
  }
  try {
    return JSON.parse(raw === "" ? "{}" : raw) as unknown;
  } catch (err) {
    throw new ApiError(400, { detail: `JSON parse error - ${(err as Error).message}` });
  }
}

export function findRow(ctx: Ctx, kind: Kind, key: string): Obj {
  if (kind.lookup === "pk" && kind.pkType === "int" && !/^\d+$/.test(key)) throw notFound();
  if (kind.lookup === "pk" && kind.pkType === "uuid" && !isUuid(key)) throw notFound();
  const table = kind.table(ctx);
  const row = kind.lookup === "pk" ? table.get(key) : table.find((o) => o[kind.lookup] === key);
  if (!row) throw notFound();
  return row;
}

function uniqueErrors(ctx: Ctx, kind: Kind, merged: Obj, self: Obj | undefined): FieldErrors {
  const errors: FieldErrors = {};
  for (const u of kind.unique ?? []) {
    const v = merged[u.field];
    if (v === null || v === undefined) continue;
    if (kind.table(ctx).find((o) => o !== self && o[u.field] === v)) addError(errors, u.field, u.message);
  }
  return errors;
}

/** Validates and stores a create (existing undefined) or an update (partial for PATCH). */
export function write(ctx: Ctx, kind: Kind, body: unknown, existing: Obj | undefined, partial: boolean): { obj: Obj; ignored: string[] } {
  const schemaName = partial ? `Patched${kind.schema}Request` : `${kind.schema}Request`;
  const schemaErrors = validateBody(ctx.f, schemaName, body);
  if (Object.keys(schemaErrors).length) throw badRequest(schemaErrors);
  const { data: sent, ignored } = knownFields(ctx.f, schemaName, body as Obj);
  const merged: Obj = existing ? { ...existing, ...sent } : { ...kind.defaults(ctx), ...sent, pk: kind.newPk(ctx) };
  const errors: FieldErrors = { ...uniqueErrors(ctx, kind, merged, existing), ...(kind.check?.(ctx, merged, sent, existing) ?? {}) };
  if (Object.keys(errors).length) throw badRequest(errors);
  const table = kind.table(ctx);
  if (existing) {
    Object.assign(existing, merged);
    kind.afterSave?.(ctx, existing, sent);
    return { obj: existing, ignored };
  }
  table.put(merged);
  kind.afterSave?.(ctx, merged, sent);
  return { obj: merged, ignored };
}

/** The filtered, searched, ordered rows of a list request. */
export function listRows(ctx: Ctx, kind: Kind, c: Context): Obj[] {
  const declared = queryParameters(openApiDoc(), kind.path, "get");
  const queries = c.req.queries();
  let rows = kind.table(ctx).all();
  for (const [name, values] of Object.entries(queries)) {
    if (PAGING.has(name) || SHAPING.test(name) || !declared.has(name) || values.length === 0) continue; // DRF ignores undeclared filters
    const custom = kind.filters?.[name];
    const pred = custom ? custom(ctx, values) : genericFilter(name, values);
    if (pred) rows = rows.filter(pred);
  }
  const search = c.req.query("search");
  if (search) {
    const needle = search.toLowerCase();
    rows = rows.filter((o) => kind.search.some((f) => String(o[f] ?? "").toLowerCase().includes(needle)));
  }
  return order(rows, c.req.query("ordering"), kind.ordering);
}

/** Registers the kind's routes on `api` (paths relative to /api/v3). */
export function mountKind(api: Hono, ctx: Ctx, kind: Kind, list: ListOptions, onIgnored: (fields: string[]) => void): void {
  const detail = `${kind.path}:key/`;
  api.get(kind.path, (c) => {
    const rows = listRows(ctx, kind, c);
    const page = paginate(rows, c.req.query("page"), c.req.query("page_size"), list.pageSize, list.maxPageSize);
    return c.json({ pagination: page.pagination, results: page.results.map((o) => kind.present(ctx, o)), autocomplete: {} });
  });
  api.get(detail, (c) => c.json(kind.present(ctx, findRow(ctx, kind, c.req.param("key") ?? ""))));
  if (kind.readOnly) return;
  api.post(kind.path, async (c) => {
    const { obj, ignored } = write(ctx, kind, await readJson(c), undefined, false);
    onIgnored(ignored);
    return c.json(kind.present(ctx, obj), 201);
  });
  for (const method of ["put", "patch"] as const) {
    api[method](detail, async (c) => {
      const existing = findRow(ctx, kind, c.req.param("key") ?? "");
      const { obj, ignored } = write(ctx, kind, await readJson(c), existing, method === "patch");
      onIgnored(ignored);
      return c.json(kind.present(ctx, obj), 200);
    });
  }
  api.delete(detail, (c) => {
    const row = findRow(ctx, kind, c.req.param("key") ?? "");
    kind.remove?.(ctx, row);
    kind.table(ctx).delete(row.pk);
    return c.body(null, 204);
  });
}
