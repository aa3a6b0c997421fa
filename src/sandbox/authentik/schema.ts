// The OpenAPI document shipped in @goauthentik/api: parsed once per process (lazily, with a JSON
// copy in the user's cache directory so later processes skip the slow YAML parse), adjusted per version.

import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { parse } from "yaml";
import type { VersionFeatures } from "./version.js";
import { defaultCacheDir } from "../../store/paths.js";

export type JsonSchema = Record<string, unknown>;
export interface OpenApiParameter {
  name: string;
  in: string;
  schema?: JsonSchema;
}
export interface OpenApiDoc {
  info: { version: string };
  paths: Record<string, Record<string, { operationId?: string; parameters?: (OpenApiParameter | { $ref: string })[] }>>;
  components: { schemas: Record<string, JsonSchema>; parameters: Record<string, OpenApiParameter> };
}

let cached: OpenApiDoc | undefined;

/** Path of schema.yml inside the installed client package. */
export function schemaPath(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve("@goauthentik/api/package.json")), "schema.yml");
}

/** The parsed document (the same object every call; treat as read-only). */
export function openApiDoc(): OpenApiDoc {
  if (cached) return cached;
  const file = schemaPath();
  const st = statSync(file);
  // Parsing the 1.4 MB schema takes about a second: its JSON form is kept in the user's cache
  // directory, one per installed client (size and mtime), the others removed when it is written.
  const dir = defaultCacheDir();
  const name = `authentik-schema-${st.size}-${Math.trunc(st.mtimeMs)}.json`;
  const cacheFile = join(dir, name);
  try {
    cached = JSON.parse(readFileSync(cacheFile, "utf8")) as OpenApiDoc;
    return cached;
  } catch {
    // no usable copy yet: parse the YAML below
  }
  cached = parse(readFileSync(file, "utf8"), { maxAliasCount: -1 }) as OpenApiDoc;
  try {
    mkdirSync(dir, { recursive: true });
    const tmp = `${cacheFile}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(cached));
    renameSync(tmp, cacheFile);
    for (const f of readdirSync(dir)) if (f.startsWith("authentik-schema-") && f.endsWith(".json") && f !== name) rmSync(join(dir, f), { force: true });
  } catch {
    // a read-only temp dir only costs speed
  }
  return cached;
}

/** Query parameter names the operation declares (refs resolved), e.g. ["slug", "page", ...]. */
export function queryParameters(doc: OpenApiDoc, path: string, method: string): Map<string, OpenApiParameter> {
  const op = doc.paths[path]?.[method];
  const out = new Map<string, OpenApiParameter>();
  for (const p of op?.parameters ?? []) {
    const param = "$ref" in p ? doc.components.parameters[p.$ref.split("/").pop() ?? ""] : p;
    if (param && param.in === "query") out.set(param.name, param);
  }
  return out;
}

const PROVIDER_REQUESTS = ["ProxyProvider", "OAuth2Provider", "SAMLProvider"];

/**
 * The component schemas as the configured version has them. The shipped document is the newest;
 * older versions lose `invalidation_flow` (before 2024.10) and have `parent` instead of
 * `parents` on groups (before 2025.12). Only changed schemas are copied.
 */
export function versionedSchemas(doc: OpenApiDoc, f: VersionFeatures): Record<string, JsonSchema> {
  const schemas: Record<string, JsonSchema> = { ...doc.components.schemas };
  const edit = (name: string, fn: (props: Record<string, JsonSchema>, s: JsonSchema) => void): void => {
    const src = schemas[name];
    if (!src) return;
    const copy: JsonSchema = { ...src, properties: { ...(src.properties as Record<string, JsonSchema>) } };
    if (Array.isArray(src.required)) copy.required = [...(src.required as string[])];
    fn(copy.properties as Record<string, JsonSchema>, copy);
    schemas[name] = copy;
  };
  const dropRequired = (s: JsonSchema, field: string): void => {
    if (Array.isArray(s.required)) s.required = (s.required as string[]).filter((r) => r !== field);
  };
  if (!f.invalidationFlow) {
    for (const base of PROVIDER_REQUESTS) {
      for (const name of [base, `${base}Request`, `Patched${base}Request`]) {
        edit(name, (props, s) => {
          delete props.invalidation_flow;
          dropRequired(s, "invalidation_flow");
        });
      }
    }
  }
  if (!f.groupParents) {
    for (const name of ["GroupRequest", "PatchedGroupRequest"]) {
      edit(name, (props) => {
        delete props.parents;
        props.parent = { type: "string", format: "uuid", nullable: true };
      });
    }
  }
  return schemas;
}
