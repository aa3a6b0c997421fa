// Secret references: every `secret:NAME` field must name a Secret that exists.
import { formatPath } from "../check.js";
import type { Entry } from "../ctx.js";
import type { PathSeg } from "../load.js";
import type { Resource } from "../schema.js";
import type { ResolveCtx } from "./context.js";

/** Every SecretRef field of every kind, with its path. */
export function secretRefs(r: Resource): { path: PathSeg[]; ref: string }[] {
  const out: { path: PathSeg[]; ref: string }[] = [];
  const add = (path: PathSeg[], ref: string | undefined) => ref !== undefined && out.push({ path, ref });
  switch (r.kind) {
    case "Route":
      add(["spec", "upstreamTls", "ca"], r.spec.upstreamTls?.ca);
      add(["spec", "signIn", "clientSecret"], r.spec.signIn?.clientSecret);
      break;
    case "Upstream":
      add(["spec", "upstreamTls", "ca"], r.spec.upstreamTls?.ca);
      break;
    case "Middleware":
      if (r.spec.type === "basic-auth") r.spec.users.forEach((u, i) => add(["spec", "users", i, "passwordHash"], u.passwordHash));
      break;
    case "Certificate":
      add(["spec", "certificate"], r.spec.certificate);
      add(["spec", "key"], r.spec.key);
      break;
    case "Settings":
      add(["spec", "authentik", "token"], r.spec.authentik?.token);
      add(["spec", "hetzner", "token"], r.spec.hetzner?.token);
      break;
    default:
      break;
  }
  return out;
}

export function checkSecretRefs(ctx: ResolveCtx, entries: readonly Entry[]): void {
  for (const e of entries) {
    if (e.resource.kind === "Secret" && e.resource.spec.rotateEvery && e.resource.spec.from !== "store") {
      ctx.rep.error("secret-rotate", `spec.rotateEvery: Secret "${e.resource.metadata.name}" takes its value from ${e.resource.spec.from}; Hecate rotates only values it keeps (from: store)`, e, ["spec", "rotateEvery"]);
    }
    for (const { path, ref } of secretRefs(e.resource)) {
      const m = /^secret:(.+)$/.exec(ref);
      const target = m ? ctx.catalog.get("Secret", m[1]!) : undefined;
      if (target && e.resource.kind === "Middleware" && target.resource.kind === "Secret" && target.resource.spec.rotateEvery) {
        ctx.rep.error("secret-rotate", `${formatPath(path)}: Secret "${m![1]}" has rotateEvery, but a bcrypt hash cannot be made up by Hecate (nobody would know the password); remove rotateEvery and rotate it with \`hecate secret rotate ${m![1]} --value-from ...\``, e, path);
      }
      if (m && !ctx.catalog.get("Secret", m[1]!)) {
        ctx.rep.error("dangling-ref", `${formatPath(path)}: Secret "${m[1]}" does not exist (referenced as ${JSON.stringify(ref)}); define a Secret named "${m[1]}" or use env:/file:`, e, path);
      }
    }
  }
}
