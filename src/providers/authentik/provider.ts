// The authentik provider: reads the objects Hecate owns (by name prefix, publisher and group
// attribute), diffs them by name, and applies one REST call per change in dependency order,
// journaling each object's server-assigned id before the next, so undo finds it by that id.
// Types only: the generated client (hundreds of modules) loads when an API call is first made.
import type { Application, OAuth2Provider, PolicyBinding, PolicyEngineMode, ProxyMode, ProxyProvider, SAMLProvider } from "@goauthentik/api";
import { HecateError, type Diagnostic } from "../../diag.js";
import { isSecretMarker, REDACTED_MARKER, secretMarker, type SecretMarker } from "../../secret.js";
import type { ResolvedSettings, ResolvedState } from "../../model/resolved.js";
import { diffKeyed, type KeyedItem } from "../differ.js";
import { changeRef, metered, type ApiUsage, type ApplyContext, type Batch, type Change, type ChangeRecord, type Provider, type ProviderContext } from "../provider.js";
import { authentikApis, call, isNotFound, listAll, type AkApis } from "./api.js";
import {
  bindingKey,
  compileAuthentik,
  emptyDesired,
  GROUP_MARK,
  PREFIX,
  PUBLISHER,
  SECRET_NOTE,
  type AkApplication,
  type AkBinding,
  type AkDesired,
  type AkFlow,
  type AkFlowBinding,
  type AkOidcProvider,
  type AkPolicy,
  type AkProvider,
  type AkSamlProvider,
  type AkStage,
} from "./desired.js";

const EMBEDDED = "goauthentik.io/outposts/embedded";

/** Whether authentik `version` ("2024.8.3") is at least year.month. Unknown versions count as current. */
export function since(version: string, year: number, month: number): boolean {
  const m = /^(\d{4})\.(\d{1,2})/.exec(version);
  if (!m) return true;
  const [y, mo] = [Number(m[1]), Number(m[2])];
  return y > year || (y === year && mo >= month);
}
/** Providers have an invalidation flow (required) since 2024.10; before, the field does not exist. */
const hasInvalidationFlow = (version: string) => since(version, 2024, 10);

/** What authentik holds of Hecate's, by name, with the ids authentik gave each object. */
export interface AkActual {
  version: string;
  /** Flow slug → uuid (all flows). */
  flows: Record<string, string>;
  /** Username → pk, for the users the policies name that exist. */
  users: Record<string, number>;
  /** Group name → pk and whether Hecate created it (attribute hecate.io/managed-by). */
  groups: Record<string, { pk: string; owned: boolean }>;
  providers: Record<string, AkProvider & { pk: number }>;
  oidcProviders: Record<string, AkOidcProvider & { pk: number }>;
  samlProviders: Record<string, AkSamlProvider & { pk: number }>;
  /** Certificate key pair name → uuid; scope and SAML mapping managed name → uuid (read when a sign-in provider is wanted or exists). */
  keypairs: Record<string, string>;
  scopes: Record<string, string>;
  samlMappings: Record<string, string>;
  applications: Record<string, AkApplication & { pk: string }>;
  policies: Record<string, AkPolicy & { pk: string }>;
  bindings: Record<string, AkBinding & { pk: string }>;
  /** The embedded outpost: every provider pk on it, and which of Hecate's (by name) are among them. */
  outpost: { pk: string; providers: number[]; hecate: string[] } | null;
  /** Hecate's MFA flows (by slug), validation stages (by name) and their bindings. */
  mfaFlows: Record<string, AkFlow & { pk: string }>;
  stages: Record<string, AkStage & { pk: string }>;
  flowBindings: Record<string, AkFlowBinding & { pk: string }>;
}

/** Undo data of one change: the kind, the id authentik gave the object, and the object before (null: it did not exist). */
export interface AkUndo {
  kind: string;
  id: string;
  pk: string | number | null;
  before: Record<string, unknown> | null;
}

export interface AuthentikProvider extends Provider<AkDesired, AkActual> {
  findings(desired: AkDesired | undefined, actual: AkActual): Diagnostic[];
  usage(): ApiUsage;
}

const strip = <T extends { pk: unknown }>(o: T): Omit<T, "pk"> => {
  const { pk: _pk, ...rest } = o;
  return rest;
};

/**
 * `clientSecrets`: OIDC provider name → the secret reference of its client secret in the state
 * being planned; read compares what authentik holds with that value and shows only the reference.
 * `signIn`: the state has OIDC or SAML apps (read then looks up key pairs and mappings).
 * `users`: the usernames the state being planned names. read looks them up one by one (authentik
 * may hold thousands of users), since read runs before compile.
 */
export function createAuthentikProvider(settings: ResolvedSettings, users: readonly string[] = [], clientSecrets: ReadonlyMap<string, string> = new Map(), signIn = clientSecrets.size > 0): AuthentikProvider {
  const total: ApiUsage = { calls: 0, reads: 0, writes: 0, limited: 0 };
  /** Old pk → new pk of objects recreated by undo in this process, so later undos point at them. */
  const remap = new Map<string, string | number>();

  const withApis = <T>(ctx: ProviderContext, fn: (a: AkApis) => Promise<T>) => metered(total, () => authentikApis(settings, ctx), fn);

  async function read(a: AkApis, wantUsers: readonly string[], ctx: ProviderContext): Promise<AkActual> {
    const version = (await call("read the version", () => a.admin.adminVersionRetrieve())).versionCurrent;
    const allFlows = await call("list flows", () => listAll((page) => a.flows.flowsInstancesList({ page, pageSize: 100 })));
    const flows = Object.fromEntries(allFlows.map((f) => [f.slug, f.pk]));
    const groups: AkActual["groups"] = {};
    for (const g of await call("list groups", () => listAll((page) => a.core.coreGroupsList({ page, pageSize: 100, includeUsers: false })))) {
      groups[g.name] = { pk: g.pk, owned: (g.attributes as Record<string, unknown> | undefined)?.[GROUP_MARK] === "hecate" };
    }
    const providers: AkActual["providers"] = {};
    const flowSlugs = new Map(allFlows.map((f) => [f.pk, f.slug]));
    for (const p of await call("list proxy providers", () => listAll((page) => a.providers.providersProxyList({ page, pageSize: 100 })))) {
      if (!p.name.startsWith(PREFIX)) continue;
      providers[p.name] = providerFrom(p, flowSlugs);
    }
    const oidcProviders: AkActual["oidcProviders"] = {};
    const heldSecrets = new Map<string, string>();
    for (const p of await call("list OAuth2 providers", () => listAll((page) => a.providers.providersOauth2List({ page, pageSize: 100 })))) {
      if (!p.name.startsWith(PREFIX)) continue;
      oidcProviders[p.name] = { ...oidcFrom(p, flowSlugs), clientSecret: REDACTED_MARKER };
      heldSecrets.set(p.name, p.clientSecret ?? "");
    }
    const samlProviders: AkActual["samlProviders"] = {};
    for (const p of await call("list SAML providers", () => listAll((page) => a.providers.providersSamlList({ page, pageSize: 100 })))) {
      if (p.name.startsWith(PREFIX)) samlProviders[p.name] = samlFrom(p, flowSlugs);
    }
    const keypairs: AkActual["keypairs"] = {};
    const scopes: AkActual["scopes"] = {};
    const samlMappings: AkActual["samlMappings"] = {};
    if (signIn || Object.keys(oidcProviders).length || Object.keys(samlProviders).length) {
      for (const k of await call("list certificate key pairs", () => listAll((page) => a.crypto.cryptoCertificatekeypairsList({ page, pageSize: 100 })))) keypairs[k.name] = k.pk;
      for (const m of await call("list scope mappings", () => listAll((page) => a.propertyMappings.propertymappingsProviderScopeList({ page, pageSize: 100, managedIsnull: false })))) if (m.managed) scopes[m.managed] = m.pk;
      for (const m of await call("list SAML mappings", () => listAll((page) => a.propertyMappings.propertymappingsProviderSamlList({ page, pageSize: 100, managedIsnull: false })))) if (m.managed) samlMappings[m.managed] = m.pk;
      const names = (r: Record<string, string>) => new Map(Object.entries(r).map(([n, pk]) => [pk, n]));
      const [kp, sc, sm] = [names(keypairs), names(scopes), names(samlMappings)];
      for (const p of Object.values(oidcProviders)) {
        p.signingCertificate = kp.get(p.signingCertificate) ?? (p.signingCertificate && `pk:${p.signingCertificate}`);
        p.scopes = p.scopes.map((pk) => sc.get(pk) ?? `pk:${pk}`).sort();
      }
      for (const p of Object.values(samlProviders)) {
        p.signingCertificate = kp.get(p.signingCertificate) ?? (p.signingCertificate && `pk:${p.signingCertificate}`);
        p.mappings = p.mappings.map((pk) => sm.get(pk) ?? `pk:${pk}`).sort();
      }
    }
    const byPk = new Map([...Object.values(providers), ...Object.values(oidcProviders), ...Object.values(samlProviders)].map((p) => [p.pk, p.name]));
    const applications: AkActual["applications"] = {};
    for (const app of await call("list applications", () => listAll((page) => a.core.coreApplicationsList({ page, pageSize: 100 })))) {
      if (!app.slug.startsWith(PREFIX) || app.metaPublisher !== PUBLISHER) continue;
      applications[app.slug] = applicationFrom(app, byPk);
    }
    // A client secret shows as the reference whose value authentik holds: the state's, else the one its application names.
    const refs = new Map(clientSecrets);
    for (const app of Object.values(applications)) if (app.description?.startsWith(SECRET_NOTE) && !refs.has(app.provider)) refs.set(app.provider, app.description.slice(SECRET_NOTE.length));
    for (const [name, value] of heldSecrets) oidcProviders[name]!.clientSecret = await secretSeen(value, refs.get(name), clientSecrets.has(name), ctx);
    const policies: AkActual["policies"] = {};
    for (const p of await call("list expression policies", () => listAll((page) => a.policies.policiesExpressionList({ page, pageSize: 100 })))) {
      if (p.name.startsWith(PREFIX)) policies[p.name] = { pk: p.pk, name: p.name, expression: p.expression };
    }
    const appByPk = new Map(Object.values(applications).map((x) => [x.pk, x.slug]));
    const groupByPk = new Map(Object.entries(groups).map(([n, g]) => [g.pk, n]));
    const policyByPk = new Map(Object.values(policies).map((p) => [p.pk, p.name]));
    const users: AkActual["users"] = {};
    for (const u of wantUsers) {
      const found = (await call(`look up user ${u}`, () => a.core.coreUsersList({ username: u, pageSize: 1 }))).results[0];
      if (found) users[found.username] = found.pk;
    }
    const bindings: AkActual["bindings"] = {};
    if (appByPk.size) {
      const ours = (await call("list policy bindings", () => listAll((page) => a.policies.policiesBindingsList({ page, pageSize: 100 })))).filter((b) => appByPk.has(b.target));
      // Users bound to Hecate's applications that the state does not name (a user removed from a policy).
      for (const pk of new Set(ours.flatMap((b) => (b.user != null ? [b.user] : [])))) {
        if (Object.values(users).includes(pk)) continue;
        const u = await call(`read user ${pk}`, () => a.core.coreUsersRetrieve({ id: pk }));
        users[u.username] = u.pk;
      }
      const userByPk = new Map(Object.entries(users).map(([n, pk]) => [pk, n]));
      for (const b of ours) {
        const x = bindingFrom(b, appByPk.get(b.target)!, groupByPk, userByPk, policyByPk);
        bindings[bindingKey(x)] = x;
      }
    }
    const embedded = (await call("find the embedded outpost", () => listAll((page) => a.outposts.outpostsInstancesList({ page, pageSize: 100, managedIexact: EMBEDDED })))).find(
      (o) => o.managed === EMBEDDED,
    );
    const outpost = embedded
      ? { pk: embedded.pk, providers: [...embedded.providers].sort((x, y) => x - y), hecate: embedded.providers.flatMap((pk) => byPk.get(pk) ?? []).sort() }
      : null;
    const mfaFlows: AkActual["mfaFlows"] = {};
    const stages: AkActual["stages"] = {};
    const flowBindings: AkActual["flowBindings"] = {};
    for (const f of allFlows) if (f.slug.startsWith(PREFIX)) mfaFlows[f.slug] = { pk: f.pk, slug: f.slug, name: f.name, title: f.title };
    if (Object.keys(mfaFlows).length || Object.keys(providers).length) {
      for (const st of await call("list validation stages", () => listAll((page) => a.stages.stagesAuthenticatorValidateList({ page, pageSize: 100 })))) {
        if (st.name.startsWith(PREFIX)) stages[st.name] = { pk: st.pk, name: st.name, deviceClasses: [...(st.deviceClasses ?? [])].map(String).sort(), notConfiguredAction: "deny" };
      }
      const stageByPk = new Map(Object.values(stages).map((x) => [x.pk, x.name]));
      for (const f of Object.values(mfaFlows)) {
        for (const b of await call(`list the stages of flow ${f.slug}`, () => listAll((page) => a.flows.flowsBindingsList({ page, pageSize: 100, target: f.pk })))) {
          const stage = stageByPk.get(b.stage) ?? `pk:${b.stage}`;
          flowBindings[`${f.slug}/${stage}`] = { pk: b.pk, flow: f.slug, stage, order: b.order };
        }
      }
    }
    return { version, flows, users, groups, providers, oidcProviders, samlProviders, keypairs, scopes, samlMappings, applications, policies, bindings, outpost, mfaFlows, stages, flowBindings };
  }

  /**
   * What a read shows of a client secret: the reference of the state being planned when authentik
   * holds its value, a marker that differs from every reference when it holds something else.
   */
  async function secretSeen(value: string, ref: string | undefined, wanted: boolean, ctx: ProviderContext): Promise<SecretMarker> {
    if (!ref) return REDACTED_MARKER;
    let want: string;
    try {
      want = await ctx.secrets.resolve(ref);
    } catch (e) {
      // The state's own reference must resolve; one named only by an application may be gone.
      if (wanted) throw e;
      return REDACTED_MARKER;
    }
    return want === value ? secretMarker(ref) : { $secret: "another value" };
  }

  /** The secret a marker stands for (undefined: not known, e.g. a value read from authentik that matches no reference). */
  async function secretValue(m: unknown, ctx: ProviderContext): Promise<string | undefined> {
    if (!isSecretMarker(m) || !/^(secret|env|file):/.test(m.$secret)) return undefined;
    return ctx.secrets.resolve(m.$secret);
  }

  /** The items the differ compares: Hecate's objects, by kind and name, without authentik's ids. */
  function itemsOf(d: Pick<AkDesired, "providers" | "oidcProviders" | "samlProviders" | "applications" | "policies" | "bindings" | "outpost" | "flows" | "stages" | "flowBindings"> & { groups: string[] }): KeyedItem[] {
    const items: KeyedItem[] = [];
    for (const x of Object.values(d.stages)) items.push({ kind: "stage", id: x.name, value: x });
    for (const x of Object.values(d.flows)) items.push({ kind: "flow", id: x.slug, value: x });
    for (const [k, x] of Object.entries(d.flowBindings)) items.push({ kind: "flowbinding", id: k, value: x });
    for (const g of d.groups) items.push({ kind: "group", id: g, value: { name: g } });
    for (const p of Object.values(d.policies)) items.push({ kind: "policy", id: p.name, value: { name: p.name, expression: p.expression } });
    for (const p of Object.values(d.providers)) items.push({ kind: "provider", id: p.name, value: p });
    for (const p of Object.values(d.oidcProviders)) items.push({ kind: "oidc-provider", id: p.name, value: p });
    for (const p of Object.values(d.samlProviders)) items.push({ kind: "saml-provider", id: p.name, value: p });
    for (const x of Object.values(d.applications)) {
      const { resource, ...value } = x;
      items.push({ kind: "application", id: x.slug, value, resource });
    }
    for (const [k, b] of Object.entries(d.bindings)) items.push({ kind: "binding", id: k, value: b });
    return items;
  }

  function desiredItems(d: AkDesired, actual: AkActual): KeyedItem[] {
    // A group that exists and is not Hecate's is used as it is: nothing to create.
    const groups = d.groups.filter((g) => !actual.groups[g] || actual.groups[g]!.owned);
    // An authentik older than 2024.10 has no invalidation flow to compare.
    const old = !hasInvalidationFlow(actual.version);
    const noFlow = <T extends { invalidationFlow: string }>(r: Record<string, T>): Record<string, T> => (old ? Object.fromEntries(Object.entries(r).map(([k, p]) => [k, { ...p, invalidationFlow: "" }])) : r);
    return [...itemsOf({ ...d, groups, providers: noFlow(d.providers), oidcProviders: noFlow(d.oidcProviders), samlProviders: noFlow(d.samlProviders) }), { kind: "outpost", id: "embedded", value: { providers: [...d.outpost].sort() } }];
  }

  function actualItems(a: AkActual): KeyedItem[] {
    const groups = Object.entries(a.groups).filter(([, g]) => g.owned).map(([n]) => n);
    const strip2 = <T extends { pk: unknown }>(r: Record<string, T>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, strip(v)]));
    return [
      ...itemsOf({
        groups,
        policies: strip2(a.policies) as AkDesired["policies"],
        providers: strip2(a.providers) as AkDesired["providers"],
        oidcProviders: strip2(a.oidcProviders) as AkDesired["oidcProviders"],
        samlProviders: strip2(a.samlProviders) as AkDesired["samlProviders"],
        applications: strip2(a.applications) as AkDesired["applications"],
        bindings: strip2(a.bindings) as AkDesired["bindings"],
        outpost: [],
        flows: strip2(a.mfaFlows) as AkDesired["flows"],
        stages: strip2(a.stages) as AkDesired["stages"],
        flowBindings: strip2(a.flowBindings) as AkDesired["flowBindings"],
      }),
      ...(a.outpost ? [{ kind: "outpost", id: "embedded", value: { providers: a.outpost.hecate } }] : []),
    ];
  }

  function diff(desired: AkDesired | undefined, actual: AkActual): Change[] {
    const want: AkDesired = desired ?? emptyDesired();
    const d = diffKeyed("authentik", desiredItems(want, actual), actualItems(actual));
    // The outpost always exists: "create" and "delete" of Hecate's list on it are updates of its provider list.
    const fix = (c: Change): Change => (c.kind !== "outpost" || c.action === "update" ? c : { ...c, action: "update", before: c.before ?? { providers: [] }, after: c.after ?? { providers: [] } });
    return [...d.creates, ...d.updates, ...d.deletes].map(fix).filter((c) => !(c.kind === "outpost" && JSON.stringify(c.before) === JSON.stringify(c.after)));
  }

  /** Ids assigned in this batch, by "kind/name", so later changes of the batch point at new objects. */
  type Ids = Map<string, string | number>;
  const pkOf = (ids: Ids, actual: AkActual, kind: string, name: string): string | number => {
    const pk =
      ids.get(`${kind}/${name}`) ??
      ({ provider: actual.providers, "oidc-provider": actual.oidcProviders, "saml-provider": actual.samlProviders, application: actual.applications, group: actual.groups, policy: actual.policies, binding: actual.bindings, flow: actual.mfaFlows, stage: actual.stages, flowbinding: actual.flowBindings } as Record<string, Record<string, { pk: string | number }>>)[kind]?.[name]?.pk;
    if (pk === undefined) throw new HecateError("authentik-missing", `authentik: the ${kind} ${name} does not exist (it should have been created earlier in this apply)`);
    return pk;
  };

  const flowPk = (actual: AkActual, slug: string, ids?: Ids): string => {
    const pk = (ids?.get(`flow/${slug}`) as string | undefined) ?? actual.flows[slug];
    if (!pk) throw new HecateError("authentik-flow", `authentik has no flow with slug ${slug}`);
    return pk;
  };

  function providerBody(p: AkProvider, actual: AkActual, ids?: Ids) {
    const old = !hasInvalidationFlow(actual.version);
    return {
      name: p.name,
      mode: p.mode as ProxyMode, // the client's enum values are authentik's strings
      externalHost: p.externalHost,
      cookieDomain: p.cookieDomain,
      skipPathRegex: p.skipPathRegex,
      accessTokenValidity: p.accessTokenValidity,
      authorizationFlow: flowPk(actual, p.authorizationFlow, ids),
      // Not sent to an authentik that predates it (the generated client's type still wants it).
      invalidationFlow: old ? (undefined as unknown as string) : flowPk(actual, p.invalidationFlow),
      interceptHeaderAuth: p.interceptHeaderAuth,
    };
  }

  const uuidOf = (table: Record<string, string>, what: string, name: string): string => {
    const pk = table[name];
    if (!pk) throw new HecateError("authentik-missing", `authentik has no ${what} ${name}`);
    return pk;
  };

  /** An OAuth2 provider's request body, its client secret still a marker (resolved only when sent). */
  function oidcBody(p: AkOidcProvider, actual: AkActual, ids?: Ids) {
    return {
      name: p.name,
      authorizationFlow: flowPk(actual, p.authorizationFlow, ids),
      invalidationFlow: flowPk(actual, p.invalidationFlow),
      clientType: "confidential" as never,
      clientId: p.clientId,
      clientSecret: p.clientSecret as SecretMarker | undefined,
      redirectUris: p.redirectUris.map((url) => ({ matchingMode: "strict" as never, url })),
      propertyMappings: p.scopes.map((m) => uuidOf(actual.scopes, "scope mapping", m)),
      signingKey: p.signingCertificate ? uuidOf(actual.keypairs, "certificate key pair", p.signingCertificate) : null,
    };
  }

  function samlBody(p: AkSamlProvider, actual: AkActual, ids?: Ids) {
    return {
      name: p.name,
      authorizationFlow: flowPk(actual, p.authorizationFlow, ids),
      invalidationFlow: flowPk(actual, p.invalidationFlow),
      acsUrl: p.acsUrl,
      audience: p.audience,
      spBinding: p.binding as never,
      propertyMappings: p.mappings.map((m) => uuidOf(actual.samlMappings, "SAML mapping", m)),
      signingKp: p.signingCertificate ? uuidOf(actual.keypairs, "certificate key pair", p.signingCertificate) : null,
    };
  }

  /** A body with its client secret resolved, or left out when it is not known (authentik then keeps or makes one). */
  async function withSecret(b: Record<string, unknown>, ctx: ProviderContext): Promise<Record<string, unknown>> {
    const { clientSecret, ...rest } = b;
    const value = await secretValue(clientSecret, ctx);
    return value === undefined ? rest : { ...rest, clientSecret: value };
  }

  /** The pk of an application's provider, whichever type it is. */
  const providerPk = (ids: Ids, actual: AkActual, name: string): number => {
    for (const kind of ["provider", "oidc-provider", "saml-provider"]) {
      const pk = ids.get(`${kind}/${name}`) ?? (kind === "provider" ? actual.providers : kind === "oidc-provider" ? actual.oidcProviders : actual.samlProviders)[name]?.pk;
      if (pk !== undefined) return pk as number;
    }
    throw new HecateError("authentik-missing", `authentik: the provider ${name} does not exist (it should have been created earlier in this apply)`);
  };
  const anyProvider = (actual: AkActual, name: string) => actual.providers[name] ?? actual.oidcProviders[name] ?? actual.samlProviders[name];

  /** Create or update one object; returns its pk and the body it had before (for undo). */
  async function upsert(a: AkApis, c: Change, desired: AkDesired, actual: AkActual, ids: Ids, ctx: ProviderContext): Promise<{ pk: string | number; before: Record<string, unknown> | null }> {
    const create = c.action === "create";
    switch (c.kind) {
      case "stage": {
        const x = desired.stages[c.id]!;
        const body = { name: x.name, deviceClasses: x.deviceClasses as never, notConfiguredAction: x.notConfiguredAction as never };
        if (create) return { pk: (await call(`create validation stage ${c.id}`, () => a.stages.stagesAuthenticatorValidateCreate({ authenticatorValidateStageRequest: body }))).pk, before: null };
        const old = actual.stages[c.id]!;
        await call(`update validation stage ${c.id}`, () => a.stages.stagesAuthenticatorValidatePartialUpdate({ stageUuid: old.pk, patchedAuthenticatorValidateStageRequest: body }));
        return { pk: old.pk, before: { name: old.name, deviceClasses: old.deviceClasses, notConfiguredAction: old.notConfiguredAction } };
      }
      case "flow": {
        const x = desired.flows[c.id]!;
        const body = { name: x.name, slug: x.slug, title: x.title, designation: "authorization" as never, authentication: "require_authenticated" as never };
        if (create) return { pk: (await call(`create flow ${c.id}`, () => a.flows.flowsInstancesCreate({ flowRequest: body }))).pk, before: null };
        const old = actual.mfaFlows[c.id]!;
        await call(`update flow ${c.id}`, () => a.flows.flowsInstancesPartialUpdate({ slug: c.id, patchedFlowRequest: body }));
        return { pk: old.pk, before: { name: old.name, slug: old.slug, title: old.title } };
      }
      case "flowbinding": {
        const x = desired.flowBindings[c.id]!;
        const body = { target: String(pkOf(ids, actual, "flow", x.flow)), stage: String(pkOf(ids, actual, "stage", x.stage)), order: x.order };
        if (create) return { pk: (await call(`bind stage ${x.stage} to flow ${x.flow}`, () => a.flows.flowsBindingsCreate({ flowStageBindingRequest: body }))).pk, before: null };
        const old = actual.flowBindings[c.id]!;
        await call(`update the binding of ${c.id}`, () => a.flows.flowsBindingsPartialUpdate({ fsbUuid: old.pk, patchedFlowStageBindingRequest: { order: x.order } }));
        return { pk: old.pk, before: { order: old.order } };
      }
      case "group": {
        const g = await call(`create group ${c.id}`, () => a.core.coreGroupsCreate({ groupRequest: { name: c.id, attributes: { [GROUP_MARK]: "hecate" } } }));
        return { pk: g.pk, before: null };
      }
      case "policy": {
        const p = desired.policies[c.id]!;
        if (create) return { pk: (await call(`create expression policy ${c.id}`, () => a.policies.policiesExpressionCreate({ expressionPolicyRequest: { name: p.name, expression: p.expression } }))).pk, before: null };
        const old = actual.policies[c.id]!;
        await call(`update expression policy ${c.id}`, () => a.policies.policiesExpressionPartialUpdate({ policyUuid: old.pk, patchedExpressionPolicyRequest: { expression: p.expression } }));
        return { pk: old.pk, before: { expression: old.expression } };
      }
      case "provider": {
        const p = desired.providers[c.id]!;
        if (create) return { pk: (await call(`create proxy provider ${c.id}`, () => a.providers.providersProxyCreate({ proxyProviderRequest: providerBody(p, actual, ids) }))).pk, before: null };
        const old = actual.providers[c.id]!;
        // Always the whole body with its mode: a PATCH without mode is validated as proxy mode and fails.
        await call(`update proxy provider ${c.id}`, () => a.providers.providersProxyPartialUpdate({ id: old.pk, patchedProxyProviderRequest: providerBody(p, actual, ids) }));
        return { pk: old.pk, before: providerBody(strip(old), actual) };
      }
      case "oidc-provider": {
        const p = desired.oidcProviders[c.id]!;
        const body = (await withSecret(oidcBody(p, actual, ids), ctx)) as never;
        if (create) return { pk: (await call(`create OAuth2 provider ${c.id}`, () => a.providers.providersOauth2Create({ oAuth2ProviderRequest: body }))).pk, before: null };
        const old = actual.oidcProviders[c.id]!;
        await call(`update OAuth2 provider ${c.id}`, () => a.providers.providersOauth2PartialUpdate({ id: old.pk, patchedOAuth2ProviderRequest: body }));
        return { pk: old.pk, before: oidcBody(strip(old), actual) };
      }
      case "saml-provider": {
        const p = desired.samlProviders[c.id]!;
        const body = samlBody(p, actual, ids) as never;
        if (create) return { pk: (await call(`create SAML provider ${c.id}`, () => a.providers.providersSamlCreate({ sAMLProviderRequest: body }))).pk, before: null };
        const old = actual.samlProviders[c.id]!;
        await call(`update SAML provider ${c.id}`, () => a.providers.providersSamlPartialUpdate({ id: old.pk, patchedSAMLProviderRequest: body }));
        return { pk: old.pk, before: samlBody(strip(old), actual) };
      }
      case "application": {
        const x = desired.applications[c.id]!;
        const body = {
          name: x.name,
          slug: x.slug,
          provider: providerPk(ids, actual, x.provider),
          metaLaunchUrl: x.launchUrl,
          metaPublisher: PUBLISHER,
          metaDescription: x.description ?? "",
          policyEngineMode: x.policyEngineMode as PolicyEngineMode,
        };
        if (create) return { pk: (await call(`create application ${c.id}`, () => a.core.coreApplicationsCreate({ applicationRequest: body }))).pk, before: null };
        const old = actual.applications[c.id]!;
        await call(`update application ${c.id}`, () => a.core.coreApplicationsPartialUpdate({ slug: c.id, patchedApplicationRequest: body }));
        return {
          pk: old.pk,
          before: { name: old.name, slug: old.slug, provider: anyProvider(actual, old.provider)?.pk ?? null, metaLaunchUrl: old.launchUrl, metaPublisher: PUBLISHER, metaDescription: old.description ?? "", policyEngineMode: old.policyEngineMode },
        };
      }
      case "binding": {
        const b = desired.bindings[c.id]!;
        const body = {
          target: String(pkOf(ids, actual, "application", b.application)),
          ...(b.group !== undefined ? { group: String(pkOf(ids, actual, "group", b.group)) } : {}),
          ...(b.user !== undefined ? { user: userPk(actual, b.user) } : {}),
          ...(b.policy !== undefined ? { policy: String(pkOf(ids, actual, "policy", b.policy)) } : {}),
          order: b.order,
          enabled: true,
          negate: false,
          timeout: 30,
        };
        if (create) return { pk: (await call(`create policy binding ${c.id}`, () => a.policies.policiesBindingsCreate({ policyBindingRequest: body }))).pk, before: null };
        const old = actual.bindings[c.id]!;
        await call(`update policy binding ${c.id}`, () => a.policies.policiesBindingsPartialUpdate({ policyBindingUuid: old.pk, patchedPolicyBindingRequest: { order: b.order } }));
        return { pk: old.pk, before: { order: old.order } };
      }
      case "outpost": {
        // Read, merge, write: the list is replaced by the write, and other providers on it are not Hecate's to drop.
        const o = await call("read the embedded outpost", () => a.outposts.outpostsInstancesRetrieve({ uuid: actual.outpost!.pk }));
        const ours = new Set([...Object.values(actual.providers).map((p) => p.pk), ...[...ids].filter(([k]) => k.startsWith("provider/")).map(([, v]) => v as number)]);
        const keep = o.providers.filter((pk) => !ours.has(pk));
        const want = desired.outpost.map((n) => pkOf(ids, actual, "provider", n) as number);
        const next = [...new Set([...keep, ...want])].sort((x, y) => x - y);
        await call("attach providers to the embedded outpost", () => a.outposts.outpostsInstancesPartialUpdate({ uuid: o.pk, patchedOutpostRequest: { providers: next } }));
        return { pk: o.pk, before: { providers: o.providers } };
      }
    }
    throw new Error(`authentik: no upsert for kind ${c.kind}`);
  }

  function userPk(actual: AkActual, name: string): number {
    const pk = actual.users[name];
    if (pk === undefined) throw new HecateError("authentik-user", `authentik has no user ${name}`);
    return pk;
  }

  /** Delete one object by its pk; gone already is fine (undo and prune are safe twice). */
  async function remove(a: AkApis, kind: string, pk: string | number, slug?: string): Promise<void> {
    try {
      if (kind === "group") await call(`delete group ${pk}`, () => a.core.coreGroupsDestroy({ groupUuid: String(pk) }));
      else if (kind === "policy") await call(`delete expression policy ${pk}`, () => a.policies.policiesExpressionDestroy({ policyUuid: String(pk) }));
      else if (kind === "provider") await call(`delete proxy provider ${pk}`, () => a.providers.providersProxyDestroy({ id: Number(pk) }));
      else if (kind === "oidc-provider") await call(`delete OAuth2 provider ${pk}`, () => a.providers.providersOauth2Destroy({ id: Number(pk) }));
      else if (kind === "saml-provider") await call(`delete SAML provider ${pk}`, () => a.providers.providersSamlDestroy({ id: Number(pk) }));
      else if (kind === "application") await call(`delete application ${slug ?? pk}`, () => a.core.coreApplicationsDestroy({ slug: slug ?? String(pk) }));
      else if (kind === "binding") await call(`delete policy binding ${pk}`, () => a.policies.policiesBindingsDestroy({ policyBindingUuid: String(pk) }));
      else if (kind === "stage") await call(`delete validation stage ${pk}`, () => a.stages.stagesAuthenticatorValidateDestroy({ stageUuid: String(pk) }));
      else if (kind === "flow") await call(`delete flow ${slug ?? pk}`, () => a.flows.flowsInstancesDestroy({ slug: slug ?? String(pk) }));
      else if (kind === "flowbinding") await call(`delete flow binding ${pk}`, () => a.flows.flowsBindingsDestroy({ fsbUuid: String(pk) }));
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  /** The body to recreate a deleted object from what was read of it. */
  function bodyOf(kind: string, id: string, actual: AkActual): Record<string, unknown> | null {
    if (kind === "stage") {
      const x = actual.stages[id]!;
      return { name: x.name, deviceClasses: x.deviceClasses, notConfiguredAction: x.notConfiguredAction };
    }
    if (kind === "flow") {
      const x = actual.mfaFlows[id]!;
      return { name: x.name, slug: x.slug, title: x.title, designation: "authorization", authentication: "require_authenticated" };
    }
    if (kind === "flowbinding") {
      const x = actual.flowBindings[id]!;
      return { target: actual.mfaFlows[x.flow]!.pk, stage: actual.stages[x.stage]!.pk, order: x.order };
    }
    if (kind === "group") return { name: id, attributes: { [GROUP_MARK]: "hecate" } };
    if (kind === "policy") return { name: id, expression: actual.policies[id]!.expression };
    if (kind === "provider") return providerBody(strip(actual.providers[id]!), actual);
    if (kind === "oidc-provider") return oidcBody(strip(actual.oidcProviders[id]!), actual);
    if (kind === "saml-provider") return samlBody(strip(actual.samlProviders[id]!), actual);
    if (kind === "application") {
      const x = actual.applications[id]!;
      return { name: x.name, slug: x.slug, provider: anyProvider(actual, x.provider)?.pk ?? null, metaLaunchUrl: x.launchUrl, metaPublisher: PUBLISHER, metaDescription: x.description ?? "", policyEngineMode: x.policyEngineMode };
    }
    if (kind === "binding") {
      const b = actual.bindings[id]!;
      return {
        target: actual.applications[b.application]!.pk,
        ...(b.group !== undefined ? { group: actual.groups[b.group]!.pk } : {}),
        ...(b.user !== undefined ? { user: actual.users[b.user]! } : {}),
        ...(b.policy !== undefined ? { policy: actual.policies[b.policy]!.pk } : {}),
        order: b.order,
        enabled: true,
        negate: false,
        timeout: 30,
      };
    }
    return null;
  }

  const mapped = (kind: string, pk: unknown) => (pk === null || pk === undefined ? pk : (remap.get(`${kind}:${String(pk)}`) ?? pk));

  /** Recreate an object from its undo body, pointing at objects undo recreated before it. */
  async function recreate(a: AkApis, u: AkUndo, ctx: ProviderContext): Promise<void> {
    const b = { ...u.before! } as Record<string, unknown>;
    let pk: string | number;
    if (u.kind === "group") pk = (await call(`recreate group ${u.id}`, () => a.core.coreGroupsCreate({ groupRequest: b as never }))).pk;
    else if (u.kind === "policy") pk = (await call(`recreate expression policy ${u.id}`, () => a.policies.policiesExpressionCreate({ expressionPolicyRequest: b as never }))).pk;
    else if (u.kind === "provider") {
      for (const k of ["authorizationFlow"]) b[k] = mapped("flow", b[k]);
      pk = (await call(`recreate proxy provider ${u.id}`, () => a.providers.providersProxyCreate({ proxyProviderRequest: b as never }))).pk;
    } else if (u.kind === "oidc-provider" || u.kind === "saml-provider") {
      b["authorizationFlow"] = mapped("flow", b["authorizationFlow"]);
      if (u.kind === "oidc-provider") pk = (await call(`recreate OAuth2 provider ${u.id}`, async () => a.providers.providersOauth2Create({ oAuth2ProviderRequest: (await withSecret(b, ctx)) as never }))).pk;
      else pk = (await call(`recreate SAML provider ${u.id}`, () => a.providers.providersSamlCreate({ sAMLProviderRequest: b as never }))).pk;
    } else if (u.kind === "stage") pk = (await call(`recreate validation stage ${u.id}`, () => a.stages.stagesAuthenticatorValidateCreate({ authenticatorValidateStageRequest: b as never }))).pk;
    else if (u.kind === "flow") pk = (await call(`recreate flow ${u.id}`, () => a.flows.flowsInstancesCreate({ flowRequest: b as never }))).pk;
    else if (u.kind === "flowbinding") {
      b["target"] = mapped("flow", b["target"]);
      b["stage"] = mapped("stage", b["stage"]);
      pk = (await call(`recreate flow binding ${u.id}`, () => a.flows.flowsBindingsCreate({ flowStageBindingRequest: b as never }))).pk;
    }
    else if (u.kind === "application") {
      b["provider"] = mapped("provider", b["provider"]);
      pk = (await call(`recreate application ${u.id}`, () => a.core.coreApplicationsCreate({ applicationRequest: b as never }))).pk;
    } else {
      b["target"] = mapped("application", b["target"]);
      for (const k of ["group", "policy"]) if (b[k] !== undefined) b[k] = mapped(k, b[k]);
      pk = (await call(`recreate policy binding ${u.id}`, () => a.policies.policiesBindingsCreate({ policyBindingRequest: b as never }))).pk;
    }
    if (u.pk !== null) remap.set(`${u.kind}:${String(u.pk)}`, pk);
  }

  return {
    system: "authentik",
    compile: (state: ResolvedState) => compileAuthentik(state),
    read: (ctx) => withApis(ctx, (a) => read(a, users, ctx)),
    diff,
    describe: (a) => [
      `${settings.authentik?.url ?? "authentik"}: version ${a.version}`,
      `Hecate owns ${Object.keys(a.providers).length} proxy, ${Object.keys(a.oidcProviders).length} OAuth2 and ${Object.keys(a.samlProviders).length} SAML provider(s), ${Object.keys(a.applications).length} application(s), ${Object.values(a.groups).filter((g) => g.owned).length} group(s)`,
    ],

    findings(desired, actual) {
      const out: Diagnostic[] = [];
      if (!desired) return out;
      for (const u of desired.users) if (actual.users[u] === undefined) out.push({ severity: "error", code: "authentik-user", message: `user ${u} does not exist in authentik; Hecate never creates users: create it there, or remove it from the policy` });
      const signIns = [...Object.values(desired.oidcProviders), ...Object.values(desired.samlProviders)];
      if (Object.keys(desired.oidcProviders).length && !hasInvalidationFlow(actual.version)) out.push({ severity: "error", code: "authentik-version", message: `OIDC providers need authentik 2024.10 or later (redirect URIs changed shape then); this one is ${actual.version}` });
      for (const c of new Set(signIns.map((p) => p.signingCertificate))) if (c && !actual.keypairs[c]) out.push({ severity: "error", code: "authentik-certificate", message: `authentik has no certificate key pair named ${JSON.stringify(c)} to sign tokens and assertions; name an existing one in the route's signIn.signingCertificate` });
      for (const m of new Set(Object.values(desired.oidcProviders).flatMap((p) => p.scopes))) if (!actual.scopes[m]) out.push({ severity: "error", code: "authentik-mapping", message: `authentik ${actual.version} has no scope mapping managed as ${m}` });
      for (const m of new Set(Object.values(desired.samlProviders).flatMap((p) => p.mappings))) if (!actual.samlMappings[m]) out.push({ severity: "error", code: "authentik-mapping", message: `authentik ${actual.version} has no SAML mapping managed as ${m}` });
      const slugs = new Set([...Object.values(desired.providers), ...signIns].flatMap((p) => [p.authorizationFlow, ...(hasInvalidationFlow(actual.version) ? [p.invalidationFlow] : [])]));
      for (const s of slugs) if (!actual.flows[s] && !desired.flows[s]) out.push({ severity: "error", code: "authentik-flow", message: `authentik has no flow with slug ${s} (authentik ${actual.version}); name an existing flow in the AuthPolicy's flow` });
      if (Object.keys(desired.providers).length && !actual.outpost) out.push({ severity: "error", code: "authentik-outpost", message: `authentik ${actual.version} has no embedded outpost (managed ${EMBEDDED}): Hecate attaches its providers to it` });
      return out;
    },

    async apply(batch: Batch<AkDesired, AkActual>, ctx: ApplyContext) {
      const ids: Ids = new Map();
      await withApis(ctx, async (a) => {
        for (const c of batch.changes) {
          if (c.action === "delete") {
            const pk = pkOf(ids, batch.actual, c.kind, c.id);
            const before = bodyOf(c.kind, c.id, batch.actual);
            await remove(a, c.kind, pk, c.kind === "application" || c.kind === "flow" ? c.id : undefined);
            await ctx.report({ change: changeRef(c), ids: { pk }, undo: { kind: c.kind, id: c.id, pk, before } satisfies AkUndo });
            continue;
          }
          const { pk, before } = await upsert(a, c, batch.desired, batch.actual, ids, ctx);
          ids.set(`${c.kind}/${c.id}`, pk);
          await ctx.report({ change: changeRef(c), ids: { pk }, undo: { kind: c.kind, id: c.id, pk, before } satisfies AkUndo });
        }
      });
    },

    async undo(record: ChangeRecord, ctx) {
      const u = record.undo as AkUndo;
      await withApis(ctx, async (a) => {
        const action = record.change.action;
        if (action === "create") return remove(a, u.kind, u.pk!, u.kind === "application" || u.kind === "flow" ? u.id : undefined);
        if (action === "delete") return u.before ? recreate(a, u, ctx) : undefined;
        // An update: put the fields it changed back.
        const b = u.before ?? {};
        if (u.kind === "policy") await call(`restore expression policy ${u.id}`, () => a.policies.policiesExpressionPartialUpdate({ policyUuid: String(u.pk), patchedExpressionPolicyRequest: b as never }));
        else if (u.kind === "provider") await call(`restore proxy provider ${u.id}`, () => a.providers.providersProxyPartialUpdate({ id: Number(u.pk), patchedProxyProviderRequest: b as never }));
        else if (u.kind === "oidc-provider") await call(`restore OAuth2 provider ${u.id}`, async () => a.providers.providersOauth2PartialUpdate({ id: Number(u.pk), patchedOAuth2ProviderRequest: (await withSecret(b, ctx)) as never }));
        else if (u.kind === "saml-provider") await call(`restore SAML provider ${u.id}`, () => a.providers.providersSamlPartialUpdate({ id: Number(u.pk), patchedSAMLProviderRequest: b as never }));
        else if (u.kind === "application") await call(`restore application ${u.id}`, () => a.core.coreApplicationsPartialUpdate({ slug: u.id, patchedApplicationRequest: b as never }));
        else if (u.kind === "binding") await call(`restore policy binding ${u.id}`, () => a.policies.policiesBindingsPartialUpdate({ policyBindingUuid: String(u.pk), patchedPolicyBindingRequest: b as never }));
        else if (u.kind === "stage") await call(`restore validation stage ${u.id}`, () => a.stages.stagesAuthenticatorValidatePartialUpdate({ stageUuid: String(u.pk), patchedAuthenticatorValidateStageRequest: b as never }));
        else if (u.kind === "flow") await call(`restore flow ${u.id}`, () => a.flows.flowsInstancesPartialUpdate({ slug: u.id, patchedFlowRequest: b as never }));
        else if (u.kind === "flowbinding") await call(`restore flow binding ${u.id}`, () => a.flows.flowsBindingsPartialUpdate({ fsbUuid: String(u.pk), patchedFlowStageBindingRequest: b as never }));
        else if (u.kind === "outpost") await call("restore the embedded outpost's providers", () => a.outposts.outpostsInstancesPartialUpdate({ uuid: String(u.pk), patchedOutpostRequest: b as never }));
      });
    },

    async verify(desired, records, ctx) {
      if (records.length === 0) return [];
      const now = await withApis(ctx, (a) => read(a, desired.users, ctx));
      const left = diff(desired, now);
      return left.map((c) => ({ severity: "error" as const, code: "verify", message: `authentik: ${c.kind} ${c.id} still differs after the apply (${c.action})` }));
    },

    usage: () => structuredClone(total),
  };
}

/** A proxy provider as read, by names: `flowSlugs` maps flow uuids to slugs. */
function providerFrom(p: ProxyProvider, flowSlugs: ReadonlyMap<string, string>): AkProvider & { pk: number } {
  const slugOf = (uuid: string | null | undefined) => (uuid ? (flowSlugs.get(uuid) ?? uuid) : "");
  return {
    pk: p.pk,
    name: p.name,
    mode: p.mode === "forward_domain" ? "forward_domain" : "forward_single",
    externalHost: p.externalHost,
    cookieDomain: p.cookieDomain ?? "",
    skipPathRegex: p.skipPathRegex ?? "",
    accessTokenValidity: p.accessTokenValidity ?? "",
    authorizationFlow: slugOf(p.authorizationFlow),
    invalidationFlow: slugOf(p.invalidationFlow),
    interceptHeaderAuth: p.interceptHeaderAuth ?? true,
  };
}

function applicationFrom(x: Application, providers: Map<number, string>): AkApplication & { pk: string } {
  return {
    pk: x.pk,
    slug: x.slug,
    name: x.name,
    provider: x.provider != null ? (providers.get(x.provider) ?? `pk:${x.provider}`) : "",
    launchUrl: x.metaLaunchUrl ?? "",
    policyEngineMode: x.policyEngineMode === "all" ? "all" : "any",
    ...(x.metaDescription ? { description: x.metaDescription } : {}),
    resource: x.name.replace(/ \(Hecate\)$/, ""),
  };
}

function bindingFrom(b: PolicyBinding, app: string, groups: Map<string, string>, users: Map<number, string>, policies: Map<string, string>): AkBinding & { pk: string } {
  return {
    pk: b.pk,
    application: app,
    ...(b.group ? { group: groups.get(b.group) ?? `pk:${b.group}` } : {}),
    ...(b.user != null ? { user: users.get(b.user) ?? `pk:${b.user}` } : {}),
    ...(b.policy ? { policy: policies.get(b.policy) ?? `pk:${b.policy}` } : {}),
    order: b.order,
  };
}

/** An OAuth2 provider as read, by names (key pair and mappings still uuids; read names them); its secret is set by the caller. */
function oidcFrom(p: OAuth2Provider, flowSlugs: ReadonlyMap<string, string>): Omit<AkOidcProvider, "clientSecret"> & { pk: number } {
  const slugOf = (uuid: string | null | undefined) => (uuid ? (flowSlugs.get(uuid) ?? uuid) : "");
  return {
    pk: p.pk,
    name: p.name,
    clientId: p.clientId ?? "",
    redirectUris: p.redirectUris.map((r) => (r.matchingMode === "strict" ? r.url : `${r.matchingMode}:${r.url}`)).sort(),
    authorizationFlow: slugOf(p.authorizationFlow),
    invalidationFlow: slugOf(p.invalidationFlow),
    scopes: [...(p.propertyMappings ?? [])],
    signingCertificate: p.signingKey ?? "",
  };
}

function samlFrom(p: SAMLProvider, flowSlugs: ReadonlyMap<string, string>): AkSamlProvider & { pk: number } {
  const slugOf = (uuid: string | null | undefined) => (uuid ? (flowSlugs.get(uuid) ?? uuid) : "");
  return {
    pk: p.pk,
    name: p.name,
    acsUrl: p.acsUrl,
    audience: p.audience ?? "",
    binding: p.spBinding === "redirect" ? "redirect" : "post",
    authorizationFlow: slugOf(p.authorizationFlow),
    invalidationFlow: slugOf(p.invalidationFlow),
    mappings: [...(p.propertyMappings ?? [])],
    signingCertificate: p.signingKp ?? "",
  };
}
