// authentik's list answers: filters, search and ordering over rows, then one page of results.

import { ApiError } from "./errors.js";
import type { Obj } from "./store.js";

export interface Pagination {
  next: number;
  previous: number;
  count: number;
  current: number;
  total_pages: number;
  start_index: number;
  end_index: number;
}

/** One page of `rows` (1-based `page`); pages past the end are 404 "Invalid page.", as in DRF. */
export function paginate<T>(rows: T[], pageParam: string | undefined, sizeParam: string | undefined, pageSize: number, maxPageSize: number): { pagination: Pagination; results: T[] } {
  let size = pageSize;
  if (sizeParam !== undefined) {
    const n = Number(sizeParam);
    if (Number.isInteger(n) && n > 0) size = Math.min(n, maxPageSize);
  }
  const totalPages = Math.max(1, Math.ceil(rows.length / size));
  let page = 1;
  if (pageParam !== undefined && pageParam !== "") {
    page = pageParam === "last" ? totalPages : Number(pageParam);
    if (!Number.isInteger(page) || page < 1 || page > totalPages) throw new ApiError(404, { detail: "Invalid page." });
  }
  const start = (page - 1) * size;
  const results = rows.slice(start, start + size);
  return {
    pagination: {
      next: page < totalPages ? page + 1 : 0,
      previous: page > 1 ? page - 1 : 0,
      count: rows.length,
      current: page,
      total_pages: totalPages,
      start_index: results.length ? start + 1 : 0,
      end_index: results.length ? start + results.length : 0,
    },
    results,
  };
}

/** Value compared by filters: strings as-is, booleans/numbers as their JSON text. */
function text(v: unknown): string {
  return v === null || v === undefined ? "" : typeof v === "string" ? v : JSON.stringify(v);
}

/** A generic django-filter lookup on a direct field (`x`, `x__iexact`, `x__icontains`, `x__startswith`, `x__isnull`). Undefined when it does not apply. */
export function genericFilter(param: string, values: string[]): ((o: Obj) => boolean) | undefined {
  const [field, lookup] = param.split("__", 2) as [string, string | undefined];
  if (param.split("__").length > 2) return undefined;
  const value = values[values.length - 1] ?? "";
  switch (lookup) {
    case undefined:
      return (o) => (Array.isArray(o[field]) ? (o[field] as unknown[]).map(text).includes(value) : text(o[field]) === value);
    case "iexact":
      return (o) => text(o[field]).toLowerCase() === value.toLowerCase();
    case "icontains":
      return (o) => text(o[field]).toLowerCase().includes(value.toLowerCase());
    case "startswith":
      return (o) => text(o[field]).startsWith(value);
    case "isnull": {
      const want = value === "true" || value === "True" || value === "1";
      return (o) => {
        const v = o[field];
        const isNull = v === null || v === undefined || (Array.isArray(v) && v.length === 0);
        return isNull === want;
      };
    }
    default:
      return undefined;
  }
}

/** Sorts by DRF's `ordering` (comma list, "-" for descending); unknown fields are ignored. */
export function order(rows: Obj[], ordering: string | undefined, fallback: string): Obj[] {
  const keys = (ordering || fallback).split(",").map((k) => k.trim()).filter(Boolean);
  const cmp = (a: unknown, b: unknown): number =>
    typeof a === "number" && typeof b === "number" ? a - b : text(a).localeCompare(text(b));
  return [...rows].sort((x, y) => {
    for (const k of keys) {
      const desc = k.startsWith("-");
      const f = desc ? k.slice(1) : k;
      const c = cmp(x[f], y[f]);
      if (c !== 0) return desc ? -c : c;
    }
    return 0;
  });
}
