// Secret references: every `secret:NAME` field must name a Secret that exists.
import { formatPath } from "../check.js";
import type { Entry } from "../ctx.js";
import type { PathSeg } from "../load.js";
import type { Resource } from "../schema.js";
import type { ResolveCtx } from "./context.js";

/** Every SecretRef field of every kind, with its path. */
function secretRefs(r: Resource): { path: PathSeg[]; ref: string }[] {
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
    for (const { path, ref } of secretRefs(e.resource)) {
      const m = /^secret:(.+)$/.exec(ref);
      if (m && !ctx.catalog.get("Secret", m[1]!)) {
        ctx.rep.error("dangling-ref", `${formatPath(path)}: Secret "${m[1]}" does not exist (referenced as ${JSON.stringify(ref)}); define a Secret named "${m[1]}" or use env:/file:`, e, path);
      }
    }
  }
}
