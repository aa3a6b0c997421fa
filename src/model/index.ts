// The model's public API: load YAML, check and resolve resources, serialize, presets, schema.
import type { Kind, Resource } from "./schema.js";

export { loadPaths, parseYamlText, type Located, type LoadResult, type PathSeg } from "./load.js";
export { resolveState, DEFAULT_SETTINGS, DEFAULT_SECURITY_HEADERS, DEFAULT_TRUSTED_PROXIES, type ResolveOptions, type ResolveResult } from "./resolve.js";
export { checkDocument, formatPath } from "./check.js";
export { toYaml, hashResources, canonicalJson, sortResources } from "./serialize.js";
export { jsonSchema } from "./jsonschema.js";
export { listPresets, type PresetInfo } from "./presets.js";
export * from "./schema.js";
export type * from "./resolved.js";

/**
 * Resources that refer to `kind`/`name` (routes using an upstream, auth policy, middleware or
 * certificate; anything holding a `secret:NAME` reference). `delete` refuses while this is non-empty.
 */
export function referrers(resources: readonly Resource[], kind: Kind, name: string): { kind: Kind; name: string }[] {
  const out = new Map<string, { kind: Kind; name: string }>();
  const add = (r: Resource) => out.set(`${r.kind}/${r.metadata.name}`, { kind: r.kind, name: r.metadata.name });
  for (const r of resources) {
    if (kind === "Secret") {
      if (JSON.stringify(r.spec).includes(JSON.stringify(`secret:${name}`))) add(r);
      continue;
    }
    if (r.kind !== "Route") continue;
    const s = r.spec;
    if (
      (kind === "Upstream" && s.upstream === name) ||
      (kind === "AuthPolicy" && s.authPolicy === name) ||
      (kind === "Middleware" && (s.middleware ?? []).includes(name)) ||
      (kind === "Certificate" && s.tls?.certificate === name)
    ) {
      add(r);
    }
  }
  return [...out.values()].sort((a, b) => (a.kind + "/" + a.name < b.kind + "/" + b.name ? -1 : 1));
}
