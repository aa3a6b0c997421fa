// Outposts (/outposts/instances/): the embedded one exists from the start; PUT/PATCH replace `providers`.

import { addError, type FieldErrors } from "../errors.js";
import type { Ctx, Kind } from "../kind.js";
import type { Obj } from "../store.js";
import { providerBase } from "./providers.js";

export const EMBEDDED_MANAGED = "goauthentik.io/outposts/embedded";

/** The embedded outpost as a fresh authentik has it. */
export function embeddedOutpost(ctx: Ctx): Obj {
  return {
    pk: ctx.store.uuid(),
    name: "authentik Embedded Outpost",
    type: "proxy",
    providers: [],
    service_connection: null,
    config: { authentik_host: ctx.baseUrl(), authentik_host_insecure: false, authentik_host_browser: "", log_level: "info", object_naming_template: "ak-outpost-%(name)s", refresh_interval: "minutes=5" },
    managed: EMBEDDED_MANAGED,
    token_identifier: "ak-outpost-embedded-api",
  };
}

export const outposts: Kind = {
  path: "/outposts/instances/",
  lookup: "pk",
  pkType: "uuid",
  schema: "Outpost",
  search: ["name"],
  ordering: "name",
  unique: [
    { field: "name", message: "Outpost with this name already exists." },
    { field: "managed", message: "Outpost with this Managed by authentik already exists." },
  ],
  table: (ctx) => ctx.store.outposts,
  newPk: (ctx) => ctx.store.uuid(),
  defaults: () => ({ service_connection: null, managed: null }),
  check(ctx, merged) {
    const errors: FieldErrors = {};
    for (const pk of merged.providers as number[]) {
      const p = ctx.store.provider(pk);
      if (!p) {
        addError(errors, "providers", `Invalid pk "${pk}" - object does not exist.`);
        break;
      }
      if (merged.type !== "proxy" || p.type !== "proxy") {
        addError(errors, "providers", `Outpost type ${String(merged.type)} doesn't support ${p.type} providers.`);
        break;
      }
    }
    if (merged.service_connection !== null) addError(errors, "service_connection", `Invalid pk "${String(merged.service_connection)}" - object does not exist.`);
    return errors;
  },
  present(ctx, obj) {
    const providers = obj.providers as number[];
    return {
      pk: obj.pk,
      name: obj.name,
      type: obj.type,
      providers,
      providers_obj: providers.flatMap((pk) => {
        const p = ctx.store.provider(pk);
        return p ? [providerBase(ctx, p.type, p.obj)] : [];
      }),
      service_connection: obj.service_connection,
      service_connection_obj: null,
      refresh_interval_s: 300,
      token_identifier: obj.token_identifier ?? `ak-outpost-${String(obj.pk)}-api`,
      config: obj.config,
      managed: obj.managed,
    };
  },
  filters: {
    providers_by_pk: (_ctx, values) => (o) => values.some((v) => (o.providers as number[]).includes(Number(v))),
  },
};
