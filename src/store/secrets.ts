// Resolves secret references at apply time: env:VAR, file:/path, secret:NAME (via its Secret
// resource: env, file, or the encrypted store). Errors name the reference, never a value.
import { readFile } from "node:fs/promises";
import { resolveIssuedRef } from "../certs/issued.js";
import { HecateError } from "../diag.js";
import { previousName } from "../secret.js";
import type { Resource, SecretResource } from "../model/schema.js";
import type { SecretResolver } from "../providers/provider.js";
import type { Store } from "./store.js";

export function createSecretResolver(store: Pick<Store, "getSecret" | "getSetting">, resources: readonly Resource[], env: NodeJS.ProcessEnv = process.env): SecretResolver {
  const secrets = new Map<string, SecretResource>();
  for (const r of resources) if (r.kind === "Secret") secrets.set(r.metadata.name, r);

  async function direct(ref: string, via: string): Promise<string> {
    if (ref.startsWith("env:")) {
      const name = ref.slice(4);
      const value = env[name];
      if (value === undefined) throw unresolved(`environment variable ${name} is not set${via}`);
      if (value === "") throw unresolved(`environment variable ${name} is empty${via}`);
      return value;
    }
    if (ref.startsWith("file:")) {
      const path = ref.slice(5);
      let text: string;
      try {
        text = await readFile(path, "utf8");
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        const why = code === "ENOENT" ? "does not exist" : code === "EACCES" ? "is not readable (permission denied)" : code === "EISDIR" ? "is a directory" : `cannot be read (${code ?? "error"})`;
        throw unresolved(`secret file ${path} ${why}${via}`);
      }
      // Editors and `echo` add one trailing newline; it is never part of a token.
      return text.replace(/\r?\n$/, "");
    }
    // Not echoed: a literal where a reference belongs is probably the secret itself.
    throw unresolved(`a value that is not a secret reference was given${via}: use "secret:NAME", "env:VAR" or "file:/path"`);
  }

  return {
    async resolve(ref: string): Promise<string> {
      // A certificate Hecate holds itself (src/certs/issued.ts): its chain and sealed key.
      if (ref.startsWith("certificate:")) return resolveIssuedRef(store, ref);
      // A rotated Secret's value before the rotation, while its grace window is open.
      if (ref.startsWith("previous:secret:")) {
        const name = ref.slice("previous:secret:".length);
        const value = await store.getSecret(previousName(name));
        if (value === undefined) throw unresolved(`Secret/${name} has no previous value in the store (its grace window has ended)`);
        return value;
      }
      if (!ref.startsWith("secret:")) return direct(ref, "");
      const name = ref.slice(7);
      const res = secrets.get(name);
      if (!res) throw unresolved(`no Secret resource named "${name}" (referenced as ${ref})`);
      const from = res.spec.from;
      const via = ` (Secret/${name} takes its value from ${from})`;
      if (from !== "store") return direct(from, via);
      const value = await store.getSecret(name);
      if (value === undefined) throw unresolved(`Secret/${name} is kept in the store but has no value there; set it with \`hecate create secret ${name} --value-from ...\``);
      return value;
    },
  };
}

function unresolved(message: string): HecateError {
  return new HecateError("secret-unresolved", message);
}
