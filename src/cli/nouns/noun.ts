// What a noun is to the CLI: its kind, its flags, how flags become (or change) a spec, and its
// list columns. The verbs (commands/create.ts, update.ts, ...) are generic over these.
import type { Kind, Resource } from "../../model/schema.js";
import type { Store } from "../../store/store.js";
import type { Context } from "../core/context.js";
import type { Flag } from "../core/define.js";
import type { Column } from "../core/output.js";
import type { Opts } from "./parse.js";

export interface Built {
  spec: unknown;
  /** Runs after validation, before the revision is stored (e.g. store a secret value). */
  beforeStore?: (store: Store) => Promise<void>;
}

export interface NounDef {
  noun: string;
  plural: string;
  kind: Kind;
  /** Other words accepted for the noun (singular or plural). */
  aliases: string[];
  summary: string;
  /** Flags of both create and update; on update they replace the field. */
  flags: Flag[];
  /** Only on update: --add-*, --remove-*, --no-*. */
  updateFlags: Flag[];
  /** `resources` is the current desired state (to tell a reference from a literal). */
  create(name: string, opts: Opts, ctx: Context, resources: readonly Resource[]): Promise<Built> | Built;
  update(current: Resource, opts: Opts, ctx: Context, resources: readonly Resource[]): Promise<Built> | Built;
  /** Another way to name an existing resource when no resource has that name (a route: a host). */
  findOther?(resources: readonly Resource[], word: string): Resource | undefined;
  /** NAME given as something else (a cert: a host name), as the resource name and the flags it stands for. */
  fromWord?(word: string, opts: Opts): { name: string; opts: Opts } | undefined;
  /** A name derived from the flags when none is given (a route: its first host). */
  defaultName?(opts: Opts): string | undefined;
  columns: Column<Resource>[];
  examples: { create: string[]; update: string[] };
  /** `list` of what the system itself holds, when one of these flags is given (dns: --zone). */
  live?: { flags: Flag[]; wants(opts: Opts): boolean; list(ctx: Context, opts: Opts): Promise<void> };
}

/** Typed access to a resource's spec for list columns. */
export function spec<T = Record<string, unknown>>(r: Resource): T {
  return r.spec as T;
}

/** "a route", "an upstream", "an auth-policy". */
export function article(word: string): string {
  return /^[aeiou]/.test(word) ? "an" : "a";
}
