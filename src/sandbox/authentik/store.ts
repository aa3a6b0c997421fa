// The sandbox's state: one table per object kind, in memory, plus credentials that the API never shows.

import { randomUUID } from "node:crypto";
import type { VersionFeatures } from "./version.js";

export type Obj = Record<string, unknown>;

/** Rows keyed by the string form of their pk, in insertion order. */
export class Table {
  readonly rows = new Map<string, Obj>();
  get(pk: unknown): Obj | undefined {
    return pk === null || pk === undefined ? undefined : this.rows.get(String(pk));
  }
  put(obj: Obj): void {
    this.rows.set(String(obj.pk), obj);
  }
  delete(pk: unknown): void {
    this.rows.delete(String(pk));
  }
  all(): Obj[] {
    return [...this.rows.values()];
  }
  find(pred: (o: Obj) => boolean): Obj | undefined {
    for (const o of this.rows.values()) if (pred(o)) return o;
    return undefined;
  }
}

export type ProviderType = "proxy" | "oauth2" | "saml";

export interface Credentials {
  password: string;
  /** Unused static one-time codes (consumed on use, like authentik's static tokens). */
  staticCodes: string[];
}

export class Store {
  readonly applications = new Table();
  readonly providers: Record<ProviderType, Table> = { proxy: new Table(), oauth2: new Table(), saml: new Table() };
  readonly outposts = new Table();
  readonly groups = new Table();
  readonly users = new Table();
  /** API tokens and app passwords; `key` is the secret, shown only by view_key. */
  readonly tokens = new Table();
  readonly expressionPolicies = new Table();
  readonly policyBindings = new Table();
  readonly flows = new Table();
  readonly validateStages = new Table();
  readonly flowBindings = new Table();
  readonly scopeMappings = new Table();
  readonly samlMappings = new Table();
  readonly keypairs = new Table();
  /** Per user pk; never part of an API answer. */
  readonly credentials = new Map<number, Credentials>();
  private providerSeq = 0;
  private userSeq = 0;

  constructor(readonly features: VersionFeatures) {}

  /** Providers of every type share one integer sequence, as in authentik's Provider table. */
  nextProviderPk(): number {
    return ++this.providerSeq;
  }
  nextUserPk(): number {
    return ++this.userSeq;
  }
  uuid(): string {
    return randomUUID();
  }

  provider(pk: unknown): { type: ProviderType; obj: Obj } | undefined {
    for (const type of ["proxy", "oauth2", "saml"] as const) {
      const obj = this.providers[type].get(pk);
      if (obj) return { type, obj };
    }
    return undefined;
  }

  /** Targets a policy binding may point at: applications, flows, flow-stage bindings. */
  bindingTarget(pk: unknown): Obj | undefined {
    return this.applications.get(pk) ?? this.flows.get(pk) ?? this.flowBindings.get(pk);
  }

  /** Group pks of the user, direct memberships only. */
  directGroups(userPk: number): string[] {
    return this.groups.all().filter((g) => (g.users as number[]).includes(userPk)).map((g) => String(g.pk));
  }

  /** Parent group pks of a group, for either API shape (parents list or single parent). */
  parentsOf(group: Obj): string[] {
    if (Array.isArray(group.parents)) return group.parents as string[];
    return typeof group.parent === "string" ? [group.parent] : [];
  }

  /** The user's groups with all their ancestors (authentik's all_groups()), cycle-safe. */
  allGroups(userPk: number): Obj[] {
    const seen = new Map<string, Obj>();
    const stack = this.directGroups(userPk);
    while (stack.length) {
      const pk = stack.pop() as string;
      const g = this.groups.get(pk);
      if (!g || seen.has(pk)) continue;
      seen.set(pk, g);
      stack.push(...this.parentsOf(g));
    }
    return [...seen.values()];
  }
}
