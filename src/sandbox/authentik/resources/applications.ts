// Applications (/core/applications/, looked up by slug; pk is the policy-binding uuid).

import { type Ctx, checkRefs, type Kind } from "../kind.js";
import type { Obj } from "../store.js";
import { providerBase } from "./providers.js";

function providerObj(ctx: Ctx, pk: unknown): Obj | null {
  const p = ctx.store.provider(pk);
  return p ? providerBase(ctx, p.type, p.obj) : null;
}

export const applications: Kind = {
  path: "/core/applications/",
  lookup: "slug",
  pkType: "uuid",
  schema: "Application",
  search: ["name", "slug", "meta_publisher", "meta_description"],
  ordering: "name",
  unique: [
    { field: "slug", message: "Application with this slug already exists." },
    { field: "provider", message: "Application with this provider already exists." },
  ],
  table: (ctx) => ctx.store.applications,
  newPk: (ctx) => ctx.store.uuid(),
  defaults: () => ({
    provider: null,
    backchannel_providers: [],
    open_in_new_tab: false,
    meta_launch_url: "",
    meta_icon: "",
    meta_description: "",
    meta_publisher: "",
    policy_engine_mode: "any",
    group: "",
    meta_hide: false,
  }),
  check(ctx, merged) {
    const errors = {};
    const exists = (v: unknown): boolean => ctx.store.provider(v) !== undefined;
    checkRefs(errors, "provider", merged.provider, exists);
    checkRefs(errors, "backchannel_providers", merged.backchannel_providers, exists);
    return errors;
  },
  present(ctx, obj) {
    const provider = ctx.store.provider(obj.provider);
    const launch = obj.meta_launch_url || (provider?.type === "proxy" ? provider.obj.external_host : null) || null;
    return {
      pk: obj.pk,
      pbm_uuid: obj.pk,
      name: obj.name,
      slug: obj.slug,
      provider: obj.provider,
      provider_obj: providerObj(ctx, obj.provider),
      backchannel_providers: obj.backchannel_providers,
      backchannel_providers_obj: (obj.backchannel_providers as number[]).map((pk) => providerObj(ctx, pk)),
      launch_url: launch,
      open_in_new_tab: obj.open_in_new_tab,
      meta_launch_url: obj.meta_launch_url,
      meta_icon: obj.meta_icon,
      meta_icon_url: null,
      meta_icon_themed_urls: null,
      meta_description: obj.meta_description,
      meta_publisher: obj.meta_publisher,
      policy_engine_mode: obj.policy_engine_mode,
      group: obj.group,
      meta_hide: obj.meta_hide,
    };
  },
  remove(ctx, obj) {
    for (const b of ctx.store.policyBindings.all()) if (b.target === obj.pk) ctx.store.policyBindings.delete(b.pk); // CASCADE
  },
};
