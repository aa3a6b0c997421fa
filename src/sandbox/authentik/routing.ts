// Which proxy provider (and application) the embedded outpost serves for a host.

import type { Ctx } from "./kind.js";
import { EMBEDDED_MANAGED } from "./resources/outposts.js";
import { hostOf } from "./resources/providers.js";
import type { Obj } from "./store.js";

export interface Served {
  provider: Obj;
  app: Obj;
  outpost: Obj;
}

/** True when `host` is `domain` or below it ("a.example.com" under "example.com" or ".example.com"). */
export function underDomain(host: string, domain: string): boolean {
  const d = domain.replace(/^\./, "").toLowerCase();
  const h = host.replace(/:\d+$/, "").toLowerCase();
  return d !== "" && (h === d || h.endsWith(`.${d}`));
}

/**
 * The provider for `host`: forward_single when its external_host's host is `host`; forward_domain
 * when `host` is its external host or under its cookie_domain. Only providers that have an
 * application and are attached to the embedded outpost count (as in authentik).
 */
export function providerForHost(ctx: Ctx, host: string): Served | undefined {
  const h = host.toLowerCase();
  const outpost = ctx.store.outposts.find((o) => o.managed === EMBEDDED_MANAGED);
  if (!outpost) return undefined;
  const candidates: Served[] = [];
  for (const pk of outpost.providers as number[]) {
    const provider = ctx.store.providers.proxy.get(pk);
    const app = provider && ctx.store.applications.find((a) => a.provider === pk);
    if (provider && app) candidates.push({ provider, app, outpost });
  }
  const exact = candidates.find((s) => s.provider.mode !== "proxy" && hostOf(s.provider.external_host) === h);
  if (exact) return exact;
  return candidates.find((s) => s.provider.mode === "forward_domain" && underDomain(h, String(s.provider.cookie_domain ?? "")));
}

/** skip_path_regex: one regex per line, searched (unanchored, like Go's MatchString) in the path
 * (forward_single) or the whole URL (forward_domain). Lines JS cannot compile are skipped. */
export function skipsAuth(provider: Obj, url: URL): boolean {
  const subject = provider.mode === "forward_domain" ? url.toString() : url.pathname;
  for (const line of String(provider.skip_path_regex ?? "").split("\n")) {
    const src = line.trim();
    if (!src) continue;
    try {
      if (new RegExp(src).test(subject)) return true;
    } catch {
      // an invalid expression never matches
    }
  }
  return false;
}
