// Secret markers: compiled Caddy JSON never holds a secret value, only {"$secret": ref} markers
// that the caddy provider replaces (resolveSecrets) just before sending the config to Caddy.
// Plans and `hecate render caddy` therefore show markers, never values.
import type { SecretResolver } from "../../providers/provider.js";

export { secretMarker, isSecretMarker, type SecretEncoding, type SecretMarker } from "../../secret.js";
import { isSecretMarker, type SecretMarker } from "../../secret.js";

/** Every secret reference the config needs, sorted and unique. */
export function secretRefs(config: unknown): string[] {
  const refs = new Set<string>();
  const walk = (v: unknown): void => {
    if (isSecretMarker(v)) refs.add(v.$secret);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") Object.values(v).forEach(walk);
  };
  walk(config);
  return [...refs].sort();
}

function encode(value: string, encoding: SecretMarker["encoding"]): string | string[] {
  if (encoding === "base64") {
    const v = value.trim();
    // A bcrypt hash ("$2a$...") needs encoding; a value already stored base64-encoded does not.
    return v.startsWith("$2") ? Buffer.from(v, "utf8").toString("base64") : v;
  }
  if (encoding === "pem-der-list") {
    const blocks = [...value.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)];
    if (blocks.length === 0) throw new Error("the secret is not a PEM certificate bundle");
    return blocks.map((b) => b[1]!.replace(/\s+/g, ""));
  }
  return value;
}

/** A copy of config with every marker replaced by its resolved value. The input is not changed. */
export async function resolveSecrets<T>(config: T, resolver: SecretResolver): Promise<T> {
  const cache = new Map<string, string>();
  for (const ref of secretRefs(config)) cache.set(ref, await resolver.resolve(ref));
  const walk = (v: unknown): unknown => {
    if (isSecretMarker(v)) return encode(cache.get(v.$secret)!, v.encoding);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === "object") {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = walk(x);
      return out;
    }
    return v;
  };
  return walk(config) as T;
}
