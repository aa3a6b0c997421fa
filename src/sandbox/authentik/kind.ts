// What the generic CRUD routes need to know about one object kind (its path, key, schema, rules).

import type { FieldErrors } from "./errors.js";
import type { Obj, Store, Table } from "./store.js";
import type { VersionFeatures } from "./version.js";

/** What every handler may use: the state, the version, the sandbox's public base URL. */
export interface Ctx {
  readonly store: Store;
  readonly f: VersionFeatures;
  baseUrl(): string;
}

export interface UniqueField {
  field: string;
  /** DRF's message, e.g. "Application with this slug already exists." */
  message: string;
}

export interface Kind {
  /** The list path as in schema.yml, e.g. "/core/applications/". */
  readonly path: string;
  /** Field the detail URL names: "slug" for applications and flows, "identifier" for tokens, else "pk". */
  readonly lookup: "slug" | "identifier" | "pk";
  readonly pkType: "uuid" | "int";
  /** Component schema base name: "X" answers, "XRequest" creates/puts, "PatchedXRequest" patches. */
  readonly schema: string;
  readonly search: readonly string[];
  readonly ordering: string;
  readonly unique?: readonly UniqueField[];
  /** Only GET (and the kind's own extra routes). */
  readonly readOnly?: boolean;
  table(ctx: Ctx): Table;
  newPk(ctx: Ctx): string | number;
  /** Stored defaults for fields a create may omit. */
  defaults(ctx: Ctx): Obj;
  /** authentik's own rules on top of the schema: `sent` is the request's fields, `merged` the object after the write. */
  check?(ctx: Ctx, merged: Obj, sent: Obj, existing: Obj | undefined): FieldErrors;
  /** Fields kept elsewhere (e.g. a user's groups live on the groups); called after the row is stored. */
  afterSave?(ctx: Ctx, obj: Obj, sent: Obj): void;
  /** The API's answer for a stored row (computed and read-only fields added). */
  present(ctx: Ctx, obj: Obj): Obj;
  /** Filters that are not plain field lookups, by query parameter name. */
  readonly filters?: Record<string, (ctx: Ctx, values: string[]) => (o: Obj) => boolean>;
  /** Cascades and SET_NULLs of a delete (the row itself is removed by the caller). */
  remove?(ctx: Ctx, obj: Obj): void;
}

/** DRF's message for a related pk that does not exist. */
export const invalidPk = (v: unknown): string => `Invalid pk "${String(v)}" - object does not exist.`;

/** Adds invalidPk errors for `field` when a value (or list item) fails `exists`. */
export function checkRefs(errors: FieldErrors, field: string, value: unknown, exists: (v: unknown) => boolean): void {
  if (value === null || value === undefined) return;
  const values = Array.isArray(value) ? value : [value];
  for (const v of values) {
    if (!exists(v)) {
      (errors[field] ??= []).push(invalidPk(v));
      return;
    }
  }
}
